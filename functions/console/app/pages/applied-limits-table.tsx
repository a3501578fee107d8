import type { Verification } from '../api/types.js';
import { TableRegion } from '../components/table-region.js';
import { formatTime } from '../format.js';

/** Every rate limit a verification applied (the key's and its identity's): what is left, when it resets, which refused it. */
export function AppliedLimitsTable({ limits }: { limits: Verification['ratelimits'] }) {
  if (limits.length === 0) return <p class="muted">No rate limit applied.</p>;
  return (
    <TableRegion label="Rate limits applied">
      <table>
        <caption class="muted">Rate limits applied</caption>
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col" class="number">
              Limit
            </th>
            <th scope="col" class="number">
              Remaining
            </th>
            <th scope="col">Resets</th>
            <th scope="col">Exceeded</th>
          </tr>
        </thead>
        <tbody>
          {limits.map((limit, index) => (
            <tr key={`${limit.name}-${index}`}>
              <th scope="row" class="mono">
                {limit.name}
              </th>
              <td class="number">{limit.limit.toLocaleString('en')}</td>
              <td class="number">{limit.remaining.toLocaleString('en')}</td>
              <td>{formatTime(new Date(limit.reset).toISOString())}</td>
              <td>{limit.exceeded ? 'yes' : 'no'}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </TableRegion>
  );
}
