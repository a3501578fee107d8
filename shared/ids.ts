import { randomBytes } from 'node:crypto';

const crockford = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/** A ULID: 10 characters of time then 16 random, so ids sort by creation time. */
export function ulid(nowMs: number): string {
  let time = '';
  let t = nowMs;
  for (let i = 0; i < 10; i += 1) {
    time = crockford[t % 32] + time;
    t = Math.floor(t / 32);
  }
  let random = '';
  for (const byte of randomBytes(16)) random += crockford[byte % 32];
  return time + random;
}

/** An id with a type prefix, e.g. `key_01J...`. */
export function prefixedId(prefix: string, nowMs: number): string {
  return `${prefix}_${ulid(nowMs)}`;
}
