import { appendFile, mkdir, open } from 'node:fs/promises';
import { join } from 'node:path';
import { isTenantId } from '../tenancy/tenant-id.js';

/** Where shipped audit events end up: Loki in production, JSON-lines files locally. */
export interface AuditSink {
  /** Stores one tenant's events (JSON lines); resolves only once they are safely stored. */
  write(tenantId: string, events: readonly string[]): Promise<void>;
  /** The tenant's newest stored events (JSON lines), at most `limit` matching `accept`. */
  readNewest(tenantId: string, limit: number, accept: (event: string) => boolean): Promise<string[]>;
}

const tailBytes = 8 * 1024 * 1024;

/** `<dir>/<tenant>.jsonl`, one event a line: the local trail when no Loki is configured. */
export function createFileSink(dir: string): AuditSink {
  const fileOf = (tenantId: string) => {
    if (!isTenantId(tenantId)) throw new Error('invalid tenant id');
    return join(dir, `${tenantId}.jsonl`);
  };
  return {
    async write(tenantId, events) {
      if (events.length === 0) return;
      await mkdir(dir, { recursive: true });
      const file = fileOf(tenantId);
      // After a crash mid-write the file may end in a torn line: start on a fresh one.
      const separator = (await endsWithNewline(file)) ? '' : '\n';
      await appendFile(file, `${separator}${events.join('\n')}\n`, { flush: true });
    },
    async readNewest(tenantId, limit, accept) {
      let handle;
      try {
        handle = await open(fileOf(tenantId), 'r');
      } catch {
        return [];
      }
      try {
        const { size } = await handle.stat();
        const start = Math.max(0, size - tailBytes);
        const buffer = Buffer.alloc(size - start);
        await handle.read(buffer, 0, buffer.length, start);
        const lines = buffer.toString('utf8').split('\n');
        if (start > 0) lines.shift();
        const found: string[] = [];
        for (let i = lines.length - 1; i >= 0 && found.length < limit; i -= 1) {
          const line = lines[i];
          if (line && accept(line)) found.push(line);
        }
        return found;
      } finally {
        await handle.close();
      }
    },
  };
}

async function endsWithNewline(file: string): Promise<boolean> {
  let handle;
  try {
    handle = await open(file, 'r');
  } catch {
    return true;
  }
  try {
    const { size } = await handle.stat();
    if (size === 0) return true;
    const last = Buffer.alloc(1);
    await handle.read(last, 0, 1, size - 1);
    return last[0] === 0x0a;
  } finally {
    await handle.close();
  }
}
