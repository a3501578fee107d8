/**
 * The offload's one global Redis key. Every key belongs in shared/redis/keys.ts (`globalKeys`); this
 * one waits here only because keys.ts is being changed on another branch: move it there and import
 * it from there, then delete this file.
 */
export const offloadKeys = {
  /**
   * Set with `SET NX PX <AUDIT_MIN_RUN_INTERVAL_MS>` when a run starts (value: its run_id): while it
   * exists no replica starts another. Read alone, so it needs no hash tag on Redis Cluster.
   */
  recentRun: 'kw:audit-offload:recent-run',
};
