import { createHmac } from 'node:crypto';

/** What is stored for a key: HMAC-SHA256 of the whole key under the server-side pepper, hex. */
export function hashApiKey(key: string, pepper: string): string {
  return createHmac('sha256', pepper).update(key).digest('hex');
}
