/** A write applied on the master that not enough replicas confirmed in time: it could be lost in a failover. */
export class UnconfirmedWriteError extends Error {
  override name = 'UnconfirmedWriteError';
}

/**
 * A pipelined write sent to a node that no longer (MOVED) or not yet (ASK) serves its slot: nothing
 * was applied. ioredis follows redirects for single commands, not for a pipeline whose WAIT succeeded.
 */
export class RedirectedWriteError extends Error {
  override name = 'RedirectedWriteError';
}

/** The server had no script of that hash cached (restart, failover, SCRIPT FLUSH): nothing ran. */
export function isNoScript(error: unknown): boolean {
  return error instanceof Error && error.message.startsWith('NOSCRIPT');
}

/** What a script's pipelined run came to, given the replicas its WAIT confirmed (a script's own error first). */
export function confirmedReply(scriptError: Error | null | undefined, reply: unknown, waitError: Error | null | undefined, confirmed: unknown, replicas: number): unknown {
  if (scriptError) throw scriptError;
  if (waitError) throw waitError;
  // A missing or unreadable count confirms nothing.
  if (!(Number(confirmed) >= replicas)) throw new UnconfirmedWriteError(`${String(confirmed)} of ${replicas} replicas confirmed the write`);
  return reply;
}
