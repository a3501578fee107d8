import { randomBytes } from 'node:crypto';
import { crc32 } from 'node:zlib';

const base62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
/** 22 base62 characters carry 130.9 bits of randomness. */
export const randomLength = 22;
/** CRC32 fits in 6 base62 characters (62^6 > 2^32). */
export const checksumLength = 6;
/** Visible characters of the random part kept in `start`. */
const startLength = 4;

export const keyPrefixPattern = /^[A-Za-z0-9]{1,16}(?:_[A-Za-z0-9]{1,16}){0,2}$/;
const keyPattern = new RegExp(`^(${keyPrefixPattern.source.slice(1, -1)})_([0-9A-Za-z]{${randomLength}})([0-9A-Za-z]{${checksumLength}})$`);

export interface GeneratedKey {
  key: string;
  start: string;
}

/** A new key `<prefix>_<random><checksum>`; the caller shows it once and stores only its hash. */
export function generateApiKey(prefix: string): GeneratedKey {
  const random = randomBase62(randomLength);
  const body = `${prefix}_${random}`;
  return { key: body + checksum(body), start: `${prefix}_${random.slice(0, startLength)}` };
}

/** The key's `start` if its shape and checksum are right; null for a mistyped or made-up key. */
export function checkApiKey(key: string): { start: string } | null {
  if (key.length > 80) return null;
  const match = keyPattern.exec(key);
  if (!match) return null;
  const [, prefix = '', random = '', sum = ''] = match;
  if (checksum(`${prefix}_${random}`) !== sum) return null;
  return { start: `${prefix}_${random.slice(0, startLength)}` };
}

function checksum(text: string): string {
  let value = crc32(text);
  let out = '';
  for (let i = 0; i < checksumLength; i += 1) {
    out = base62[value % 62] + out;
    value = Math.floor(value / 62);
  }
  return out;
}

/** Unbiased: bytes of 248 and above (62 * 4) are thrown away. */
function randomBase62(length: number): string {
  let out = '';
  while (out.length < length) {
    for (const byte of randomBytes(length * 2)) {
      if (byte < 248 && out.length < length) out += base62[byte % 62];
    }
  }
  return out;
}
