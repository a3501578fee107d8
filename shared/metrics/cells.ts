/**
 * Series whose hot path is arithmetic on numbers held by the caller ("cells"). prom-client's own
 * `inc(labels)` and `observe(labels, v)` build a label string (its hash key) and check the labels
 * on every call; a request here records into cells it looked up once, so recording it costs a few
 * additions, whatever the labels. prom-client reads the cells only when scraped (exposition.ts),
 * and is not even loaded before the first scrape: a function's cold start does not pay for it.
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

/** A counter's series, each a cell made once (call `cell` once per label set, then keep it). */
export class CounterFamily {
  readonly kind = 'counter';
  readonly cells: CounterCell[] = [];
  constructor(readonly spec: FamilySpec) {}

  cell(labels: Labels = {}): CounterCell {
    const cell = new CounterCell(labels);
    this.cells.push(cell);
    return cell;
  }
}

export class HistogramFamily {
  readonly kind = 'histogram';
  readonly cells: HistogramCell[] = [];
  constructor(readonly spec: FamilySpec & { buckets: readonly number[] }) {}

  cell(labels: Labels = {}): HistogramCell {
    const cell = new HistogramCell(labels, this.spec.buckets);
    this.cells.push(cell);
    return cell;
  }
}

export interface GaugeSample {
  labels: Labels;
  value: number;
}

/** A gauge read when scraped: `read` answers its series' current values. */
export class GaugeFamily {
  readonly kind = 'gauge';
  constructor(
    readonly spec: FamilySpec,
    readonly read: () => GaugeSample[] | Promise<GaugeSample[]>,
  ) {}
}

export type Family = CounterFamily | HistogramFamily | GaugeFamily;

/** The families of one registry (a function's, or the process's): what its exposition is made of. */
export class FamilySet {
  readonly families: Family[] = [];

  add(...families: Family[]): void {
    for (const family of families) if (!this.families.includes(family)) this.families.push(family);
  }
}
