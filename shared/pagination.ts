import * as z from 'zod';

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

/** `X-Next-Cursor` and an RFC 8288 `Link` to the next page (same filters), when there is one. */
export function nextPageHeaders(path: string, nextCursor: string | null, query: Record<string, string | number | undefined>): Record<string, string> {
  if (nextCursor === null) return {};
  const cursor = encodeCursor(nextCursor);
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query)) if (value !== undefined && value !== '' && name !== 'cursor') params.set(name, String(value));
  params.set('cursor', cursor);
  return { 'x-next-cursor': cursor, link: `<${path}?${params.toString()}>; rel="next"` };
}
