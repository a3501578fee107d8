import { expect } from 'vitest';
import type { TestApp } from './harness.js';

/**
 * GET /audit-logs's key_id, identity_id and outcome filters, whatever the sink: events of an
 * identity's key and another key, some shipped by `ship` (the sink's own run), newer events of
 * other kinds after them, and the filters must find exactly the matches.
 */
export async function expectAuditFilters(app: TestApp, token: string, ship: () => Promise<unknown>): Promise<void> {
  const identity = (await app.request('POST', '/identities', { token, json: { external_id: `filter-${Date.now()}` } })).body;
  const linked = (await app.request('POST', '/api-keys', { token, json: { name: 'linked', identity_id: identity.identity_id } })).body;
  const other = (await app.request('POST', '/api-keys', { token, json: { name: 'other' } })).body;
  for (const key of [linked.key_value, linked.key_value, other.key_value]) await app.request('POST', '/api-keys/verify', { token, json: { key } });
  await app.request('POST', '/api-keys/verify', { token, json: { key: linked.key_value, scope: 'not:held' } });
  await ship();
  // Newer events of other kinds must not crowd out the matches.
  for (let i = 0; i < 5; i += 1) await app.request('GET', '/data/none', { token });
  const read = async (query: string) => (await app.request('GET', `/audit-logs?${query}`, { token })).body as Record<string, unknown>[];
  const byKey = await read(`key_id=${linked.key_id}&limit=1000`);
  expect(byKey.map((event) => event.action).sort()).toEqual(['create_api_key', 'verify_api_key', 'verify_api_key', 'verify_api_key']);
  expect(byKey.every((event) => event.key_id === linked.key_id)).toBe(true);
  const byIdentity = await read(`identity_id=${identity.identity_id}&action=verify_api_key`);
  expect(byIdentity.map((event) => event.code).sort()).toEqual(['FORBIDDEN', 'VALID', 'VALID']);
  const failures = await read(`key_id=${linked.key_id}&outcome=failure`);
  expect(failures.map((event) => event.code)).toEqual(['FORBIDDEN']);
  expect(await read(`key_id=${linked.key_id}&limit=2`)).toHaveLength(2);
  expect((await app.request('GET', '/audit-logs?key_id=nope', { token })).status).toBe(422);
  expect((await app.request('GET', '/audit-logs?outcome=maybe', { token })).status).toBe(422);
}
