import { request } from './client.js';
import type {
  ApiKey,
  ApiKeyChange,
  AuditEvent,
  AuditFilter,
  CreatedApiKey,
  Item,
  ItemChange,
  ItemList,
  NewApiKey,
  NewItem,
  NewUser,
  Rotation,
  TokenResponse,
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

export async function listApiKeys(cursor: string | null, limit = 50): Promise<Page<ApiKey>> {
  const answer = await request<ApiKey[]>('GET', '/api-keys', { query: { limit, cursor: cursor ?? undefined } });
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
