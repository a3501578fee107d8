import { TableRegion } from '../components/table-region.js';
import { bucketLabel, type UsageSummary } from './usage-summary.js';
import type { Granularity } from './usage-range.js';

/** The chart's numbers as a table (the accessible form of the chart): one row per bucket with uses, totals at the foot. */
export function UsageTable({ summary, granularity }: { summary: UsageSummary; granularity: Granularity }) {
  const unit = granularity === 'hour' ? 'Hour' : 'Day';
  return (
    <TableRegion label={`Uses and credits per ${granularity}`}>
      <table>
        <caption class="muted">
          Uses by code and credits spent per {granularity} (UTC); {granularity}s without uses are left out.
        </caption>
        <thead>
          <tr>
            <th scope="col">{unit}</th>
            {summary.codes.map((code) => (
              <th scope="col" class="number" key={code}>
                {code}
              </th>
            ))}
            <th scope="col" class="number">
              Total uses
            </th>
            <th scope="col" class="number">
              Credits spent
            </th>
          </tr>
        </thead>
        <tbody>
          {summary.starts.map((start, bucket) => (
            <tr key={start}>
              <th scope="row" class="nowrap">
                {bucketLabel(start, granularity)}
              </th>
              {summary.codes.map((code) => (
                <td class="number" key={code}>
                  {summary.counts.get(code)?.[bucket] ?? 0}
                </td>
              ))}
              <td class="number">{summary.totals[bucket]}</td>
              <td class="number">{summary.credits[bucket]}</td>
            </tr>
          ))}
        </tbody>
        <tfoot>
          <tr>
            <th scope="row">Total</th>
            {summary.codes.map((code) => (
              <td class="number" key={code}>
                {summary.totalByCode.get(code) ?? 0}
              </td>
            ))}
            <td class="number">{summary.uses}</td>
            <td class="number">{summary.creditsSpent}</td>
          </tr>
        </tfoot>
      </table>
    </TableRegion>
  );
}
