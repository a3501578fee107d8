import type { UsageBucket } from '../api/types.js';
import { verifyCodes, type VerifyCode } from '../api/verify-codes.js';
import { formatTime } from '../format.js';
import type { Granularity } from './usage-range.js';

/** The buckets the API answered, arranged for the chart and the table (the same numbers in both). */
export interface UsageSummary {
  starts: number[];
  /** The codes seen in the range, in the order of verifyCodes (VALID first). */
  codes: VerifyCode[];
  /** Per code seen: its count in each bucket (0 where it had none). */
  counts: Map<VerifyCode, number[]>;
  totals: number[];
  credits: number[];
  totalByCode: Map<VerifyCode, number>;
  uses: number;
  creditsSpent: number;
}

export function summarize(buckets: UsageBucket[]): UsageSummary {
  const codes = verifyCodes.filter((code) => buckets.some((bucket) => (bucket.counts[code] ?? 0) > 0));
  const counts = new Map(codes.map((code) => [code, buckets.map((bucket) => bucket.counts[code] ?? 0)] as const));
  const totals = buckets.map((bucket) => codes.reduce((sum, code) => sum + (bucket.counts[code] ?? 0), 0));
  const credits = buckets.map((bucket) => bucket.credits_spent);
  const sum = (values: number[]) => values.reduce((total, value) => total + value, 0);
  return {
    starts: buckets.map((bucket) => Date.parse(bucket.start)),
    codes,
    counts,
    totals,
    credits,
    totalByCode: new Map(codes.map((code) => [code, sum(counts.get(code) ?? [])])),
    uses: sum(totals),
    creditsSpent: sum(credits),
  };
}

/** "1 hour", "3 days". */
export function countOf(count: number, granularity: Granularity): string {
  return `${count} ${granularity}${count === 1 ? '' : 's'}`;
}

/** A bucket's start as the table and summaries show it: the hour, or the day alone (UTC). */
export function bucketLabel(start: number, granularity: Granularity): string {
  const text = formatTime(new Date(start).toISOString());
  return granularity === 'day' ? text.slice(0, 10) : text.replace(/:00 UTC$/, ' UTC');
}

/** The chart of uses, in words: the range, the total by code and the busiest bucket. */
export function usesInWords(summary: UsageSummary, granularity: Granularity, range: string): string {
  if (summary.uses === 0) return `No uses ${range}.`;
  const byCode = summary.codes.map((code) => `${code} ${summary.totalByCode.get(code) ?? 0}`).join(', ');
  const busiest = summary.totals.indexOf(Math.max(...summary.totals));
  const busiestStart = summary.starts[busiest];
  const peak = busiestStart === undefined ? '' : ` The busiest ${granularity} was ${bucketLabel(busiestStart, granularity)} with ${summary.totals[busiest]}.`;
  return `Uses per ${granularity}, stacked by code, ${range}: ${summary.uses} in ${countOf(summary.starts.length, granularity)} with uses (${byCode}).${peak} The table below lists every ${granularity}.`;
}

export function creditsInWords(summary: UsageSummary, granularity: Granularity, range: string): string {
  if (summary.creditsSpent === 0) return `No credits spent ${range}.`;
  const most = summary.credits.indexOf(Math.max(...summary.credits));
  const mostStart = summary.starts[most];
  const peak = mostStart === undefined ? '' : ` The most in one ${granularity}: ${summary.credits[most]}, ${bucketLabel(mostStart, granularity)}.`;
  return `Credits spent per ${granularity}, ${range}: ${summary.creditsSpent} in total.${peak}`;
}
