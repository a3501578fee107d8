/** One audit event on its way to the sink: where it sits in Redis, its Loki timestamp and label, and the line itself. */
export interface AuditEntry {
  /** The stream entry id, `<ms>-<seq>`. */
  id: string;
  /** Nanoseconds since the epoch as a decimal string, derived from the event only: a re-send is byte-identical. */
  timestampNs: string;
  /** The `action` label. */
  action: string;
  /** The event JSON, exactly as stored. */
  line: string;
  /** UTF-8 size of the line. */
  bytes: number;
}

/**
 * Builds the entry for a stream entry's event. The timestamp is the event's own millisecond time ×
 * 10^6 plus a sub-millisecond part taken from the entry id (its millisecond's last three digits and
 * its sequence), so events of one millisecond keep distinct timestamps and every re-send of an event
 * carries the same one: Loki drops the repeat as a duplicate (same labels, timestamp and line).
 */
export function toAuditEntry(id: string, line: string): AuditEntry {
  let eventMs = Number.NaN;
  let action = 'unknown';
  try {
    const event = JSON.parse(line) as { timestamp?: unknown; action?: unknown };
    if (typeof event.timestamp === 'string') eventMs = Date.parse(event.timestamp);
    if (typeof event.action === 'string' && event.action !== '') action = event.action;
  } catch {
    // Events are built by our own Lua scripts; an unreadable one still ships, under action "unknown".
  }
  if (!Number.isSafeInteger(eventMs) || eventMs < 0) eventMs = streamMs(id);
  return { id, timestampNs: nanoTimestamp(eventMs, id), action, line, bytes: Buffer.byteLength(line) };
}

/** `eventMs` × 10^6 plus the entry id's sub-millisecond part, as a decimal string (too big for a double). */
export function nanoTimestamp(eventMs: number, id: string): string {
  const dash = id.indexOf('-');
  const ms = Number(id.slice(0, dash));
  const seq = Number(id.slice(dash + 1));
  const sub = (ms % 1000) * 1000 + (seq % 1000);
  return `${eventMs}${String(sub).padStart(6, '0')}`;
}

function streamMs(id: string): number {
  return Number(id.slice(0, id.indexOf('-')));
}
