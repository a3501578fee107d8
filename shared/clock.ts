/** Time as the core sees it; tests inject their own to move days forward without sleeping. */
export interface Clock {
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

let lastMs = Number.NaN;
let lastIso = '';

/** ISO 8601 in UTC. The last answer is kept: requests of one millisecond (every audit event's head) format it once. */
export function isoTime(ms: number): string {
  // NaN never equals itself: an invalid time is formatted (and throws) as before.
  if (ms !== lastMs) {
    lastIso = new Date(ms).toISOString();
    lastMs = ms;
  }
  return lastIso;
}
