// Where a verification's and a data read's Redis time goes. The running functions' script calls are
// captured as sent (MONITOR), then replayed on the same Redis many times, whole and with one part of
// the script left out each (the guard, usage, the audit event, the prelude...), rounds interleaved so
// that the machine's noise falls on all alike. The difference to the whole script is that part's
// cost. Redis's own µs per call is read from INFO commandstats, as the bench's other Redis figures.
// run.ts imports this module after registering ./lua-loader.mjs (the scripts' sources are .lua files).
import { Redis } from 'ioredis';
import { scripts } from '../../shared/redis/scripts.js';

type ScriptName = 'verifyApiKey' | 'getItem';

/** EVALSHA's arguments after the sha: the number of keys, the keys, the arguments. */
type ScriptCall = [number, ...string[]];

/** One part left out: the text replaced in the script's source (it must be there: a stale one fails loudly). */
interface Ablation {
  label: string;
  script: ScriptName;
  from: string;
  to: string;
}

const ablations: Ablation[] = [
  { label: 'guard (the caller check)', script: 'verifyApiKey', from: 'local scopes, denial = guard()', to: "local scopes, denial = '*', nil" },
  { label: 'usage (hour and day, key and tenant)', script: 'verifyApiKey', from: "record_usage(id, identity_id, CODE, code == 'valid' and cost - 1 or 0)", to: '' },
  { label: 'audit event (built and appended)', script: 'verifyApiKey', from: "redis.call('XADD', AUDIT_KEY, '*', 'event', event .. (extra or '') .. '}')", to: '' },
  { label: 'last_used stamp', script: 'verifyApiKey', from: "redis.call('HSET', record_key, 'last_used', NOW)", to: '' },
  { label: 'everything after the prelude', script: 'verifyApiKey', from: 'local scopes, denial = guard()', to: "if true then return { 'ok' } end local scopes, denial = guard()" },
  { label: 'guard (the caller check)', script: 'getItem', from: 'local scopes, denial = guard()', to: "local scopes, denial = '*', nil" },
  { label: 'audit event (built and appended)', script: 'getItem', from: "redis.call('XADD', AUDIT_KEY, '*', 'event', event .. (extra or '') .. '}')", to: '' },
];

/** The essential work, as issue 15 names it: find the key by hash, read its record, stamp last_used, append the event. */
const essentialVerify = `
local id = redis.call('HGET', KEYS[1], ARGV[1])
local record = redis.call('HGETALL', KEYS[2] .. id)
redis.call('HSET', KEYS[2] .. id, 'last_used', ARGV[2])
redis.call('XADD', KEYS[3], '*', 'event', ARGV[3])
return record`;

/** A data read's equivalent: read the item, append the event. */
const essentialRead = `
local item = redis.call('HGETALL', KEYS[1])
redis.call('XADD', KEYS[2], '*', 'event', ARGV[1])
return item`;

export interface ScriptProfile {
  /** Redis µs per call of each replayed script: the quietest round's (noise only ever adds) and the median round's. */
  rows: { label: string; min: number; median: number }[];
  /** Per script: µs each part costs (whole − without it), by the quietest rounds. */
  parts: { script: ScriptName; label: string; usec: number }[];
}

/**
 * Captures one call of each script while `trigger` makes the running functions verify a key and read
 * an item of `tenantPrefix` (`kw:{t:<tenant>}:`), then replays them. `itemKey`: the item's Redis key.
 */
export async function profileScripts(redisUrl: string, trigger: () => Promise<void>, options: { tenantPrefix: string; itemKey: string; rounds?: number }): Promise<ScriptProfile> {
  const redis = new Redis(redisUrl);
  const captured = await captureCalls(redisUrl, trigger);
  const event = JSON.stringify({ timestamp: new Date().toISOString(), tenant_id: 'bench', request_id: 'r-0123456789ab', actor: { type: 'user', id: 'bench-admin' }, action: 'verify_key', outcome: 'success', code: 'VALID', key_id: 'key_0123456789ABCDEFGHJKMNPQRS' });
  const keyHash = (await redis.hkeys(`${options.tenantPrefix}apikey-hashes`))[0] ?? '';
  const candidates: { label: string; script?: ScriptName; source: string; call: ScriptCall }[] = [];
  for (const name of ['verifyApiKey', 'getItem'] as const) {
    const call = captured.get(scripts[name].sha);
    if (!call) throw new Error(`no ${name} call was captured`);
    candidates.push({ label: `${name}: whole`, script: name, source: scripts[name].source, call });
    for (const ablation of ablations.filter((one) => one.script === name)) {
      if (!scripts[name].source.includes(ablation.from)) throw new Error(`${name}: the text of "${ablation.label}" is no longer in the script`);
      candidates.push({ label: `${name}: without ${ablation.label}`, script: name, source: scripts[name].source.replace(ablation.from, ablation.to), call });
    }
  }
  const prefix = options.tenantPrefix;
  candidates.push({ label: 'essential verify (4 commands)', source: essentialVerify, call: [3, `${prefix}apikey-hashes`, `${prefix}apikey:`, `${prefix}audit`, keyHash, String(Date.now()), event] });
  candidates.push({ label: 'essential data read (2 commands)', source: essentialRead, call: [2, options.itemKey, `${prefix}audit`, event] });

  const shas = await Promise.all(candidates.map((candidate) => redis.script('LOAD', candidate.source) as Promise<string>));
  const samples = candidates.map(() => [] as number[]);
  for (let round = 0; round < (options.rounds ?? 60); round += 1) {
    for (const [index, candidate] of candidates.entries()) {
      await redis.config('RESETSTAT');
      const pipeline = redis.pipeline();
      for (let i = 0; i < 300; i += 1) pipeline.evalsha(shas[index] ?? '', ...candidate.call);
      const failed = (await pipeline.exec())?.find(([error]) => error);
      if (failed) throw new Error(`${candidate.label}: ${String(failed[0])}`);
      const line = (await redis.info('commandstats')).split('\n').find((entry) => entry.startsWith('cmdstat_evalsha:')) ?? '';
      samples[index]?.push(Number(/usec_per_call=([\d.]+)/.exec(line)?.[1] ?? 0));
    }
  }
  redis.disconnect();
  const rows = candidates.map((candidate, index) => ({ label: candidate.label, min: quantile(samples[index] ?? [], 0), median: quantile(samples[index] ?? [], 0.5) }));
  const quietest = new Map(rows.map((row) => [row.label, row.min]));
  const parts = ablations.map((ablation) => ({
    script: ablation.script,
    label: ablation.label,
    usec: round1((quietest.get(`${ablation.script}: whole`) ?? 0) - (quietest.get(`${ablation.script}: without ${ablation.label}`) ?? 0)),
  }));
  return { rows, parts };
}

/** The first EVALSHA of each script the trigger causes, with its keys and arguments as sent. */
async function captureCalls(redisUrl: string, trigger: () => Promise<void>): Promise<Map<string, ScriptCall>> {
  const monitor = await new Redis(redisUrl).monitor();
  const calls = new Map<string, ScriptCall>();
  monitor.on('monitor', (_time: string, args: string[]) => {
    const [command, sha, ...rest] = args;
    if (command?.toLowerCase() === 'evalsha' && sha && !calls.has(sha)) calls.set(sha, [Number(rest[0]), ...rest.slice(1)]);
  });
  await trigger();
  // MONITOR's lines trail the replies a little.
  await new Promise((resolve) => setTimeout(resolve, 200));
  monitor.disconnect();
  return calls;
}

function quantile(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return round1(sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0);
}

function round1(value: number): number {
  return Math.round(value * 10) / 10;
}

/** The profile as Markdown tables. */
export function formatProfile(profile: ScriptProfile): string[] {
  return [
    '| script (replayed, Redis µs per call) | quietest round | median round |',
    '| --- | ---: | ---: |',
    ...profile.rows.map((row) => `| ${row.label} | ${row.min} | ${row.median} |`),
    '',
    '| part of the script | µs (whole − without it, quietest rounds) |',
    '| --- | ---: |',
    ...profile.parts.map((part) => `| ${part.script}: ${part.label} | ${part.usec} |`),
  ];
}
