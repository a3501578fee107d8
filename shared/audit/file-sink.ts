import { appendFile, mkdir, open } from 'node:fs/promises';
import { join } from 'node:path';
import { isTenantId } from '../tenancy/tenant-id.js';
import type { AuditSink } from './sink.js';

/** How much of a trail's end a read looks at. */
const readTailBytes = 8 * 1024 * 1024;
/** Slack beyond a batch's own size when looking for lines a crashed run already wrote. */
const writeTailSlack = 64 * 1024;

/**
 * `<dir>/<tenant>.jsonl`, one event a line: the local trail when no Loki is configured.
 *
 * At least once upstream means a batch may come again after a crash between writing it and
 * acknowledging it in Redis. A re-sent batch is always the first thing the next run writes for that
 * tenant (the lease keeps one writer per tenant, and a run sends its own pending entries first), so
 * its lines are in the file's tail: lines found there are not written twice. A duplicate further back
 * is possible only in unusual interleavings, and GET /audit-logs shows each line once anyway.
 */
export function createFileSink(dir: string): AuditSink {
  const fileOf = (tenantId: string) => {
    if (!isTenantId(tenantId)) throw new Error('invalid tenant id');
    return join(dir, `${tenantId}.jsonl`);
  };
  return {
    kind: 'file',
    location: dir,
    async write(tenantId, entries) {
      if (entries.length === 0) return { ok: true };
      await mkdir(dir, { recursive: true });
      const file = fileOf(tenantId);
      const batchBytes = entries.reduce((sum, entry) => sum + entry.bytes + 1, 0);
      const tail = await readTail(file, batchBytes + writeTailSlack);
      const present = new Set(tail.text.split('\n'));
      const lines = entries.map((entry) => entry.line).filter((line) => !present.has(line));
      if (lines.length === 0) return { ok: true };
      // After a crash mid-write the file may end in a torn line: start on a fresh one.
      const separator = tail.text === '' || tail.text.endsWith('\n') ? '' : '\n';
      await appendFile(file, `${separator}${lines.join('\n')}\n`, { flush: true });
      return { ok: true };
    },
    async read(tenantId, query, accept) {
      const { text, truncated } = await readTail(fileOf(tenantId), readTailBytes);
      const lines = text.split('\n');
      if (truncated) lines.shift();
      const found: string[] = [];
      const seen = new Set<string>();
      for (let i = lines.length - 1; i >= 0 && found.length < query.limit; i -= 1) {
        const line = lines[i];
        if (!line || seen.has(line)) continue;
        seen.add(line);
        if (accept(line)) found.push(line);
      }
      return found;
    },
  };
}

/** The last `bytes` of a file as text ('' when it does not exist); `truncated` when the file is longer. */
async function readTail(file: string, bytes: number): Promise<{ text: string; truncated: boolean }> {
  let handle;
  try {
    handle = await open(file, 'r');
  } catch {
    return { text: '', truncated: false };
  }
  try {
    const { size } = await handle.stat();
    const start = Math.max(0, size - bytes);
    const buffer = Buffer.alloc(size - start);
    await handle.read(buffer, 0, buffer.length, start);
    return { text: buffer.toString('utf8'), truncated: start > 0 };
  } finally {
    await handle.close();
  }
}
