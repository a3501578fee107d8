import { AppError } from '../errors/app-error.js';
import type { Services } from '../services.js';

/** A health route's answer (SPEC §3); readiness throws AppError('redis_unavailable'), a 503. */
export type HealthCheck = (services: Services) => Promise<{ status: string }>;

const checks = new Map<string, HealthCheck>([
  // The process is up: it answers without touching anything.
  ['/healthz', async () => ({ status: 'ok' })],
  // Redis answers: until it does, the platform sends no traffic.
  ['/readyz', readiness],
]);

/**
 * The check a request asks for, if it is `GET /healthz` or `GET /readyz`: every function answers
 * them before routing, and the local gateway under `/function/<name>/` too, through this one lookup.
 */
export function healthCheckFor(method: string, path: string): HealthCheck | undefined {
  return method === 'GET' ? checks.get(path) : undefined;
}

async function readiness(services: Services): Promise<{ status: string }> {
  try {
    await services.redis.ping();
  } catch {
    throw new AppError('redis_unavailable');
  }
  return { status: 'ready' };
}
