import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';

interface Job {
  resolve(value: string | boolean): void;
  reject(error: Error): void;
}

interface PoolWorker {
  worker: Worker;
  /** Jobs sent and not answered, in the order sent: the worker answers them in that order. */
  jobs: Map<number, Job>;
  /** Armed while a job is in hand: fires when the worker has not answered it within the bound. */
  watchdog: NodeJS.Timeout | null;
  retired: boolean;
}

/** bcrypt work for worker threads: one per CPU, each request to the least busy one. */
export interface BcryptPool {
  hash(password: string, cost: number): Promise<string>;
  compare(password: string, hash: string): Promise<boolean>;
}

export interface BcryptPoolOptions {
  /**
   * How long a worker may take over the job in hand (from when it reaches the head of that worker's
   * queue) before the job is rejected and the worker terminated and replaced. Cost 15 takes about
   * 3 s on a current core with bcryptjs; 60 s leaves room for a throttled container.
   */
  jobTimeoutMs?: number;
  /** Workers at most (default: one per CPU). */
  size?: number;
}

/**
 * The pool, or null when the worker file is not beside this module (then bcrypt runs in-thread,
 * in bcryptjs's yielding async mode). Workers start on first use and never keep the process alive.
 * Every job settles: a worker that fails to load, exits or stops answering rejects its jobs (a
 * login then answers 500) and is replaced by a fresh one on the next job.
 */
export function createBcryptPool(workerUrl: URL, { jobTimeoutMs = 60_000, size = availableParallelism() }: BcryptPoolOptions = {}): BcryptPool | null {
  if (!existsSync(fileURLToPath(workerUrl))) return null;
  const workers: PoolWorker[] = [];
  let nextId = 0;

  // Takes the worker out of the pool and rejects what it still holds; safe to call more than once
  // ('error' is followed by 'exit', a timeout by the exit it causes).
  const retire = (entry: PoolWorker, error: Error) => {
    if (!entry.retired) {
      entry.retired = true;
      workers.splice(workers.indexOf(entry), 1);
      void entry.worker.terminate();
    }
    if (entry.watchdog) clearTimeout(entry.watchdog);
    entry.watchdog = null;
    const pending = [...entry.jobs.values()];
    entry.jobs.clear();
    for (const job of pending) job.reject(error);
  };

  // The watchdog follows the oldest unanswered job: the one the worker is working on.
  const watch = (entry: PoolWorker) => {
    if (entry.watchdog) clearTimeout(entry.watchdog);
    entry.watchdog =
      entry.jobs.size === 0
        ? null
        : setTimeout(() => retire(entry, new Error(`bcrypt worker gave no answer within ${jobTimeoutMs} ms; replaced`)), jobTimeoutMs);
  };

  const start = (): PoolWorker => {
    const worker = new Worker(workerUrl);
    worker.unref();
    const entry: PoolWorker = { worker, jobs: new Map(), watchdog: null, retired: false };
    worker.on('message', ({ id, result, error }: { id: number; result?: string | boolean; error?: string }) => {
      const job = entry.jobs.get(id);
      entry.jobs.delete(id);
      watch(entry);
      if (error !== undefined || result === undefined) job?.reject(new Error(error ?? 'bcrypt worker gave no result'));
      else job?.resolve(result);
    });
    worker.on('error', (error) => retire(entry, error));
    // A worker whose module is empty or half written loads, has nothing to listen with, and exits
    // without an 'error': without this its jobs would wait forever.
    worker.on('exit', (code) => retire(entry, new Error(`bcrypt worker exited (code ${code}) before answering`)));
    workers.push(entry);
    return entry;
  };

  const leastBusy = (): PoolWorker =>
    workers.length < size ? start() : workers.reduce((best, candidate) => (candidate.jobs.size < best.jobs.size ? candidate : best));

  const run = (op: 'hash' | 'compare', password: string, arg: string | number) =>
    new Promise<string | boolean>((resolve, reject) => {
      const entry = leastBusy();
      const id = (nextId += 1);
      entry.jobs.set(id, { resolve, reject });
      if (entry.jobs.size === 1) watch(entry);
      entry.worker.postMessage({ id, op, password, arg });
    });
  return {
    hash: async (password, cost) => String(await run('hash', password, cost)),
    compare: async (password, hash) => (await run('compare', password, hash)) === true,
  };
}
