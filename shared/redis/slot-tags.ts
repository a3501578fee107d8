/**
 * Redis Cluster hash slots, computed here as the server does (CRC16/XMODEM of the key's hash tag,
 * modulo 16384), and one short hash tag per slot: a key `kw:{<slotTag(s)>}:...` lives in slot `s`.
 * A set shared by many tenants but written by their own scripts (the offload's pending tenants) is
 * kept once per slot, so each tenant's script writes the copy that lives beside the tenant's keys.
 */
export const slotCount = 16_384;

const crcTable = (() => {
  const table = new Uint16Array(256);
  for (let byte = 0; byte < 256; byte += 1) {
    let crc = byte << 8;
    for (let bit = 0; bit < 8; bit += 1) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
    table[byte] = crc;
  }
  return table;
})();

function crc16(bytes: Uint8Array): number {
  let crc = 0;
  for (const byte of bytes) crc = ((crc << 8) & 0xffff) ^ (crcTable[((crc >> 8) ^ byte) & 0xff] ?? 0);
  return crc;
}

/** The slot of a key: of its hash tag (the text between the first `{` and the next `}`, when not empty), else of the whole key. */
export function keySlot(key: string): number {
  const open = key.indexOf('{');
  const close = open === -1 ? -1 : key.indexOf('}', open + 1);
  const hashed = close > open + 1 ? key.slice(open + 1, close) : key;
  return crc16(Buffer.from(hashed, 'utf8')) % slotCount;
}

let tags: string[] | null = null;

/**
 * A hash tag that hashes to `slot`. The table is built once, at first use, by trying short strings
 * (1 to 4 characters of [0-9a-z]) until every slot has one.
 */
export function slotTag(slot: number): string {
  if (!Number.isInteger(slot) || slot < 0 || slot >= slotCount) throw new RangeError(`no hash slot ${slot}`);
  tags ??= buildTags();
  return tags[slot] ?? '';
}

function buildTags(): string[] {
  const found: (string | undefined)[] = new Array(slotCount);
  let missing = slotCount;
  const alphabet = '0123456789abcdefghijklmnopqrstuvwxyz';
  const step = (crc: number, byte: number) => ((crc << 8) & 0xffff) ^ (crcTable[((crc >> 8) ^ byte) & 0xff] ?? 0);
  // Depth first over the strings of one length, each CRC extended by one byte from its prefix's.
  const visit = (prefix: string, crc: number, left: number): void => {
    for (let i = 0; i < alphabet.length && missing > 0; i += 1) {
      const text = prefix + alphabet.charAt(i);
      const next = step(crc, alphabet.charCodeAt(i));
      if (left > 1) visit(text, next, left - 1);
      else if (found[next % slotCount] === undefined) {
        found[next % slotCount] = text;
        missing -= 1;
      }
    }
  };
  for (let length = 1; length <= 4 && missing > 0; length += 1) visit('', 0, length);
  if (missing > 0) throw new Error(`no hash tag found for ${missing} slots`);
  return found as string[];
}
