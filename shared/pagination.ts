import { z } from 'zod';

/** Cursors are opaque to clients: the last key of a page, base64url. */
export function encodeCursor(last: string): string {
  return Buffer.from(last, 'utf8').toString('base64url');
}

export const CursorSchema = z
  .string()
  .max(2048)
  .regex(/^[A-Za-z0-9_-]*$/, 'Invalid cursor')
  .transform((cursor) => Buffer.from(cursor, 'base64url').toString('utf8'));

export const limitSchema = (max: number, fallback: number) => z.coerce.number().int().min(1).max(max).default(fallback);

/** `X-Next-Cursor` and an RFC 8288 `Link` to the next page, when there is one. */
export function nextPageHeaders(path: string, nextCursor: string | null, limit: number): Record<string, string> {
  if (nextCursor === null) return {};
  const cursor = encodeCursor(nextCursor);
  return { 'x-next-cursor': cursor, link: `<${path}?limit=${limit}&cursor=${cursor}>; rel="next"` };
}
