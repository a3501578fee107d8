import type { Redis } from 'ioredis';
import type { LuaScript } from './scripts.js';
import { confirmedReply, isNoScript } from './write-errors.js';

/** How many replicas must confirm a script's effects, and how long its WAIT may block. */
export interface ReplicaWait {
  replicas: number;
  timeoutMs: number;
}

interface Member {
  script: LuaScript;
  keys: string[];
  args: (string | number)[];
  wait: ReplicaWait;
  bytes: number;
  /** Sent as EVAL: its EVALSHA found no cached script. */
  byEval: boolean;
  resolve(reply: unknown): void;
  reject(error: unknown): void;
}

/** A group stops growing at either bound; the scripts after it make another group. */
const maxScripts = 256;
const maxBytes = 1024 * 1024;

const groups = new WeakMap<Redis, CommitGroup>();

/**
 * Runs a script on `redis` in a group commit: the scripts that join during one turn of the event
 * loop go out as one pipeline, then one `WAIT replicas timeout` covering them all (WAIT confirms the
 * connection's last write, and the replication stream is ordered, so every earlier script is covered
 * too). Resolves with the script's own reply once enough replicas hold its effects, rejects with its
 * own error, or with UnconfirmedWriteError when the group's WAIT confirmed fewer replicas than it
 * asked for.
 *
 * A group does not wait for the one before it to be answered: it queues behind that group's WAIT in
 * Redis, as a request's own pipeline did, so a script still waits at most one command timeout and
 * the process's own turn is never between Redis and the next group.
 */
export function runInCommitGroup(redis: Redis, script: LuaScript, keys: string[], args: (string | number)[], wait: ReplicaWait): Promise<unknown> {
  let group = groups.get(redis);
  if (!group) {
    group = new CommitGroup(redis);
    groups.set(redis, group);
  }
  return group.join(script, keys, args, wait);
}

class CommitGroup {
  private queued: Member[] = [];
  private scheduled = false;

  constructor(private readonly redis: Redis) {}

  join(script: LuaScript, keys: string[], args: (string | number)[], wait: ReplicaWait): Promise<unknown> {
    return new Promise((resolve, reject) => {
      this.queued.push({ script, keys, args, wait, bytes: sizeOf(script, keys, args), byEval: false, resolve, reject });
      this.schedule();
    });
  }

  /**
   * At the end of this turn of the event loop (setImmediate, not nextTick: nextTick runs after each
   * socket's callback, so the requests read in one turn would each make a group of their own).
   */
  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      while (this.queued.length > 0) this.send(this.take());
    });
  }

  private send(members: Member[]): void {
    const pipeline = this.redis.pipeline();
    for (const { script, keys, args, byEval } of members) {
      if (byEval) pipeline.eval(script.source, keys.length, ...keys, ...args);
      else pipeline.evalsha(script.sha, keys.length, ...keys, ...args);
    }
    pipeline.wait(Math.max(...members.map((member) => member.wait.replicas)), Math.max(...members.map((member) => member.wait.timeoutMs)));
    pipeline.exec().then(
      (results) => this.settle(members, results ?? []),
      // The pipeline as a whole failed (never sent, connection gone): no member's outcome is known.
      (error: unknown) => {
        for (const member of members) member.reject(error);
      },
    );
  }

  /** The oldest queued scripts, up to the group's bounds (always at least one). */
  private take(): Member[] {
    let count = 0;
    let bytes = 0;
    for (const member of this.queued) {
      if (count > 0 && (count === maxScripts || bytes + member.bytes > maxBytes)) break;
      count += 1;
      bytes += member.bytes;
    }
    return this.queued.splice(0, count);
  }

  private settle(members: Member[], results: [Error | null, unknown][]): void {
    const [waitError, confirmed] = results[members.length] ?? [new Error('WAIT gave no reply'), 0];
    const resend: Member[] = [];
    members.forEach((member, index) => {
      const [scriptError, reply] = results[index] ?? [new Error(`${member.script.name} gave no reply`), null];
      // Its EVALSHA ran nothing: sent again as EVAL (which caches it), first in the next group.
      if (!member.byEval && isNoScript(scriptError)) {
        member.byEval = true;
        member.bytes += member.script.source.length;
        resend.push(member);
        return;
      }
      try {
        member.resolve(confirmedReply(scriptError, reply, waitError, confirmed, member.wait.replicas));
      } catch (error) {
        member.reject(error);
      }
    });
    if (resend.length === 0) return;
    this.queued.unshift(...resend);
    this.schedule();
  }
}

/** A script's share of a group's bytes: its source only when sent by EVAL, roughly its arguments otherwise. */
function sizeOf(script: LuaScript, keys: string[], args: (string | number)[]): number {
  let bytes = script.sha.length;
  for (const key of keys) bytes += key.length;
  for (const arg of args) bytes += typeof arg === 'string' ? arg.length : 16;
  return bytes;
}
