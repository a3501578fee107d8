import { collectDefaultMetrics, Registry } from 'prom-client';

/**
 * prom-client's gauges named like counters (`*_total`), which `promtool check metrics` refuses;
 * each repeats the sum of the typed series beside it (nodejs_active_handles{type} and so on).
 */
const misnamed = ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total'];

let registry: Registry | undefined;

/**
 * The process's default metrics (CPU, memory, event loop lag, GC, handles), collected once per
 * process however many services it builds (the tests build several): a registry of its own that
 * every exposition of the process starts with. Made on first call, so a process that serves no
 * metrics (the admin CLI) starts no collector.
 */
export function processMetrics(): Registry {
  if (!registry) {
    registry = new Registry();
    collectDefaultMetrics({ register: registry });
    for (const name of misnamed) registry.removeSingleMetric(name);
  }
  return registry;
}
