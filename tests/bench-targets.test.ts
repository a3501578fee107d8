import { describe, expect, it } from 'vitest';
import { formatFigure, issue15Targets, targetsTable, verdict, type Target, type TargetFigures } from './bench/targets.js';

const target = (measured: number | null, bound: Target['bound'], limit: number): Target => ({ figure: 'x', measured, unit: '×', bound, limit });

describe('bench: target verdicts', () => {
  it('"at most" is met at the bound and missed above it', () => {
    expect(verdict(target(1.5, 'at most', 1.5))).toBe('met');
    expect(verdict(target(1.51, 'at most', 1.5))).toBe('missed');
  });

  it('"below" is missed at the bound', () => {
    expect(verdict(target(199, 'below', 200))).toBe('met');
    expect(verdict(target(200, 'below', 200))).toBe('missed');
  });

  it('"at least" is met at the bound and missed below it', () => {
    expect(verdict(target(0.8, 'at least', 0.8))).toBe('met');
    expect(verdict(target(0.79, 'at least', 0.8))).toBe('missed');
  });

  it('a figure the run did not take is not measured, never met', () => {
    expect(verdict(target(null, 'at most', 1))).toBe('not measured');
    expect(verdict(target(Number.NaN, 'at least', 1))).toBe('not measured');
  });

  it('formats ratios, milliseconds, seconds and bytes', () => {
    expect(formatFigure(1.234, '×')).toBe('1.23×');
    expect(formatFigure(187.4, 'ms')).toBe('187 ms');
    expect(formatFigure(0.143, 'ms')).toBe('0.1 ms');
    expect(formatFigure(9.5, 's')).toBe('9.50 s');
    expect(formatFigure(16384, 'B')).toBe('16,384 B');
  });
});

describe('bench: issue 15 targets from one run’s figures', () => {
  const load = (rps: number, p99: number, cpuUsec: number) => ({ rps, p99, cpuUsec });
  const figures: TargetFigures = {
    load: {
      express: load(4000, 40, 200),
      verify: load(2000, 60, 290),
      readJwt: load(2500, 50, 310),
      readApiKey: load(2400, 55, 300),
      verifySentinel: load(1500, 100, 300),
      readJwtSentinel: load(2100, 70, 320),
      // readApiKeySentinel: not measured
    },
    redis: { verify: 40, readJwt: 20, readApiKey: 25, essentialVerify: 20, essentialRead: 12, verifyMany: 43, readJwtMany: 23, readApiKeyMany: 25 },
    growthSize: 100_000,
    offload: { tenants: 10_000, idleRunMs: 250, shipSeconds: 8, reportBytes: 900_000 },
    bytesPerKey: 590,
    coldStarts: { 'bench-express': 100, token: 140, data: 160 },
  };
  const targets = issue15Targets(figures);
  const find = (start: string) => {
    const found = targets.find((one) => one.figure.startsWith(start));
    if (!found) throw new Error(`no target "${start}"`);
    return found;
  };

  it('divides each figure by its baseline of the same run', () => {
    expect(find('verify: CPU').measured).toBeCloseTo(1.45);
    expect(find('data read (JWT): CPU').measured).toBeCloseTo(1.55);
    expect(find('verify: Redis time ÷ essential').measured).toBeCloseTo(2);
    expect(find('data read (JWT): Redis time ÷ essential').measured).toBeCloseTo(20 / 12);
    expect(find('verify: p99 Sentinel').measured).toBeCloseTo(100 / 60);
    expect(find('verify: req/s Sentinel').measured).toBeCloseTo(0.75);
    expect(find('verify: Redis time, 100,000 keys').measured).toBeCloseTo(1.075);
    expect(find('data read (JWT): Redis time, 100,000 items').measured).toBeCloseTo(1.15);
  });

  it('gives each its verdict', () => {
    expect(verdict(find('verify: CPU'))).toBe('met');
    expect(verdict(find('data read (JWT): CPU'))).toBe('missed');
    expect(verdict(find('verify: Redis time ÷ essential'))).toBe('met');
    expect(verdict(find('verify: p99 Sentinel'))).toBe('missed');
    expect(verdict(find('verify: req/s Sentinel'))).toBe('missed');
    expect(verdict(find('data read (JWT): req/s Sentinel'))).toBe('met');
    expect(verdict(find('data read (API key): p99 Sentinel'))).toBe('not measured');
    expect(verdict(find('verify: Redis time, 100,000 keys'))).toBe('met');
    expect(verdict(find('data read (JWT): Redis time, 100,000 items'))).toBe('missed');
    expect(verdict(find('offload, 10,000 tenants: idle run'))).toBe('missed');
    expect(verdict(find('offload, 10,000 tenants: shipping'))).toBe('met');
    expect(verdict(find('offload, 10,000 tenants: run report'))).toBe('missed');
    expect(verdict(find('Redis memory per API key'))).toBe('met');
  });

  it('judges cold start by the slowest function, named', () => {
    const cold = find('cold start');
    expect(cold.figure).toContain('data');
    expect(cold.measured).toBeCloseTo(1.6);
    expect(verdict(cold)).toBe('missed');
  });

  it('prints a Markdown row per target with its verdict', () => {
    const table = targetsTable(targets);
    expect(table[0]).toBe('| figure | measured | target | verdict |');
    expect(table).toHaveLength(targets.length + 2);
    expect(table.find((row) => row.startsWith('| Redis memory per API key'))).toBe('| Redis memory per API key at rest | 590 B | ≤ 600 B | met |');
    expect(table.find((row) => row.startsWith('| data read (API key): p99 Sentinel'))).toContain('| — |');
  });
});
