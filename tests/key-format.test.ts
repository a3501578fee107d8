import { createHmac } from 'node:crypto';
import { crc32 } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { checkApiKey, checksumLength, generateApiKey, randomLength } from '../shared/api-keys/key-format.js';
import { hashApiKey } from '../shared/api-keys/key-hash.js';

const base62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** The random part of a key made with `prefix` (between the prefix's `_` and the checksum). */
function randomPart(key: string, prefix: string): string {
  return key.slice(prefix.length + 1, prefix.length + 1 + randomLength);
}

/** Every key differing from `key` in exactly one position, by another base62 character. */
function substitutions(key: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < key.length; i += 1) {
    for (const char of base62) {
      if (char !== key[i]) out.push(key.slice(0, i) + char + key.slice(i + 1));
    }
  }
  return out;
}

/** Every key made from `key` by swapping two adjacent, different characters. */
function adjacentSwaps(key: string): string[] {
  const out: string[] = [];
  for (let i = 0; i + 1 < key.length; i += 1) {
    const a = key[i] ?? '';
    const b = key[i + 1] ?? '';
    if (a !== b) out.push(key.slice(0, i) + b + a + key.slice(i + 2));
  }
  return out;
}

function decodeBase62(text: string): number {
  let value = 0;
  for (const char of text) value = value * 62 + base62.indexOf(char);
  return value;
}

describe('key format: generation', () => {
  it('makes kw_ keys of 22 random and 6 checksum base62 characters that checkApiKey accepts', () => {
    expect(randomLength).toBe(22);
    expect(checksumLength).toBe(6);
    for (let i = 0; i < 200; i += 1) {
      const { key, start } = generateApiKey('kw');
      expect(key).toMatch(/^kw_[0-9A-Za-z]{28}$/);
      expect(start).toBe(`kw_${key.slice(3, 7)}`);
      expect(checkApiKey(key)).toEqual({ start });
    }
  });

  it('ends in the base62 CRC32 of everything before it', () => {
    for (let i = 0; i < 50; i += 1) {
      const { key } = generateApiKey('kw');
      const body = key.slice(0, -checksumLength);
      expect(decodeBase62(key.slice(-checksumLength))).toBe(crc32(body));
    }
  });

  it('takes custom prefixes, with parts joined by _', () => {
    for (const prefix of ['sk_live', 'ABC', 'a1_b2_c3']) {
      const { key, start } = generateApiKey(prefix);
      expect(key.startsWith(`${prefix}_`)).toBe(true);
      expect(key).toHaveLength(prefix.length + 1 + 28);
      expect(key.slice(prefix.length + 1)).toMatch(/^[0-9A-Za-z]{28}$/);
      expect(start).toBe(`${prefix}_${randomPart(key, prefix).slice(0, 4)}`);
      expect(checkApiKey(key)).toEqual({ start });
    }
    const longest = `${'a'.repeat(16)}_${'b'.repeat(16)}_${'c'.repeat(16)}`;
    const { key } = generateApiKey(longest);
    expect(key).toHaveLength(79);
    expect(checkApiKey(key)).not.toBeNull();
  });

  it('gives 10,000 distinct keys whose random parts use all 62 characters about evenly', () => {
    const keys = new Set<string>();
    const counts = new Map<string, number>();
    let total = 0;
    for (let i = 0; i < 10_000; i += 1) {
      const { key } = generateApiKey('kw');
      keys.add(key);
      for (const char of randomPart(key, 'kw')) {
        counts.set(char, (counts.get(char) ?? 0) + 1);
        total += 1;
      }
    }
    expect(keys.size).toBe(10_000);
    expect(total).toBe(220_000);
    expect([...counts.keys()].sort().join('')).toBe([...base62].sort().join(''));
    const expected = total / 62;
    for (const char of base62) {
      const count = counts.get(char) ?? 0;
      expect(count, `character ${char}`).toBeGreaterThan(0.5 * expected);
      expect(count, `character ${char}`).toBeLessThan(1.5 * expected);
      // Tighter: ±10% is about 6 standard deviations here, so a fair generator never fails it,
      // while a modulo bias (bytes 248-255 folded onto '0'-'7', +21%) would.
      expect(Math.abs(count - expected), `character ${char}`).toBeLessThan(0.1 * expected);
    }
  });
});

describe('key format: checking', () => {
  it('rejects every single-character substitution (CRC32 catches them all)', () => {
    for (const prefix of ['kw', 'sk_live', 'ABC']) {
      for (let sample = 0; sample < 3; sample += 1) {
        const { key } = generateApiKey(prefix);
        const mistyped = substitutions(key);
        const underscores = key.split('_').length - 1;
        expect(mistyped).toHaveLength((key.length - underscores) * 61 + underscores * 62);
        const accepted = mistyped.filter((candidate) => checkApiKey(candidate) !== null);
        expect(accepted).toEqual([]);
      }
    }
  });

  it('rejects every swap of two adjacent different characters', () => {
    for (let sample = 0; sample < 20; sample += 1) {
      const { key } = generateApiKey(sample % 2 === 0 ? 'kw' : 'sk_live');
      const swapped = adjacentSwaps(key);
      expect(swapped.length).toBeGreaterThan(0);
      expect(swapped.filter((candidate) => checkApiKey(candidate) !== null)).toEqual([]);
    }
  });

  it('rejects wrong lengths, bad characters, a missing underscore and anything over 80 characters', () => {
    const { key } = generateApiKey('kw');
    expect(checkApiKey(key)).not.toBeNull();
    expect(checkApiKey(key.slice(0, -1))).toBeNull();
    expect(checkApiKey(`${key}A`)).toBeNull();
    expect(checkApiKey(key.slice(0, 3) + key.slice(4))).toBeNull();
    expect(checkApiKey(`${key.slice(0, 3)}0${key.slice(3)}`)).toBeNull();
    expect(checkApiKey('')).toBeNull();
    expect(checkApiKey('kw_')).toBeNull();
    // Characters outside base62, in the random part, the checksum and the prefix.
    for (const bad of ['-', '+', '/', '=', ' ', '.', 'é', '\n', '\u0000']) {
      expect(checkApiKey(key.slice(0, 5) + bad + key.slice(6))).toBeNull();
      expect(checkApiKey(key.slice(0, -1) + bad)).toBeNull();
      expect(checkApiKey(bad + key.slice(1))).toBeNull();
    }
    expect(checkApiKey(` ${key}`)).toBeNull();
    expect(checkApiKey(`${key} `)).toBeNull();
    // Missing underscore: the prefix runs into the random part.
    expect(checkApiKey(key.replace('_', ''))).toBeNull();
    expect(checkApiKey(key.replace('_', 'x'))).toBeNull();
    expect(checkApiKey(key.replace('_', '-'))).toBeNull();
    // A prefix of four parts, or a part over 16 characters.
    expect(checkApiKey(generateApiKey('a_b_c_d').key)).toBeNull();
    expect(checkApiKey(generateApiKey('a'.repeat(17)).key)).toBeNull();
    // 81 characters and more.
    const longest = generateApiKey(`${'a'.repeat(16)}_${'b'.repeat(16)}_${'c'.repeat(16)}`).key;
    expect(checkApiKey(longest)).not.toBeNull();
    expect(checkApiKey(`${'x'.repeat(81 - longest.length)}${longest}`)).toBeNull();
    expect(checkApiKey(`${longest}${'x'.repeat(2)}`)).toBeNull();
    expect(checkApiKey('a'.repeat(81))).toBeNull();
    expect(checkApiKey(`kw_${'A'.repeat(10_000)}`)).toBeNull();
  });

  it('rejects a made-up key of the right shape', () => {
    expect(checkApiKey(`kw_${'A'.repeat(28)}`)).toBeNull();
    expect(checkApiKey(`kw_${'0123456789'.repeat(3).slice(0, 28)}`)).toBeNull();
  });
});

describe('key hash', () => {
  const pepper = 'pepper-0123456789abcdef0123456789';

  it('is the 64-hex-character HMAC-SHA256 of the whole key under the pepper', () => {
    const { key } = generateApiKey('kw');
    const hash = hashApiKey(key, pepper);
    expect(hash).toMatch(/^[0-9a-f]{64}$/);
    expect(hash).toBe(createHmac('sha256', pepper).update(key).digest('hex'));
    expect(hashApiKey(key, pepper)).toBe(hash);
  });

  it('changes with the pepper and with the key', () => {
    const { key } = generateApiKey('kw');
    const hash = hashApiKey(key, pepper);
    expect(hashApiKey(key, `${pepper}x`)).not.toBe(hash);
    expect(hashApiKey(key, 'another-pepper-entirely-0000000000')).not.toBe(hash);
    expect(hashApiKey(generateApiKey('kw').key, pepper)).not.toBe(hash);
    expect(hashApiKey(key.slice(0, -1) + (key.endsWith('A') ? 'B' : 'A'), pepper)).not.toBe(hash);
    expect(hash).not.toContain(key);
  });
});
