/**
 * A token bucket in bytes: keeps one tenant's pushes under Loki's per-tenant ingestion rate
 * (4 MB/s and a 6 MB burst by default) so a large backlog is shipped, not answered with 429s.
 */
export interface Pacer {
  /** Waits until `bytes` may be sent. */
  take(bytes: number): Promise<void>;
}

export function createPacer(bytesPerSecond: number, burstBytes: number, sleep: (ms: number) => Promise<void>): Pacer {
  let tokens = burstBytes;
  let last = performance.now();
  return {
    async take(bytes) {
      const now = performance.now();
      tokens = Math.min(burstBytes, tokens + ((now - last) / 1000) * bytesPerSecond);
      last = now;
      tokens -= bytes;
      if (tokens < 0) await sleep((-tokens / bytesPerSecond) * 1000);
    },
  };
}
