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
  jobs: Map<number, Job>;
}

/** bcrypt work for worker threads: one per CPU, each request to the least busy one. */
export interface BcryptPool {
  hash(password: string, cost: number): Promise<string>;
  compare(password: string, hash: string): Promise<boolean>;
}

/**
 * The pool, or null when the worker file is not beside this module (then bcrypt runs in-thread,
 * in bcryptjs's yielding async mode). Workers start on first use and never keep the process alive.
 */
export function createBcryptPool(workerUrl: URL): BcryptPool | null {
  if (!existsSync(fileURLToPath(workerUrl))) return null;
  const workers: PoolWorker[] = [];
  let nextId = 0;
  const leastBusy = (): PoolWorker => {
    if (workers.length < availableParallelism()) {
      const worker = new Worker(workerUrl);
      worker.unref();
      const entry: PoolWorker = { worker, jobs: new Map() };
      worker.on('message', ({ id, result, error }: { id: number; result?: string | boolean; error?: string }) => {
        const job = entry.jobs.get(id);
        entry.jobs.delete(id);
        if (error !== undefined || result === undefined) job?.reject(new Error(error ?? 'bcrypt worker gave no result'));
        else job?.resolve(result);
      });
      worker.on('error', (error) => {
        for (const job of entry.jobs.values()) job.reject(error);
        workers.splice(workers.indexOf(entry), 1);
      });
      workers.push(entry);
      return entry;
    }
    return workers.reduce((best, candidate) => (candidate.jobs.size < best.jobs.size ? candidate : best));
  };
  const run = (op: 'hash' | 'compare', password: string, arg: string | number) =>
    new Promise<string | boolean>((resolve, reject) => {
      const entry = leastBusy();
      const id = (nextId += 1);
      entry.jobs.set(id, { resolve, reject });
      entry.worker.postMessage({ id, op, password, arg });
    });
  return {
    hash: async (password, cost) => String(await run('hash', password, cost)),
    compare: async (password, hash) => (await run('compare', password, hash)) === true,
  };
}
