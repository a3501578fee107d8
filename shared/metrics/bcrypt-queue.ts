import { Gauge, type Registry } from 'prom-client';
import { series } from './catalogue.js';

/**
 * bcrypt jobs in flight in this process, counted by shared/auth/passwords.ts. The worker pool is one
 * per process (a module of its own), so the count is too.
 */
export const bcryptQueue = { depth: 0 };

/** keyward_bcrypt_queue_depth. */
export interface BcryptMetrics {
  register(): void;
}

export function createBcryptMetrics(registry: Registry): BcryptMetrics {
  const gauge = new Gauge({
    name: series.bcryptQueueDepth.name,
    help: series.bcryptQueueDepth.help,
    registers: [],
    collect() {
      this.set(bcryptQueue.depth);
    },
  });
  let registered = false;
  return {
    register() {
      if (registered) return;
      registered = true;
      registry.registerMetric(gauge);
    },
  };
}
