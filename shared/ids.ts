import { randomBytes } from 'node:crypto';

const crockford = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

let lastTime = -1;
let lastRandom: number[] = [];

/**
 * A ULID: 10 characters of time then 16 random, so ids sort by creation time. Within one
 * millisecond the random part counts up (monotonic ULID), so ids made by one process keep their order.
 */
export function ulid(nowMs: number): string {
  if (nowMs === lastTime) {
    lastRandom = increment(lastRandom);
  } else {
    lastTime = nowMs;
    // The top bit stays clear, leaving 2^79 increments of room in one millisecond.
    lastRandom = [...randomBytes(16)].map((byte, i) => (i === 0 ? byte % 16 : byte % 32));
  }
  let time = '';
  let t = nowMs;
  for (let i = 0; i < 10; i += 1) {
    time = crockford[t % 32] + time;
    t = Math.floor(t / 32);
  }
  return time + lastRandom.map((digit) => crockford[digit]).join('');
}

function increment(digits: number[]): number[] {
  const next = [...digits];
  for (let i = next.length - 1; i >= 0; i -= 1) {
    const digit = (next[i] ?? 0) + 1;
    next[i] = digit % 32;
    if (digit < 32) break;
  }
  return next;
}

/** An id with a type prefix, e.g. `key_01J...`. */
export function prefixedId(prefix: string, nowMs: number): string {
  return `${prefix}_${ulid(nowMs)}`;
}
