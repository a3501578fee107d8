import { useMemo, useState } from 'preact/hooks';
import { getApiKey, getIdentity, getUsage, type UsageOwner } from '../api/keyward.js';
import { ErrorNote } from '../components/error-note.js';
import { PageHeading } from '../components/page-heading.js';
import { TimeBarChart, type BarSeries } from '../components/time-bar-chart.js';
import { useLoad } from '../components/use-load.js';
import { href } from '../state/route.js';
import { UsageOwnerSelect, ownerValue } from './usage-owner-select.js';
import { bucketLabel, countOf, creditsInWords, summarize, usesInWords, type UsageSummary } from './usage-summary.js';
import { UsageTable } from './usage-table.js';
import { bucketMs, rangeChoices, usageRange, type Granularity, type RangeRequest } from './usage-range.js';

/** The owner in words, for the heading: a deleted key's usage is still there, so a 404 just shows its id. */
async function ownerName(owner: UsageOwner): Promise<string> {
  if (owner.kind === 'tenant') return 'the whole tenant';
  try {
    return owner.kind === 'key' ? `key ${(await getApiKey(owner.id)).name}` : `identity ${(await getIdentity(owner.id)).external_id}`;
  } catch {
    return `${owner.kind} ${owner.id}`;
  }
}

/**
 * GET /usage, /api-keys/{id}/usage or /identities/{id}/usage (SPEC §14): uses per hour or day,
 * stacked by code, and credits spent, as charts with a text summary and as a table. A preset applies
 * at once; a custom range when the form is sent. The service judges the range (422 with its detail).
 */
export function UsagePage({ owner }: { owner: UsageOwner }) {
  const [draft, setDraft] = useState<RangeRequest>({ choice: '24h', granularity: 'hour', since: '', until: '' });
  const [applied, setApplied] = useState<RangeRequest>(draft);
  const whose = ownerValue(owner);
  const name = useLoad(() => ownerName(owner), [whose]);
  const loaded = useLoad(async () => {
    const range = usageRange(applied, Date.now());
    const buckets = await getUsage(owner, { granularity: applied.granularity, since: range.since, ...(range.until ? { until: range.until } : {}) });
    return { range, granularity: applied.granularity, summary: summarize(buckets) };
  }, [whose, applied]);

  const change = (next: RangeRequest) => {
    setDraft(next);
    if (next.choice !== 'custom') setApplied(next);
  };
  const chooseRange = (value: string) => {
    const preset = rangeChoices.find((choice) => choice.value === value);
    if (preset) change({ ...draft, choice: preset.value, granularity: preset.granularity ?? draft.granularity });
  };

  const shown = loaded.data;
  const charts = useMemo(() => {
    if (!shown) return null;
    const { summary, granularity, range } = shown;
    // From the first bucket to the last one (the one in progress, for a preset), both included.
    const words = `from ${bucketLabel(range.from, granularity)} to ${bucketLabel(range.to - bucketMs[granularity], granularity)}`;
    const uses: BarSeries[] = summary.codes.map((code) => ({ label: code, colorVar: `--code-${code}`, values: summary.counts.get(code) ?? [] }));
    const credits: BarSeries[] = [{ label: 'Credits spent', colorVar: '--credits', values: summary.credits }];
    return { words, uses, credits, usesSummary: usesInWords(summary, granularity, words), creditsSummary: creditsInWords(summary, granularity, words) };
  }, [shown]);

  const title = `Usage of ${name.data ?? '…'}`;
  return (
    <>
      <PageHeading title={title} page="usage" />
      {owner.kind === 'key' ? (
        <p>
          <a href={href('keys', owner.id)}>Back to the key</a>
        </p>
      ) : null}
      {owner.kind === 'identity' ? (
        <p>
          <a href={href('identities', owner.id)}>Back to the identity</a>
        </p>
      ) : null}
      <form
        class="filters"
        aria-label="What to show"
        onSubmit={(event) => {
          event.preventDefault();
          setApplied({ ...draft });
        }}
      >
        <UsageOwnerSelect owner={owner} ownerName={name.data ?? whose} />
        <div>
          <label for="usage-range">Range</label>
          <select id="usage-range" value={draft.choice} onChange={(event) => chooseRange(event.currentTarget.value)}>
            {rangeChoices.map((choice) => (
              <option key={choice.value} value={choice.value}>
                {choice.label}
              </option>
            ))}
          </select>
        </div>
        <div>
          <label for="usage-granularity">Per</label>
          <select id="usage-granularity" value={draft.granularity} onChange={(event) => change({ ...draft, granularity: event.currentTarget.value === 'day' ? 'day' : 'hour' })}>
            <option value="hour">Hour</option>
            <option value="day">Day</option>
          </select>
        </div>
        {draft.choice === 'custom' ? (
          <>
            <div>
              <label for="usage-since">From</label>
              <input id="usage-since" type="datetime-local" required value={draft.since} onInput={(event) => setDraft({ ...draft, since: event.currentTarget.value })} />
            </div>
            <div>
              <label for="usage-until">To (blank: now)</label>
              <input id="usage-until" type="datetime-local" value={draft.until} onInput={(event) => setDraft({ ...draft, until: event.currentTarget.value })} />
            </div>
          </>
        ) : null}
        <button type="submit">{draft.choice === 'custom' ? 'Show' : 'Refresh'}</button>
      </form>
      <p class="muted">At most 31 days of hours or 400 days of days; hours are kept 90 days, days 400.</p>
      <ErrorNote error={loaded.error} />
      {loaded.loading ? <p role="status">Loading…</p> : null}
      {/* Only the answer to the current choice: nothing stale while the next one loads, nothing beside an error. */}
      {shown && charts && !loaded.loading && !loaded.error ? (
        <UsageResult granularity={shown.granularity} summary={shown.summary} range={shown.range} charts={charts} />
      ) : null}
    </>
  );
}

interface UsageResultProps {
  granularity: Granularity;
  summary: UsageSummary;
  range: { from: number; to: number };
  charts: { words: string; uses: BarSeries[]; credits: BarSeries[]; usesSummary: string; creditsSummary: string };
}

function UsageResult({ granularity, summary, range, charts }: UsageResultProps) {
  const refused = summary.uses - (summary.totalByCode.get('VALID') ?? 0);
  return (
    <>
      <p role="status" class="muted">
        {summary.uses === 0 ? `No uses ${charts.words}.` : `${summary.uses} uses in ${countOf(summary.starts.length, granularity)}, ${charts.words}.`}
      </p>
      <dl class="facts">
        <div>
          <dt>Uses</dt>
          <dd>{summary.uses}</dd>
        </div>
        <div>
          <dt>Valid</dt>
          <dd>{summary.totalByCode.get('VALID') ?? 0}</dd>
        </div>
        <div>
          <dt>Refused</dt>
          <dd>{refused}</dd>
        </div>
        <div>
          <dt>Credits spent</dt>
          <dd>{summary.creditsSpent}</dd>
        </div>
      </dl>
      {summary.uses > 0 ? (
        <>
          <h2>Uses per {granularity}</h2>
          <TimeBarChart summary={charts.usesSummary} starts={summary.starts} bucketMs={bucketMs[granularity]} from={range.from} to={range.to} series={charts.uses} />
          <ul class="legend" aria-label="Codes in the chart">
            {summary.codes.map((code) => (
              <li key={code}>
                <span class={`swatch code-${code}`} aria-hidden="true" />
                {code} {summary.totalByCode.get(code) ?? 0}
              </li>
            ))}
          </ul>
          <h2>Credits spent per {granularity}</h2>
          <TimeBarChart summary={charts.creditsSummary} starts={summary.starts} bucketMs={bucketMs[granularity]} from={range.from} to={range.to} series={charts.credits} height={160} />
          <h2>In numbers</h2>
          <UsageTable summary={summary} granularity={granularity} />
        </>
      ) : null}
    </>
  );
}
