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
      await appendFile(fileOf(tenantId), `${events.join('\n')}\n`, { flush: true });
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
