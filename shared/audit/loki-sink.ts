import { AppError } from '../errors/app-error.js';
import type { LokiClient } from '../loki/loki-client.js';
import type { AuditEntry } from './audit-entry.js';
import type { AuditSink, SinkWriteResult } from './sink.js';
import type { AuditQuery } from './schemas.js';

/** The labels of every audit stream, exactly these (SPEC §7): `{job="audit_logs", tenant_id, action}`. */
export const auditJob = 'audit_logs';

/** Loki's default `max_query_length` is 721h: a read asks for at most 720h at a time. */
const queryWindowMs = 720 * 3600 * 1000;
/** Without `since`, a read looks back this far (one window). */
const defaultLookbackMs = queryWindowMs;
/** Events stamped by a replica whose clock runs a little ahead are still found. */
const clockSlackMs = 5 * 60 * 1000;

/**
 * The push body for one tenant's batch: one stream object per (tenant_id, action) label set, each
 * with its `[ns timestamp, line]` values. The tenant comes from the stream the events were read from,
 * never from the events themselves.
 */
export function lokiPushBody(tenantId: string, entries: readonly AuditEntry[]): string {
  const byAction = new Map<string, string[]>();
  for (const entry of entries) {
    let values = byAction.get(entry.action);
    if (!values) byAction.set(entry.action, (values = []));
    values.push(`["${entry.timestampNs}",${JSON.stringify(entry.line)}]`);
  }
  const tenant = JSON.stringify(tenantId);
  const streams = [...byAction].map(
    ([action, values]) => `{"stream":{"job":"${auditJob}","tenant_id":${tenant},"action":${JSON.stringify(action)}},"values":[${values.join(',')}]}`,
  );
  return `{"streams":[${streams.join(',')}]}`;
}

/** A LogQL stream selector for one tenant's audit events (and one action). */
export function auditSelector(tenantId: string, action?: string): string {
  const matchers = [`job="${auditJob}"`, `tenant_id=${logqlString(tenantId)}`];
  if (action !== undefined) matchers.push(`action=${logqlString(action)}`);
  return `{${matchers.join(', ')}}`;
}

/**
 * The selector and, for the filters that are no label, line filters matching the member exactly as
 * the event's JSON holds it (`"key_id":"key_..."`; events are written without spaces).
 */
export function auditQuery(tenantId: string, query: Pick<AuditQuery, 'action' | 'key_id' | 'identity_id' | 'outcome'>): string {
  const members = (['key_id', 'identity_id', 'outcome'] as const).filter((name) => query[name] !== undefined).map((name) => `"${name}":${JSON.stringify(query[name])}`);
  return [auditSelector(tenantId, query.action), ...members.map((member) => `|= ${logqlString(member)}`)].join(' ');
}

/** Loki as the audit sink: pushes in the tenant's org (`X-Scope-OrgID`), reads with query_range in the same org. */
export function createLokiSink(client: LokiClient, location: string): AuditSink {
  return {
    kind: 'loki',
    location,
    async write(tenantId, entries): Promise<SinkWriteResult> {
      if (entries.length === 0) return { ok: true };
      const result = await client.push(tenantId, lokiPushBody(tenantId, entries));
      if (result.ok) return { ok: true };
      const { status, reason } = result;
      // 400: an entry Loki refuses (too old, too long, ...); Loki stores the rest of the batch. 413: too big as a whole.
      if (status === 400 || status === 413) return { ok: false, kind: 'rejected', status, reason };
      return {
        ok: false,
        kind: 'unavailable',
        status,
        reason,
        tenantLimited: status === 429,
        ...(result.retryAfterMs !== undefined ? { retryAfterMs: result.retryAfterMs } : {}),
      };
    },
    async read(tenantId, query, accept) {
      const selector = auditQuery(tenantId, query);
      const endMs = (query.until ?? Date.now() + clockSlackMs) + 1; // `until` is inclusive, Loki's `end` exclusive
      const floorMs = query.since ?? endMs - defaultLookbackMs;
      const found: { ts: string; line: string }[] = [];
      const seen = new Set<string>();
      // Newest window first, back to `since`, until `limit` lines are found.
      for (let windowEnd = endMs; windowEnd > floorMs && found.length < query.limit; windowEnd -= queryWindowMs) {
        const windowStart = Math.max(floorMs, windowEnd - queryWindowMs);
        let streams;
        try {
          streams = await client.queryRange(tenantId, {
            query: selector,
            start: `${windowStart}000000`,
            end: `${windowEnd}000000`,
            limit: query.limit,
            direction: 'backward',
          });
        } catch (error) {
          throw new AppError('loki_unavailable', undefined, { cause: error });
        }
        const window: { ts: string; line: string }[] = [];
        for (const stream of streams) {
          // Loki answers for the org it was asked; a stream of another tenant would be a Loki bug: not shown.
          if (stream.stream.tenant_id !== tenantId) continue;
          for (const [ts, line] of stream.values) {
            if (seen.has(line)) continue;
            seen.add(line);
            if (accept(line)) window.push({ ts, line });
          }
        }
        window.sort((a, b) => compareNs(b.ts, a.ts));
        found.push(...window.slice(0, query.limit - found.length));
      }
      return found.map((entry) => entry.line);
    },
  };
}

/** Orders decimal nanosecond strings without converting them (they exceed a double's precision). */
function compareNs(a: string, b: string): number {
  return a.length - b.length || (a < b ? -1 : a > b ? 1 : 0);
}

/** A LogQL double-quoted string. Tenant ids and actions are already restricted; this keeps it so. */
function logqlString(value: string): string {
  return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}
