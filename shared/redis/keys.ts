import { keySlot, slotTag } from './slot-tags.js';

/**
 * Every Redis key keyward uses is built here and nowhere else.
 *
 * A tenant's keys all carry the hash tag `{t:<tenant>}`, so on Redis Cluster they share one slot and
 * one Lua script can touch all of them (operation, principal check and audit append together).
 * Global keys are few, and each is read alone: tenant list, username claims, API-key hash → tenant,
 * login-failure counters. One is written by tenant scripts, the offload's pending-tenants set: on
 * Cluster it is kept once per hash slot (auditPendingInSlot), in the slot of the tenants it holds.
 */
export function tenantKeys(tenantId: string): TenantKeys {
  let keys = recent.get(tenantId);
  if (!keys) {
    // Built once per tenant (a bounded memo): request paths ask for them on every call.
    if (recent.size >= 1000) recent.clear();
    keys = buildTenantKeys(tenantId);
    recent.set(tenantId, keys);
  }
  return keys;
}

function buildTenantKeys(tenantId: string) {
  const prefix = `kw:{t:${tenantId}}:`;
  return {
    prefix,
    tenant: `${prefix}tenant`,
    /** Events waiting for the offload (a stream read through the consumer group `offload`). */
    audit: `${prefix}audit`,
    /** Events Loki refused (400), kept aside with its reason: never dropped. */
    auditDead: `${prefix}audit-dead`,
    /** Held by the one offload run working this tenant (value: the run's token, with an expiry). */
    auditLease: `${prefix}audit-lease`,
    users: `${prefix}users`,
    user: (username: string) => `${prefix}user:${username}`,
    revokedToken: (jti: string) => `${prefix}revoked:${jti}`,
    operation: (operationId: string) => `${prefix}op:${operationId}`,
    dataIndex: `${prefix}data-index`,
    dataExpiry: `${prefix}data-expiry`,
    dataItemPrefix: `${prefix}data:`,
    dataItem: (key: string) => `${prefix}data:${key}`,
    apiKeyIndex: `${prefix}apikeys`,
    apiKeyHashes: `${prefix}apikey-hashes`,
    apiKeyPrefix: `${prefix}apikey:`,
    apiKey: (keyId: string) => `${prefix}apikey:${keyId}`,
    /** Identities (the customers a tenant issues keys to): records, their lex index, external_id → id. */
    identityIndex: `${prefix}identities`,
    identityExternalIds: `${prefix}identity-external-ids`,
    identityPrefix: `${prefix}identity:`,
    identity: (identityId: string) => `${prefix}identity:${identityId}`,
    /** Usage: `<prefix>k:<key id>|i:<identity id>|t` `:h:<day start ms>` (a day's hours) or `:d:<30-day block start ms>` (its days); lib/usage.lua. */
    usagePrefix: `${prefix}usage:`,
  };
}

export type TenantKeys = ReturnType<typeof buildTenantKeys>;

const recent = new Map<string, TenantKeys>();

export const globalKeys = {
  tenants: 'kw:tenants',
  username: (username: string) => `kw:username:${username}`,
  apiKeyTenant: (keyHash: string) => `kw:apikey:${keyHash}`,
  loginFailuresByUser: (username: string) => `kw:login-failures:user:${username}`,
  loginFailuresByAddress: (address: string) => `kw:login-failures:addr:${address}`,
  /**
   * Set with `SET NX PX <AUDIT_MIN_RUN_INTERVAL_MS>` when an offload run starts (value: its run_id):
   * while it exists no replica starts another. Read alone, so it needs no hash tag on Redis Cluster.
   */
  offloadRecentRun: 'kw:audit-offload:recent-run',
  /** Set for a window once a username's throttled attempts have been audited, so they are audited once a window. */
  loginThrottleAudited: (username: string) => `kw:login-throttled:user:${username}`,
  /**
   * The tenants the offload must visit (sorted set: member tenant id, score 0 = events to ship, else
   * the time of its next data expiry), on a single Redis. On Cluster there is one per hash slot:
   * auditPendingInSlot. Kept exact by the scripts that append events and those that ship them.
   */
  auditPending: 'kw:audit-pending',
  /** Set once every tenant with events written before the pending set existed has been added to it. */
  auditPendingSurveyed: 'kw:audit-pending:surveyed',
};

/** On Redis Cluster, the pending-tenants set of one hash slot: it holds the tenants whose keys live in that slot. */
export function auditPendingInSlot(slot: number): string {
  return `kw:{${slotTag(slot)}}:audit-pending`;
}

/** The slot of a tenant's keys (all carry its hash tag). */
export function tenantSlot(tenantId: string): number {
  return keySlot(tenantKeys(tenantId).prefix);
}

/** The pattern matching every key of one tenant (for the admin CLI's delete). */
export function tenantKeyPattern(tenantId: string): string {
  return `kw:{t:${tenantId}}:*`;
}
