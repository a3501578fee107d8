// Tenants for the scenarios, made through the real paths: the admin CLI, a login, the functions' HTTP API.
import { spawnSync } from 'node:child_process';

export const benchPassword = 'bench passphrase';

export interface SeededTenant {
  tenantId: string;
  username: string;
  /** A user JWT (admin). */
  token: string;
  /** A key without limits or identity, with data:read and keys:verify. */
  apiKey: string;
  /** The item `bench-item`'s key. */
  itemKey: string;
}

/** A tenant and its admin through the admin CLI, and the admin's JWT. */
export async function createTenant(env: Record<string, string>, tokenUrl: string, tenantId: string): Promise<{ username: string; token: string }> {
  const username = `${tenantId}-admin`;
  const created = spawnSync(process.execPath, ['dist/admin/index.js', 'tenants', 'create', tenantId, '--admin', username, '--password', benchPassword], { env, encoding: 'utf8' });
  if (created.status !== 0) throw new Error(`creating ${tenantId} failed: ${created.stderr}`);
  const login = await fetch(`${tokenUrl}/token`, { method: 'POST', body: new URLSearchParams({ username, password: benchPassword }) });
  if (!login.ok) throw new Error(`login to ${tenantId}: ${login.status} ${await login.text()}`);
  return { username, token: ((await login.json()) as { access_token: string }).access_token };
}

export function jwtHeaders(token: string): Record<string, string> {
  return { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
}

/** POSTs JSON and returns the answer's JSON, failing on anything but 2xx. */
export async function postJson(url: string, headers: Record<string, string>, body: unknown): Promise<Record<string, unknown>> {
  const response = await fetch(url, { method: 'POST', headers, body: JSON.stringify(body) });
  if (!response.ok) throw new Error(`POST ${url}: ${response.status} ${await response.text()}`);
  return (await response.json()) as Record<string, unknown>;
}

/** A tenant with one plain key and the item `bench-item`, made through the functions. */
export async function seedTenant(
  env: Record<string, string>,
  urls: { token: string; apiKeys: string; data: string },
  tenantId: string,
  /** Runs once the tenant exists, before its key and item are made (the growth figure fills it here). */
  fill?: () => Promise<void>,
): Promise<SeededTenant> {
  const { username, token } = await createTenant(env, urls.token, tenantId);
  await fill?.();
  const headers = jwtHeaders(token);
  const key = await postJson(`${urls.apiKeys}/api-keys`, headers, { name: 'bench', scopes: ['data:read', 'keys:verify'] });
  await postJson(`${urls.data}/data`, headers, { key: 'bench-item', value: { hello: 'world', n: 0 } });
  return { tenantId, username, token, apiKey: String(key.key_value), itemKey: 'bench-item' };
}

/**
 * A metered key in the tenant: an identity with a shared counter limit and credits, the key with a
 * log limit of its own; both auto-applied and roomy enough never to refuse during the load.
 */
export async function seedMeteredKey(apiKeysUrl: string, token: string): Promise<string> {
  const headers = jwtHeaders(token);
  const identity = await postJson(`${apiKeysUrl}/identities`, headers, {
    external_id: 'bench-customer',
    credits: { remaining: 1_000_000_000_000 },
    ratelimits: [{ name: 'shared', limit: 1_000_000_000, window_s: 3600, auto_apply: true, algorithm: 'counter' }],
  });
  const metered = await postJson(`${apiKeysUrl}/api-keys`, headers, {
    name: 'metered',
    identity_id: identity.identity_id,
    ratelimits: [{ name: 'per-second', limit: 100_000, window_s: 1, auto_apply: true }],
  });
  return String(metered.key_value);
}
