import type { RedisClient } from '../redis/client.js';
import { tenantKeys, type TenantKeys } from '../redis/keys.js';
import { runScript } from '../redis/run-script.js';
import { scripts } from '../redis/scripts.js';
import { pendingKeyOf } from './pending-tenants.js';

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

/** Entries read in one call, and whether they were delivered before (`pending`) or are `new`. */
export interface Batch {
  source: 'pending' | 'new';
  entries: StreamEntry[];
}

/**
 * Up to `count` entries of the tenant's stream through the group (read-audit-batch.lua, one round
 * trip): from `pending`, the consumer's delivered entries after that id or, when none is left, new
 * ones; the group is created (from the stream's start) on first use. Null when the tenant has no
 * stream at all; nothing is created then. With `lease`, the lease is renewed in the same script, and
 * nothing is read once it is lost (`lease_lost`).
 */
export async function readEntries(redis: RedisClient, keys: TenantKeys, from: ReadFrom, count: number, lease?: { token: string; ms: number }): Promise<Batch | null | 'lease_lost'> {
  const args = [offloadGroup, consumer, count, from === 'new' ? '>' : from.pending, lease?.token ?? '', lease?.ms ?? 0];
  const reply = (await runScript(redis, scripts.readAuditBatch, [keys.audit, keys.auditLease], args)) as ['lease_lost'] | ['pending' | 'new', [string, string[] | null][]] | null;
  if (!reply) return null;
  if (reply[0] === 'lease_lost') return 'lease_lost';
  const [source, entries] = reply as ['pending' | 'new', [string, string[] | null][]];
  return { source, entries: entries.map(([entryId, fields]) => ({ id: entryId, line: fields ? eventOf(fields) : null })) };
}

function eventOf(fields: string[]): string {
  for (let i = 0; i < fields.length; i += 2) if (fields[i] === 'event') return fields[i + 1] ?? '';
  return '';
}

/**
 * The sink has stored these: acknowledged and deleted in one script (same slot), which also sets the
 * tenant's pending mark from what is left. Returns how many events are left in the stream.
 */
export async function acknowledge(redis: RedisClient, tenantId: string, ids: readonly string[]): Promise<number> {
  const keys = tenantKeys(tenantId);
  return Number(await runScript(redis, scripts.ackAudit, [keys.audit, pendingKeyOf(redis, tenantId), keys.dataExpiry], [offloadGroup, tenantId, ...ids]));
}

/** Moves one refused event into the dead-letter stream with the sink's reason; false if it was already settled. */
export async function deadLetter(redis: RedisClient, tenantId: string, id: string, reason: string, status: number, nowMs: number): Promise<boolean> {
  const keys = tenantKeys(tenantId);
  const moved = await runScript(redis, scripts.deadLetterAudit, [keys.audit, keys.auditDead, pendingKeyOf(redis, tenantId), keys.dataExpiry], [offloadGroup, id, reason, status, nowMs, tenantId]);
  return Number(moved) === 1;
}

/**
 * Ends a run's visit of a tenant in one round trip: releases the lease `token` if still held, sets the
 * tenant's pending mark from what is left (removing a stale one), and counts what waits.
 */
export async function finishVisit(redis: RedisClient, tenantId: string, token: string): Promise<{ backlog: number; deadLetters: number }> {
  const keys = tenantKeys(tenantId);
  const [backlog, deadLetters] = (await runScript(redis, scripts.finishAuditVisit, [keys.auditLease, keys.audit, keys.auditDead, pendingKeyOf(redis, tenantId), keys.dataExpiry], [token, tenantId])) as [number, number];
  return { backlog: Number(backlog), deadLetters: Number(deadLetters) };
}

/** A tenant's lease: the right to work its stream, held by one run, expiring on its own if the run dies. */
export interface Lease {
  token: string;
  ms: number;
  /** Extends the lease; false once it is lost (expired and possibly taken by another run). */
  renew(): Promise<boolean>;
  release(): Promise<void>;
}

/** Takes the tenant's lease for `ms`, or null when another run holds it. */
export async function acquireLease(redis: RedisClient, keys: TenantKeys, token: string, ms: number): Promise<Lease | null> {
  const taken = await redis.set(keys.auditLease, token, 'PX', ms, 'NX');
  if (taken !== 'OK') return null;
  return {
    token,
    ms,
    async renew() {
      return Number(await runScript(redis, scripts.renewLease, [keys.auditLease], [token, ms])) === 1;
    },
    async release() {
      await runScript(redis, scripts.compareAndDelete, [keys.auditLease], [token]);
    },
  };
}
