import { isoTime } from '../clock.js';
import { AppError } from '../errors/app-error.js';
import { tenantKeys } from '../redis/keys.js';
import { scripts } from '../redis/scripts.js';
import { runOperation } from '../operations/run-operation.js';
import type { Call } from '../operations/call.js';
import type { Services } from '../services.js';
import type { IfMatch } from './if-match.js';
import type { Item } from './schemas.js';

type Metadata = Item['metadata'];
type Value = Item['value'];

export interface NewItem {
  key: string;
  value: Value;
  ttl?: number | null;
  metadata?: Metadata;
}

export interface ItemChange {
  value: Value;
  /** undefined keeps the current expiry, null removes it. */
  ttl?: number | null;
  /** undefined keeps, null clears. */
  metadata?: Metadata | null;
  /** Only update when the item matches (RFC 9110 If-Match). */
  ifMatch?: IfMatch | undefined;
}

export interface ItemPage {
  keys: string[];
  nextCursor: string | null;
}

/** Creates an item; a key that exists is 409 (of racing creates exactly one wins). */
export async function createItem(services: Services, call: Call, item: NewItem): Promise<Item> {
  const value = encodeValue(services, item.value);
  const metadata = encodeMetadata(services, item.metadata ?? {});
  const keys = tenantKeys(call.caller.tenantId);
  const now = services.clock.now();
  const expiresAt = item.ttl ? now + item.ttl * 1000 : '';
  const [createdAt] = await runOperation(services, scripts.createItem, call, {
    keys: [keys.dataItem(item.key), keys.dataIndex, keys.dataExpiry],
    args: [item.key, value, metadata, expiresAt, services.config.limits.keysPerTenant],
    details: auditDetails(services, item.key, item.value),
  });
  const created = isoTime(Number(createdAt));
  return { key: item.key, value: item.value, ttl: item.ttl ?? null, metadata: item.metadata ?? {}, created_at: created, updated_at: created, version: 1 };
}

export async function getItem(services: Services, call: Call, key: string): Promise<Item> {
  const keys = tenantKeys(call.caller.tenantId);
  const reply = await runOperation(services, scripts.getItem, call, { keys: [keys.dataItem(key)], details: { key } });
  return decodeItem(key, reply);
}

/** Replaces an existing item's value; 404 when absent, 412 when `ifMatch` is not its version. */
export async function updateItem(services: Services, call: Call, key: string, change: ItemChange): Promise<Item> {
  const value = encodeValue(services, change.value);
  const metadata = change.metadata === undefined ? '' : encodeMetadata(services, change.metadata ?? {});
  const keys = tenantKeys(call.caller.tenantId);
  const now = services.clock.now();
  const expiry = change.ttl === undefined ? ['keep', ''] : change.ttl === null ? ['clear', ''] : ['set', now + change.ttl * 1000];
  const reply = await runOperation(services, scripts.updateItem, call, {
    keys: [keys.dataItem(key), keys.dataExpiry],
    args: [key, value, metadata, ...expiry, precondition(change.ifMatch)],
    details: auditDetails(services, key, change.value),
  });
  return decodeItem(key, reply);
}

export async function deleteItem(services: Services, call: Call, key: string): Promise<void> {
  const keys = tenantKeys(call.caller.tenantId);
  await runOperation(services, scripts.deleteItem, call, {
    keys: [keys.dataItem(key), keys.dataIndex, keys.dataExpiry],
    args: [key],
    details: { key },
  });
}

/** A page of the tenant's live keys in lexical order, from the tenant's index (never a SCAN). */
export async function listItems(services: Services, call: Call, query: { prefix: string; limit: number; cursor?: string }): Promise<ItemPage> {
  const keys = tenantKeys(call.caller.tenantId);
  const [nextCursor, ...found] = await runOperation(services, scripts.listItems, call, {
    keys: [keys.dataIndex],
    args: [query.prefix, query.cursor ?? '', query.limit, keys.dataItemPrefix],
    details: { prefix: query.prefix || undefined },
  });
  return { keys: found.map(String), nextCursor: nextCursor ? String(nextCursor) : null };
}

/** If-Match for update-item.lua: '' none, '*' any existing item, else the versions it names ('-' for none). */
function precondition(ifMatch: IfMatch | undefined): string {
  if (!ifMatch) return '';
  if (ifMatch.kind === 'any') return '*';
  return ifMatch.versions.length > 0 ? ifMatch.versions.join(' ') : '-';
}

function encodeValue(services: Services, value: Value): string {
  const text = JSON.stringify(value);
  const limit = services.config.limits.valueBytes;
  if (Buffer.byteLength(text) > limit) throw new AppError('value_too_large', `Value is larger than ${limit} bytes`);
  return text;
}

function encodeMetadata(services: Services, metadata: Metadata): string {
  const text = JSON.stringify(metadata);
  const limit = services.config.limits.metadataBytes;
  if (Buffer.byteLength(text) > limit) throw new AppError('value_too_large', `Metadata is larger than ${limit} bytes`);
  return text;
}

function auditDetails(services: Services, key: string, value: unknown) {
  return services.config.audit.includeValues ? { key, value } : { key };
}

function decodeItem(key: string, reply: unknown[]): Item {
  const [value, metadata, createdAt, updatedAt, version, pttl] = reply;
  const msLeft = Number(pttl);
  return {
    key,
    value: JSON.parse(String(value)) as Value,
    ttl: msLeft > 0 ? Math.ceil(msLeft / 1000) : null,
    metadata: JSON.parse(String(metadata)) as Metadata,
    created_at: isoTime(Number(createdAt)),
    updated_at: isoTime(Number(updatedAt)),
    version: Number(version),
  };
}
