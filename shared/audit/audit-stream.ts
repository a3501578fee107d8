import type { RedisClient } from '../redis/client.js';
import type { TenantKeys } from '../redis/keys.js';
import { runScript } from '../redis/run-script.js';
import { scripts } from '../redis/scripts.js';

/**
 * The consumer group every offload run reads a tenant's audit stream through. One consumer name is
 * enough: the tenant's lease lets one run at a time work the stream, and a run starts by reading the
 * consumer's pending entries (delivered to an earlier run that crashed or stopped before Loki answered).
 */
export const offloadGroup = 'offload';
const consumer = 'offload';

/** A stream entry as read through the group; `line` is null when the entry was deleted while pending. */
export interface StreamEntry {
  id: string;
  line: string | null;
}

/** `pending`: entries delivered before and not yet acknowledged, after the given id. `new`: never delivered. */
export type ReadFrom = { pending: string } | 'new';

/**
 * Up to `count` entries of the tenant's stream through the group, creating the group (from the
 * stream's start) on first use. Null when the tenant has no stream at all; nothing is created then.
 */
export async function readEntries(redis: RedisClient, keys: TenantKeys, from: ReadFrom, count: number): Promise<StreamEntry[] | null> {
  const id = from === 'new' ? '>' : from.pending;
  const read = () => redis.xreadgroup('GROUP', offloadGroup, consumer, 'COUNT', count, 'STREAMS', keys.audit, id);
  let reply;
  try {
    reply = await read();
  } catch (error) {
    if (!(error instanceof Error && error.message.startsWith('NOGROUP'))) throw error;
    if (!(await createGroup(redis, keys))) return null;
    reply = await read();
  }
  const streams = (reply ?? []) as [string, [string, string[] | null][]][];
  const entries = streams[0]?.[1] ?? [];
  return entries.map(([entryId, fields]) => ({ id: entryId, line: fields ? eventOf(fields) : null }));
}

/** Creates the group unless it exists; false when the stream does not exist (no MKSTREAM: a deleted tenant stays deleted). */
async function createGroup(redis: RedisClient, keys: TenantKeys): Promise<boolean> {
  try {
    await redis.xgroup('CREATE', keys.audit, offloadGroup, '0');
    return true;
  } catch (error) {
    if (error instanceof Error && error.message.startsWith('BUSYGROUP')) return true;
    if (error instanceof Error && /requires the key to exist|no such key/i.test(error.message)) return false;
    throw error;
  }
}

function eventOf(fields: string[]): string {
  for (let i = 0; i < fields.length; i += 2) if (fields[i] === 'event') return fields[i + 1] ?? '';
  return '';
}

/** The sink has stored these: acknowledged and deleted in one script (same slot). */
export async function acknowledge(redis: RedisClient, keys: TenantKeys, ids: readonly string[]): Promise<void> {
  if (ids.length === 0) return;
  await runScript(redis, scripts.ackAudit, [keys.audit], [offloadGroup, ...ids]);
}

/** Moves one refused event into the dead-letter stream with the sink's reason; false if it was already settled. */
export async function deadLetter(redis: RedisClient, keys: TenantKeys, id: string, reason: string, status: number, nowMs: number): Promise<boolean> {
  const moved = await runScript(redis, scripts.deadLetterAudit, [keys.audit, keys.auditDead], [offloadGroup, id, reason, status, nowMs]);
  return Number(moved) === 1;
}

/** A tenant's lease: the right to work its stream, held by one run, expiring on its own if the run dies. */
export interface Lease {
  /** Extends the lease; false once it is lost (expired and possibly taken by another run). */
  renew(): Promise<boolean>;
  release(): Promise<void>;
}

/** Takes the tenant's lease for `ms`, or null when another run holds it. */
export async function acquireLease(redis: RedisClient, keys: TenantKeys, token: string, ms: number): Promise<Lease | null> {
  const taken = await redis.set(keys.auditLease, token, 'PX', ms, 'NX');
  if (taken !== 'OK') return null;
  return {
    async renew() {
      return Number(await runScript(redis, scripts.renewLease, [keys.auditLease], [token, ms])) === 1;
    },
    async release() {
      await runScript(redis, scripts.compareAndDelete, [keys.auditLease], [token]);
    },
  };
}
