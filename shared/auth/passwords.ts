import bcrypt from 'bcryptjs';
import { bcryptQueue } from '../metrics/bcrypt-queue.js';
import { createBcryptPool } from './bcrypt-pool.js';
import * as z from 'zod';

/** bcrypt reads only the first 72 bytes; longer passwords are refused, never truncated. */
export const maxPasswordBytes = 72;

export const PasswordSchema = z
  .string()
  .min(8, 'Password must be at least 8 characters')
  .refine((password) => Buffer.byteLength(password, 'utf8') <= maxPasswordBytes, {
    message: `Password must be at most ${maxPasswordBytes} bytes (bcrypt's limit)`,
  });

const pool = createBcryptPool(new URL('./bcrypt-worker.mjs', import.meta.url));

/** A bcrypt hash, computed off the event loop (worker threads) when the worker file is there. */
export function hashPassword(password: string, cost: number): Promise<string> {
  return counted(pool ? pool.hash(password, cost) : bcrypt.hash(password, cost));
}

export function verifyPassword(password: string, hash: string): Promise<boolean> {
  return counted(pool ? pool.compare(password, hash) : bcrypt.compare(password, hash));
}

/** Counts the job while it waits or runs: keyward_bcrypt_queue_depth. */
async function counted<T>(job: Promise<T>): Promise<T> {
  bcryptQueue.depth += 1;
  try {
    return await job;
  } finally {
    bcryptQueue.depth -= 1;
  }
}

const dummyHashes = new Map<number, Promise<string>>();

/** A hash no password matches, checked against when a username is unknown so both paths take as long. */
export function dummyHash(cost: number): Promise<string> {
  const known = dummyHashes.get(cost);
  if (known) return known;
  const hash = hashPassword(`no such user ${Math.random()}`, cost);
  dummyHashes.set(cost, hash);
  // A failed hash (a bcrypt worker that died) is not kept: the next login tries again.
  hash.catch(() => {
    if (dummyHashes.get(cost) === hash) dummyHashes.delete(cost);
  });
  return hash;
}
