import { localToIso } from '../format.js';

export type Granularity = 'hour' | 'day';
export type RangeChoice = '24h' | '7d' | '30d' | 'custom';

export const bucketMs: Record<Granularity, number> = { hour: 3_600_000, day: 86_400_000 };

export const rangeChoices: { value: RangeChoice; label: string; spanMs: number; granularity?: Granularity }[] = [
  { value: '24h', label: 'Last 24 hours', spanMs: 86_400_000, granularity: 'hour' },
  { value: '7d', label: 'Last 7 days', spanMs: 7 * 86_400_000 },
  { value: '30d', label: 'Last 30 days', spanMs: 30 * 86_400_000, granularity: 'day' },
  { value: 'custom', label: 'Custom range', spanMs: 0 },
];

/** What the user asked for: a preset or their own From/To (datetime-local text, their local time). */
export interface RangeRequest {
  choice: RangeChoice;
  granularity: Granularity;
  since: string;
  until: string;
}

/**
 * The range to ask for (`since`, `until`: ISO text) and the chart's time axis (`from`, `to`: whole
 * buckets, ms). A preset covers the last N buckets, the current one included (last 24 hours of hours:
 * 24 bars), so the chart ends with the bucket in progress rather than a partial one at each end.
 */
export interface UsageRange {
  since: string;
  until: string | undefined;
  from: number;
  to: number;
}

const floorTo = (time: number, size: number) => time - (time % size);

/** The range of a request at `now`; throws a sentence when the custom fields are not usable (nothing is sent). */
export function usageRange(request: RangeRequest, now: number): UsageRange {
  const size = bucketMs[request.granularity];
  const preset = rangeChoices.find((choice) => choice.value === request.choice);
  if (preset && request.choice !== 'custom') {
    const current = floorTo(now, size);
    const from = current - (Math.ceil(preset.spanMs / size) - 1) * size;
    return { since: new Date(from).toISOString(), until: undefined, from, to: current + size };
  }
  const since = localToIso(request.since);
  if (since === undefined) throw new Error('From: give the start of the range');
  const until = localToIso(request.until);
  const end = until === undefined ? now : Date.parse(until);
  // The API judges the range (422 past 31 days of hours or 400 of days): the chart just spans it.
  return { since, until, from: floorTo(Date.parse(since), size), to: floorTo(end, size) + size };
}
