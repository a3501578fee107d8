import { expect } from 'vitest';
import { auditEvent } from '../../shared/audit/event.js';
import { pendingKeyOf } from '../../shared/audit/pending-tenants.js';
import type { RedisClient } from '../../shared/redis/client.js';
import { globalKeys, tenantKeys } from '../../shared/redis/keys.js';
import type { LokiStandIn } from './loki-stand-in.js';

const actions = ['create_key', 'get_key', 'update_key', 'verify_api_key', 'login_success', 'access_denied'] as const;

/**
 * Appends `count` audit events to a tenant's stream the way the Lua prelude does (same JSON shape),
 * much faster than real requests: for volume, kill and race tests. The tenant is listed in kw:tenants
 * and marked in the offload's pending set, as audit() marks it.
 * Returns the event lines in stream order.
 */
export async function writeEvents(redis: RedisClient, tenantId: string, count: number, tag: string, options: { bytes?: number } = {}): Promise<string[]> {
  await redis.sadd(globalKeys.tenants, tenantId);
  const stream = tenantKeys(tenantId).audit;
  const lines: string[] = [];
  const padding = options.bytes ? 'x'.repeat(Math.max(0, options.bytes - 200)) : undefined;
  const chunk = 2000;
  for (let start = 0; start < count; start += chunk) {
    const pipeline = redis.pipeline();
    for (let i = start; i < Math.min(count, start + chunk); i += 1) {
      const action = actions[i % actions.length] ?? 'get_key';
      const now = Date.now();
      const details = { key: `k-${i}`, ...(padding ? { note: padding } : {}) };
      const line = auditEvent({ tenantId, requestId: `${tag}-${i}`, atMs: now, actor: { type: 'user', id: `u-${i % 7}` }, action, outcome: 'success', details });
      lines.push(line);
      pipeline.xadd(stream, '*', 'event', line);
    }
    await pipeline.exec();
  }
  await redis.zadd(pendingKeyOf(redis, tenantId), 0, tenantId);
  return lines;
}

/**
 * Every line written is stored exactly once (after the stand-in's de-duplication) in its tenant's
 * org, under labels exactly {job="audit_logs", tenant_id, action}, with a nanosecond timestamp taken
 * from the event's own time; nothing else is stored in that org.
 */
export function expectExactlyOnce(loki: LokiStandIn, tenantId: string, lines: readonly string[]): void {
  const stored = loki.entries(tenantId);
  const counts = new Map<string, number>();
  for (const entry of stored) counts.set(entry.line, (counts.get(entry.line) ?? 0) + 1);
  const missing = lines.filter((line) => !counts.has(line));
  const twice = [...counts].filter(([, count]) => count > 1);
  expect(missing.length, `${tenantId}: events lost`).toBe(0);
  expect(twice.length, `${tenantId}: events stored twice`).toBe(0);
  expect(stored.length, `${tenantId}: events in the org that were never written`).toBe(lines.length);
  for (const entry of stored) {
    const event = JSON.parse(entry.line) as { tenant_id: string; action: string; timestamp: string };
    expect(entry.labels).toEqual({ job: 'audit_logs', tenant_id: tenantId, action: event.action });
    expect(event.tenant_id).toBe(tenantId);
    expect(entry.ts).toMatch(/^\d{19}$/);
    expect(entry.ts.slice(0, -6)).toBe(String(Date.parse(event.timestamp)));
  }
}

/** No entry of any org carries another tenant's event or label. */
export function expectNoLeaks(loki: LokiStandIn): void {
  for (const entry of loki.entries()) {
    const event = JSON.parse(entry.line) as { tenant_id: string };
    expect(entry.labels.tenant_id).toBe(entry.org);
    expect(event.tenant_id).toBe(entry.org);
  }
}
