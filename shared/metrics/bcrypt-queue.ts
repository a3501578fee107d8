import { series } from './catalogue.js';
import { GaugeFamily, type FamilySet } from './cells.js';

/**
 * bcrypt jobs in flight in this process, counted by shared/auth/passwords.ts. The worker pool is one
 * per process (a module of its own), so the count is too.
 */
export const bcryptQueue = { depth: 0 };

/** keyward_bcrypt_queue_depth. */
export interface BcryptMetrics {
  register(): void;
}

export function createBcryptMetrics(registry: FamilySet): BcryptMetrics {
  const gauge = new GaugeFamily(series.bcryptQueueDepth, () => [{ labels: {}, value: bcryptQueue.depth }]);
  let registered = false;
  return {
    register() {
      if (registered) return;
      registered = true;
      registry.add(gauge);
    },
  };
}
