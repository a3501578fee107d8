// Small statistics for the bench's figures.

/** The value at quantile q (0..1) of the values, nearest rank below; 0 for none. */
export function quantile(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
}

export function median(values: number[]): number {
  return quantile(values, 0.5);
}

export function round1(value: number): number {
  return Math.round(value * 10) / 10;
}

export function round2(value: number): number {
  return Math.round(value * 100) / 100;
}

/** a ÷ b, or null when there is no b to divide by. */
export function ratio(a: number, b: number | undefined): number | null {
  return b ? a / b : null;
}
