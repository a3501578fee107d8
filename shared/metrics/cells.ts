import { Counter, Histogram } from 'prom-client';

/**
 * Series whose hot path is arithmetic on numbers held by the caller ("cells"), read by prom-client
 * only when scraped. prom-client's own `inc(labels)` and `observe(labels, v)` build a label string
 * (its hash key) and check the labels on every call; a request here records into cells it looked
 * up once, so recording it costs a few additions, whatever the labels.
 */

export type Labels = Readonly<Record<string, string>>;

/** One series of a counter. */
export class CounterCell {
  value = 0;
  constructor(readonly labels: Labels) {}

  inc(by = 1): void {
    this.value += by;
  }
}

/** One series of a histogram: a count per bucket (not cumulative), the sum and the count. */
export class HistogramCell {
  readonly counts: number[];
  sum = 0;
  count = 0;

  constructor(
    readonly labels: Labels,
    private readonly bounds: readonly number[],
  ) {
    this.counts = bounds.map(() => 0);
  }

  observe(value: number): void {
    const { bounds, counts } = this;
    let bucket = 0;
    while (bucket < bounds.length && value > (bounds[bucket] ?? Infinity)) bucket += 1;
    // Past the last bound: only +Inf, which is the count.
    if (bucket < counts.length) counts[bucket] = (counts[bucket] ?? 0) + 1;
    this.sum += value;
    this.count += 1;
  }
}

export interface FamilySpec {
  name: string;
  help: string;
  labelNames: readonly string[];
}

/** A counter whose series are cells: prom-client's Counter, refilled from them when scraped. */
export class CellCounter {
  readonly metric: Counter<string>;
  private readonly cells: CounterCell[] = [];

  constructor(spec: FamilySpec) {
    const cells = this.cells;
    this.metric = new Counter({
      name: spec.name,
      help: spec.help,
      labelNames: [...spec.labelNames],
      registers: [],
      collect() {
        this.reset();
        for (const cell of cells) this.inc(cell.labels, cell.value);
      },
    });
  }

  /** A new series (call once per label set, then keep it). */
  cell(labels: Labels = {}): CounterCell {
    const cell = new CounterCell(labels);
    this.cells.push(cell);
    return cell;
  }
}

type HistogramSnapshot = Awaited<ReturnType<Histogram<string>['get']>>;

/**
 * A histogram whose series are cells. prom-client's Histogram has no way to be refilled in bulk,
 * so this one answers `get()` (read by getMetricsAsJSON and AggregatorRegistry) and
 * `getForPromString()` (read by Registry#metrics) from the cells, in prom-client's own shape.
 */
export class CellHistogram extends Histogram<string> {
  private readonly cells: HistogramCell[] = [];
  private readonly spec: FamilySpec & { buckets: readonly number[] };

  constructor(spec: FamilySpec & { buckets: readonly number[] }) {
    super({ name: spec.name, help: spec.help, labelNames: [...spec.labelNames], buckets: [...spec.buckets], registers: [] });
    this.spec = spec;
  }

  /** A new series (call once per label set, then keep it). */
  cell(labels: Labels = {}): HistogramCell {
    const cell = new HistogramCell(labels, this.spec.buckets);
    this.cells.push(cell);
    return cell;
  }

  override async get(): Promise<HistogramSnapshot> {
    const { name, help, buckets } = this.spec;
    const values: { labels: Record<string, string | number>; value: number; metricName: string }[] = [];
    for (const cell of this.cells) {
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
    return { name, help, type: 'histogram', aggregator: 'sum', values } as unknown as HistogramSnapshot;
  }

  /** What Registry#metrics() asks a histogram for. */
  getForPromString(): Promise<HistogramSnapshot> {
    return this.get();
  }
}
