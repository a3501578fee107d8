// Script calls captured as the running functions send them (MONITOR), then replayed on the same
// Redis, many calls per round, every candidate once per round so that the machine's noise falls on
// all alike. Redis's own µs per call is read from INFO commandstats, as the bench's other Redis figures.
import { Redis } from 'ioredis';
import { usecPerCall } from './load.js';
import { round1, quantile } from './stats.js';

/** EVALSHA's arguments after the sha: the number of keys, the keys, the arguments. */
export type ScriptCall = [number, ...string[]];

export interface CapturedCall {
  sha: string;
  call: ScriptCall;
}

export interface ReplayCandidate {
  label: string;
  source: string;
  call: ScriptCall;
}

export interface ReplayRow {
  label: string;
  /** The quietest round's µs per call (noise only ever adds). */
  min: number;
  /** The 10th percentile of the rounds: near the quietest, less at the mercy of one lucky round. */
  p10: number;
  median: number;
}

/** Every EVALSHA `trigger` causes, in order, with its keys and arguments as sent. */
export async function captureCalls(redisUrl: string, trigger: () => Promise<void>): Promise<CapturedCall[]> {
  const monitor = await new Redis(redisUrl).monitor();
  const calls: CapturedCall[] = [];
  monitor.on('monitor', (_time: string, args: string[]) => {
    const [command, sha, ...rest] = args;
    if (command?.toLowerCase() === 'evalsha' && sha) calls.push({ sha, call: [Number(rest[0]), ...rest.slice(1)] });
  });
  await trigger();
  // MONITOR's lines trail the replies a little.
  await new Promise((resolve) => setTimeout(resolve, 300));
  monitor.disconnect();
  return calls;
}

/** The first captured call of a script whose first frame argument (GUARD) is `guard`. */
export function pickCall(calls: CapturedCall[], sha: string, guard?: string): ScriptCall {
  const found = calls.find(({ sha: one, call }) => one === sha && (guard === undefined || call[call[0] + 1] === guard));
  if (!found) throw new Error(`no call of ${sha}${guard ? ` as ${guard}` : ''} was captured`);
  return found.call;
}

/** Replays every candidate `callsPerRound` times a round (pipelined), `rounds` rounds, interleaved. */
export async function replay(redisUrl: string, candidates: ReplayCandidate[], settings: { rounds: number; callsPerRound?: number }): Promise<ReplayRow[]> {
  const redis = new Redis(redisUrl);
  try {
    const shas = await Promise.all(candidates.map((candidate) => redis.script('LOAD', candidate.source) as Promise<string>));
    const samples = candidates.map(() => [] as number[]);
    for (let round = 0; round < settings.rounds; round += 1) {
      for (const [index, candidate] of candidates.entries()) {
        await redis.config('RESETSTAT');
        const pipeline = redis.pipeline();
        for (let i = 0; i < (settings.callsPerRound ?? 300); i += 1) pipeline.evalsha(shas[index] ?? '', ...candidate.call);
        const failed = (await pipeline.exec())?.find(([error]) => error);
        if (failed) throw new Error(`${candidate.label}: ${String(failed[0])}`);
        samples[index]?.push(usecPerCall(await redis.info('commandstats'), 'evalsha'));
      }
    }
    return candidates.map((candidate, index) => ({ label: candidate.label, min: round1(quantile(samples[index] ?? [], 0)), p10: round1(quantile(samples[index] ?? [], 0.1)), median: round1(quantile(samples[index] ?? [], 0.5)) }));
  } finally {
    redis.disconnect();
  }
}
