import type * as PromClient from 'prom-client';
import type { Family, FamilySet, HistogramFamily } from './cells.js';

type Prom = typeof PromClient;
type PromMetric = PromClient.Counter<string> | PromClient.Gauge<string> | PromClient.Histogram<string>;

/** The content type of an exposition (Prometheus text format 0.0.4, prom-client's default). */
export const expositionContentType = 'text/plain; version=0.0.4; charset=utf-8';

/**
 * prom-client's gauges named like counters (`*_total`), which `promtool check metrics` refuses;
 * each repeats the sum of the typed series beside it (nodejs_active_handles{type} and so on).
 */
const misnamed = ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total'];

interface Bridge {
  render(sets: readonly FamilySet[]): Promise<string>;
}

let bridge: Promise<Bridge> | undefined;

/**
 * The Prometheus text of the process's default metrics, then of `sets` (one prom-client Registry
 * each, never the global one), combined with AggregatorRegistry: series of one name from several
 * registries (the local gateway's functions) become one family, kept apart by their labels.
 * prom-client is loaded here, at the first scrape, not at start.
 */
export async function renderExposition(sets: readonly FamilySet[]): Promise<string> {
  bridge ??= import('prom-client').then(createBridge);
  return (await bridge).render(sets);
}

function createBridge(prom: Prom): Bridge {
  /**
   * A histogram answered from its cells. prom-client's Histogram has no way to be refilled in bulk,
   * so this one answers `get()` (read by getMetricsAsJSON, which the aggregation reads) from the
   * cells, in the shape prom-client's own has.
   */
  class CellHistogram extends prom.Histogram<string> {
    constructor(private readonly family: HistogramFamily) {
      const { name, help, labelNames, buckets } = family.spec;
      super({ name, help, labelNames: [...labelNames], buckets: [...buckets], registers: [] });
    }

    override async get(): Promise<Awaited<ReturnType<PromClient.Histogram<string>['get']>>> {
      const { name, help, buckets } = this.family.spec;
      const values: { labels: Record<string, string | number>; value: number; metricName: string }[] = [];
      for (const cell of this.family.cells) {
        let cumulative = 0;
        buckets.forEach((bound, index) => {
          cumulative += cell.counts[index] ?? 0;
          values.push({ labels: { ...cell.labels, le: bound }, value: cumulative, metricName: `${name}_bucket` });
        });
        values.push(
          { labels: { ...cell.labels, le: '+Inf' }, value: cell.count, metricName: `${name}_bucket` },
          { labels: { ...cell.labels }, value: cell.sum, metricName: `${name}_sum` },
          { labels: { ...cell.labels }, value: cell.count, metricName: `${name}_count` },
        );
      }
      // prom-client's typings declare `type` a numeric enum it does not export; at run time it reads and writes the string.
      return { name, help, type: 'histogram', aggregator: 'sum', values } as unknown as Awaited<ReturnType<PromClient.Histogram<string>['get']>>;
    }

    /** What Registry#metrics() asks a histogram for. */
    getForPromString() {
      return this.get();
    }
  }

  const metricOf = (family: Family): PromMetric => {
    const { name, help } = family.spec;
    const labelNames = [...family.spec.labelNames];
    switch (family.kind) {
      case 'counter':
        return new prom.Counter({
          name,
          help,
          labelNames,
          registers: [],
          collect() {
            this.reset();
            for (const cell of family.cells) this.inc(cell.labels, cell.value);
          },
        });
      case 'histogram':
        return new CellHistogram(family);
      case 'gauge':
        return new prom.Gauge({
          name,
          help,
          labelNames,
          registers: [],
          async collect() {
            const samples = await family.read();
            this.reset();
            for (const sample of samples) this.set(sample.labels, sample.value);
          },
        });
    }
  };

  // The process's default metrics (CPU, memory, event loop lag, GC, handles): once per process,
  // however many services it builds (the tests build several), counted from the first scrape on.
  const processRegistry = new prom.Registry();
  prom.collectDefaultMetrics({ register: processRegistry });
  for (const name of misnamed) processRegistry.removeSingleMetric(name);

  const registries = new WeakMap<FamilySet, PromClient.Registry>();
  const made = new WeakSet<Family>();
  return {
    async render(sets) {
      const recorded = await Promise.all(
        sets.map((set) => {
          let registry = registries.get(set);
          if (!registry) {
            registry = new prom.Registry();
            registries.set(set, registry);
          }
          for (const family of set.families) {
            if (made.has(family)) continue;
            made.add(family);
            registry.registerMetric(metricOf(family));
          }
          return registry.getMetricsAsJSON();
        }),
      );
      const combined = prom.AggregatorRegistry.aggregate<PromClient.PrometheusContentType>(recorded);
      return `${await processRegistry.metrics()}\n${await combined.metrics()}`;
    },
  };
}
