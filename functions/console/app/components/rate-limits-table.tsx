import type { Identity } from '../api/types.js';
import { formatSeconds } from '../format.js';
import { TableRegion } from './table-region.js';

/** A key's or an identity's named rate limits as a table (`default` is a key's plain rate limit). */
export function RateLimitsTable({ label, limits }: { label: string; limits: Identity['ratelimits'] }) {
  if (limits.length === 0) return <p class="muted">No named rate limits.</p>;
  return (
    <TableRegion label={label}>
      <table>
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col" class="number">
              Max uses
            </th>
            <th scope="col">Window</th>
            <th scope="col">Applies to</th>
            <th scope="col">Algorithm</th>
          </tr>
        </thead>
        <tbody>
          {limits.map((limit) => (
            <tr key={limit.name}>
              <th scope="row" class="mono">
                {limit.name}
              </th>
              <td class="number">{limit.limit.toLocaleString('en')}</td>
              <td>{formatSeconds(limit.window_s)}</td>
              <td>{limit.auto_apply ? 'every use' : 'verifications naming it'}</td>
              <td>{limit.algorithm}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </TableRegion>
  );
}
