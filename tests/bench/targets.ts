// Issue 15's targets: each figure the bench measures beside the bound it should keep, and a verdict.
import type { OffloadScale } from './offload-scale.js';
import type { ProfileFigures } from './redis-profile.js';

export type Bound = 'at most' | 'below' | 'at least';
export type Verdict = 'met' | 'missed' | 'not measured';

export interface Target {
  figure: string;
  /** Null when the run did not measure it. */
  measured: number | null;
  unit: '×' | 'ms' | 's' | 'B';
  bound: Bound;
  limit: number;
}

export function verdict(target: Target): Verdict {
  const { measured, limit } = target;
  if (measured === null || !Number.isFinite(measured)) return 'not measured';
  if (target.bound === 'at most') return measured <= limit ? 'met' : 'missed';
  if (target.bound === 'below') return measured < limit ? 'met' : 'missed';
  return measured >= limit ? 'met' : 'missed';
}

/** A figure with its unit: ratios and seconds to two decimals, milliseconds whole from 10, bytes grouped in thousands. */
export function formatFigure(value: number, unit: Target['unit']): string {
  if (unit === '×') return `${value.toFixed(2)}×`;
  if (unit === 'B') return `${Math.round(value).toLocaleString('en')} B`;
  if (unit === 's') return `${value.toFixed(2)} s`;
  // Under 10 ms a whole number would hide the figure (an idle offload run takes a fraction of one).
  if (value < 10) return `${value.toFixed(1)} ms`;
  return `${Math.round(value).toLocaleString('en')} ms`;
}

/** The targets as a Markdown table: figure, measured, target, verdict. */
export function targetsTable(targets: Target[]): string[] {
  return [
    '| figure | measured | target | verdict |',
    '| --- | ---: | ---: | --- |',
    ...targets.map((target) => {
      const measured = target.measured === null || !Number.isFinite(target.measured) ? '—' : formatFigure(target.measured, target.unit);
      const bound = target.bound === 'below' ? '<' : target.bound === 'at most' ? '≤' : '≥';
      return `| ${target.figure} | ${measured} | ${bound} ${formatFigure(target.limit, target.unit)} | ${verdict(target)} |`;
    }),
  ];
}

/** What a load scenario contributes: throughput, tail latency, the serving process's CPU per request. */
export interface LoadFigures {
  rps: number;
  p99: number;
  cpuUsec: number;
}

export interface TargetFigures {
  load: Partial<Record<'express' | 'verify' | 'readJwt' | 'readApiKey' | 'verifySentinel' | 'readJwtSentinel' | 'readApiKeySentinel', LoadFigures>>;
  redis: ProfileFigures | null;
  /** Keys and items in the large tenant of the growth figures. */
  growthSize: number;
  offload: OffloadScale | null;
  bytesPerKey: number | null;
  /** Median cold start per bundle, ms, with the bare express bundle under `bench-express`. */
  coldStarts: Record<string, number>;
}

function divide(a: number | undefined, b: number | undefined): number | null {
  return a !== undefined && b ? a / b : null;
}

/** Issue 15's targets, from the figures of one run. */
export function issue15Targets(figures: TargetFigures): Target[] {
  const { load, redis } = figures;
  const cpu = (name: keyof TargetFigures['load']) => divide(load[name]?.cpuUsec, load.express?.cpuUsec);
  const size = figures.growthSize.toLocaleString('en');
  const functions = Object.entries(figures.coldStarts).filter(([name]) => name !== 'bench-express');
  const slowest = functions.reduce<[string, number] | null>((worst, entry) => (worst === null || entry[1] > worst[1] ? entry : worst), null);
  return [
    { figure: 'verify: CPU per request ÷ bare express', measured: cpu('verify'), unit: '×', bound: 'at most', limit: 1.5 },
    { figure: 'data read (JWT): CPU per request ÷ bare express', measured: cpu('readJwt'), unit: '×', bound: 'at most', limit: 1.5 },
    { figure: 'data read (API key): CPU per request ÷ bare express', measured: cpu('readApiKey'), unit: '×', bound: 'at most', limit: 1.5 },
    { figure: 'verify: Redis time ÷ essential 4-command script', measured: divide(redis?.verify, redis?.essentialVerify), unit: '×', bound: 'at most', limit: 2 },
    { figure: 'data read (JWT): Redis time ÷ essential 2-command read', measured: divide(redis?.readJwt, redis?.essentialRead), unit: '×', bound: 'at most', limit: 2 },
    { figure: 'data read (API key): Redis time ÷ essential 2-command read', measured: divide(redis?.readApiKey, redis?.essentialRead), unit: '×', bound: 'at most', limit: 2 },
    { figure: 'verify: p99 Sentinel ÷ standalone', measured: divide(load.verifySentinel?.p99, load.verify?.p99), unit: '×', bound: 'at most', limit: 1.5 },
    { figure: 'data read (JWT): p99 Sentinel ÷ standalone', measured: divide(load.readJwtSentinel?.p99, load.readJwt?.p99), unit: '×', bound: 'at most', limit: 1.5 },
    { figure: 'data read (API key): p99 Sentinel ÷ standalone', measured: divide(load.readApiKeySentinel?.p99, load.readApiKey?.p99), unit: '×', bound: 'at most', limit: 1.5 },
    { figure: 'verify: req/s Sentinel ÷ standalone', measured: divide(load.verifySentinel?.rps, load.verify?.rps), unit: '×', bound: 'at least', limit: 0.8 },
    { figure: 'data read (JWT): req/s Sentinel ÷ standalone', measured: divide(load.readJwtSentinel?.rps, load.readJwt?.rps), unit: '×', bound: 'at least', limit: 0.8 },
    { figure: 'data read (API key): req/s Sentinel ÷ standalone', measured: divide(load.readApiKeySentinel?.rps, load.readApiKey?.rps), unit: '×', bound: 'at least', limit: 0.8 },
    { figure: `verify: Redis time, ${size} keys ÷ 1 key`, measured: divide(redis?.verifyMany, redis?.verify), unit: '×', bound: 'at most', limit: 1.1 },
    { figure: `data read (JWT): Redis time, ${size} items ÷ 1 item`, measured: divide(redis?.readJwtMany, redis?.readJwt), unit: '×', bound: 'at most', limit: 1.1 },
    { figure: `data read (API key): Redis time, ${size} items ÷ 1 item`, measured: divide(redis?.readApiKeyMany, redis?.readApiKey), unit: '×', bound: 'at most', limit: 1.1 },
    { figure: `offload, ${figures.offload?.tenants.toLocaleString('en') ?? '?'} tenants: idle run`, measured: figures.offload?.idleRunMs ?? null, unit: 'ms', bound: 'below', limit: 200 },
    { figure: `offload, ${figures.offload?.tenants.toLocaleString('en') ?? '?'} tenants: shipping 2 events each`, measured: figures.offload?.shipSeconds ?? null, unit: 's', bound: 'below', limit: 10 },
    { figure: `offload, ${figures.offload?.tenants.toLocaleString('en') ?? '?'} tenants: run report`, measured: figures.offload?.reportBytes ?? null, unit: 'B', bound: 'below', limit: 16_384 },
    { figure: 'Redis memory per API key at rest', measured: figures.bytesPerKey, unit: 'B', bound: 'at most', limit: 600 },
    { figure: `cold start ÷ bare express bundle (slowest: ${slowest?.[0] ?? '?'})`, measured: divide(slowest?.[1], figures.coldStarts['bench-express']), unit: '×', bound: 'at most', limit: 1.5 },
  ];
}
