import { request } from './client.js';
import type {
  ApiKey,
  ApiKeyChange,
  AuditEvent,
  AuditFilter,
  CreatedApiKey,
  Identity,
  IdentityChange,
  Item,
  ItemChange,
  ItemList,
  NewApiKey,
  NewIdentity,
  NewItem,
  NewUser,
  Rotation,
  TokenResponse,
  UsageBucket,
  UsageFilter,
  User,
  UserChange,
  Verification,
  VerifyRequest,
} from './types.js';

/** A page of a cursor-paginated list, and the cursor of the next one (null on the last). */
export interface Page<T> {
  items: T[];
  next: string | null;
}

const enc = encodeURIComponent;

export async function login(username: string, password: string): Promise<TokenResponse> {
  return (await request<TokenResponse>('POST', '/token', { form: { username, password } })).body;
}

export async function revokeToken(): Promise<void> {
  await request('POST', '/token/revoke');
}

export async function getMe(): Promise<User> {
  return (await request<User>('GET', '/users/me')).body;
}

/** GET /api-keys, all of the tenant's or an identity's (`identityId`). */
export async function listApiKeys(cursor: string | null, limit = 50, identityId?: string): Promise<Page<ApiKey>> {
  const answer = await request<ApiKey[]>('GET', '/api-keys', { query: { limit, cursor: cursor ?? undefined, identity_id: identityId } });
  return { items: answer.body, next: answer.headers.get('x-next-cursor') };
}

export async function createApiKey(key: NewApiKey): Promise<CreatedApiKey> {
  return (await request<CreatedApiKey>('POST', '/api-keys', { json: key })).body;
}

export async function getApiKey(keyId: string): Promise<ApiKey> {
  return (await request<ApiKey>('GET', `/api-keys/${enc(keyId)}`)).body;
}

export async function updateApiKey(keyId: string, change: ApiKeyChange): Promise<ApiKey> {
  return (await request<ApiKey>('PATCH', `/api-keys/${enc(keyId)}`, { json: change })).body;
}

export async function rotateApiKey(keyId: string, rotation: Rotation): Promise<CreatedApiKey> {
  return (await request<CreatedApiKey>('POST', `/api-keys/${enc(keyId)}/rotate`, { json: rotation })).body;
}

export async function deleteApiKey(keyId: string): Promise<void> {
  await request('DELETE', `/api-keys/${enc(keyId)}`);
}

export async function verifyApiKey(verify: VerifyRequest): Promise<Verification> {
  return (await request<Verification>('POST', '/api-keys/verify', { json: verify })).body;
}

/** GET /identities: a page, or with `externalId` the one identity that has it (exact match). */
export async function listIdentities(cursor: string | null, externalId?: string, limit = 50): Promise<Page<Identity>> {
  const answer = await request<Identity[]>('GET', '/identities', { query: { limit, cursor: cursor ?? undefined, external_id: externalId } });
  return { items: answer.body, next: answer.headers.get('x-next-cursor') };
}

export async function createIdentity(identity: NewIdentity): Promise<Identity> {
  return (await request<Identity>('POST', '/identities', { json: identity })).body;
}

export async function getIdentity(identityId: string): Promise<Identity> {
  return (await request<Identity>('GET', `/identities/${enc(identityId)}`)).body;
}

export async function updateIdentity(identityId: string, change: IdentityChange): Promise<Identity> {
  return (await request<Identity>('PATCH', `/identities/${enc(identityId)}`, { json: change })).body;
}

/** 409 while keys still belong to it: the service's detail says so. */
export async function deleteIdentity(identityId: string): Promise<void> {
  await request('DELETE', `/identities/${enc(identityId)}`);
}

/** Whose usage: the tenant's total, one key's or one identity's. */
export type UsageOwner = { kind: 'tenant' } | { kind: 'key'; id: string } | { kind: 'identity'; id: string };

/** GET /usage, /api-keys/{id}/usage or /identities/{id}/usage: non-empty buckets, oldest first. */
export async function getUsage(owner: UsageOwner, filter: UsageFilter): Promise<UsageBucket[]> {
  const path = owner.kind === 'tenant' ? '/usage' : owner.kind === 'key' ? `/api-keys/${enc(owner.id)}/usage` : `/identities/${enc(owner.id)}/usage`;
  return (await request<UsageBucket[]>('GET', path, { query: { ...filter } })).body;
}

export async function listItems(prefix: string, cursor: string | null, limit = 100): Promise<Page<string>> {
  const answer = await request<ItemList>('GET', '/data', { query: { prefix, limit, cursor: cursor ?? undefined } });
  return { items: answer.body.keys, next: answer.body.next_cursor };
}

export async function getItem(key: string): Promise<Item> {
  return (await request<Item>('GET', `/data/${enc(key)}`)).body;
}

export async function createItem(item: NewItem): Promise<Item> {
  return (await request<Item>('POST', '/data', { json: item })).body;
}

/** Conditional on the version the user saw: a concurrent change makes it 412, never overwritten. */
export async function updateItem(key: string, version: number, change: ItemChange): Promise<Item> {
  return (await request<Item>('PUT', `/data/${enc(key)}`, { json: change, headers: { 'if-match': `"${version}"` } })).body;
}

export async function deleteItem(key: string): Promise<void> {
  await request('DELETE', `/data/${enc(key)}`);
}

export async function listUsers(cursor: string | null, limit = 100): Promise<Page<User>> {
  const answer = await request<User[]>('GET', '/users', { query: { limit, cursor: cursor ?? undefined } });
  return { items: answer.body, next: answer.headers.get('x-next-cursor') };
}

export async function createUser(user: NewUser): Promise<User> {
  return (await request<User>('POST', '/users', { json: user })).body;
}

export async function updateUser(username: string, change: UserChange): Promise<User> {
  return (await request<User>('PATCH', `/users/${enc(username)}`, { json: change })).body;
}

export async function deleteUser(username: string): Promise<void> {
  await request('DELETE', `/users/${enc(username)}`);
}

export async function listAuditLogs(filter: AuditFilter): Promise<AuditEvent[]> {
  return (await request<AuditEvent[]>('GET', '/audit-logs', { query: filter })).body;
}
