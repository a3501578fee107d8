import type { AuditEntry } from './audit-entry.js';
import type { AuditQuery } from './schemas.js';

/**
 * What a write came to. Expected failures are values: `rejected` means the sink refuses something in
 * the batch (Loki's 400), so the batch is split to find it; `unavailable` means try again later.
 */
export type SinkWriteResult =
  | { ok: true }
  | { ok: false; kind: 'rejected'; status: number; reason: string }
  | { ok: false; kind: 'unavailable'; status: number | null; reason: string; retryAfterMs?: number; tenantLimited: boolean };

/** Where shipped audit events end up: Loki when LOKI_URL is set, JSON-lines files otherwise. Same pipeline for both. */
export interface AuditSink {
  readonly kind: 'loki' | 'file';
  /** Where the trail is, for people (a URL or a directory; never credentials). */
  readonly location: string;
  /** Stores one tenant's entries; resolves `ok` only once they are safely stored. Storing an entry twice must be harmless. */
  write(tenantId: string, entries: readonly AuditEntry[]): Promise<SinkWriteResult>;
  /**
   * The tenant's newest stored events (JSON lines), newest first, at most `query.limit` of those
   * `accept` takes. Throws AppError('loki_unavailable') when the store cannot answer.
   */
  read(tenantId: string, query: AuditQuery, accept: (line: string) => boolean): Promise<string[]>;
}
