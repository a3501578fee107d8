// Where a verification's and a data read's Redis time goes, and how it compares: the running
// functions' script calls are captured (replay.ts) in a tenant holding one key and one item and in
// one holding many, then replayed whole, with one part of the script left out each (the guard,
// usage, the audit event...), and beside the essential scripts (essential.ts), rounds interleaved.
// Whole − without a part = that part's cost; whole ÷ essential and many ÷ one are the targets' ratios.
import { hashApiKey } from '../../shared/api-keys/key-hash.js';
import { tenantKeys } from '../../shared/redis/keys.js';
import { scripts } from '../../shared/redis/scripts.js';
import { essentialEvent, essentialRead, essentialReadCall, essentialVerify, essentialVerifyCall } from './essential.js';
import { captureCalls, pickCall, replay, type CapturedCall, type ReplayCandidate, type ReplayRow } from './replay.js';
import { round1 } from './stats.js';

type ScriptName = 'verifyApiKey' | 'getItem';

/** One part left out: the text replaced in the script's source (a stale one is reported, not replayed). */
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
  { label: "pending-tenants mark (the offload's ZADD)", script: 'verifyApiKey', from: "redis.call('ZADD', PENDING_KEY, 0, TENANT_ID)", to: '' },
  { label: 'last_used stamp', script: 'verifyApiKey', from: "redis.call('HSET', record_key, 'last_used', NOW)", to: '' },
  { label: 'everything after the prelude', script: 'verifyApiKey', from: 'local scopes, denial = guard()', to: "if true then return { 'ok' } end local scopes, denial = guard()" },
  { label: 'guard (the caller check)', script: 'getItem', from: 'local scopes, denial = guard()', to: "local scopes, denial = '*', nil" },
  { label: 'audit event (built and appended)', script: 'getItem', from: "redis.call('XADD', AUDIT_KEY, '*', 'event', event .. (extra or '') .. '}')", to: '' },
  { label: "pending-tenants mark (the offload's ZADD)", script: 'getItem', from: "redis.call('ZADD', PENDING_KEY, 0, TENANT_ID)", to: '' },
];

/** A tenant whose calls are captured: `trigger` verifies its key (JWT), reads its item with the JWT, then with the key. */
export interface ProfiledTenant {
  tenantId: string;
  apiKey: string;
  itemKey: string;
  /** Keys (and items) it holds. */
  size: number;
  trigger: () => Promise<void>;
}

/** Redis µs per call (10th percentile of the rounds: on a shared machine noise only ever adds) of what the targets compare. */
export interface ProfileFigures {
  verify: number;
  readJwt: number;
  readApiKey: number;
  essentialVerify: number;
  essentialRead: number;
  verifyMany: number;
  readJwtMany: number;
  readApiKeyMany: number;
}

export interface ScriptProfile {
  rows: ReplayRow[];
  /** µs each part costs (whole − without it), by the quietest rounds; null where the part's text is no longer in the script. */
  parts: { script: ScriptName; label: string; usec: number | null }[];
  figures: ProfileFigures;
  manySize: number;
}

const labels = {
  verify: (size: number) => `verifyApiKey, ${size.toLocaleString('en')} key(s): whole`,
  readJwt: (size: number) => `getItem (JWT), ${size.toLocaleString('en')} item(s): whole`,
  readApiKey: (size: number) => `getItem (API key), ${size.toLocaleString('en')} item(s): whole`,
  essentialVerify: 'essential verify (4 commands)',
  essentialRead: 'essential data read (2 commands)',
};

export async function profileScripts(redisUrl: string, pepper: string, one: ProfiledTenant, many: ProfiledTenant, rounds: number): Promise<ScriptProfile> {
  const captured = await captureCalls(redisUrl, one.trigger);
  const capturedMany = await captureCalls(redisUrl, many.trigger);
  const calls = (list: CapturedCall[]) => ({
    verify: pickCall(list, scripts.verifyApiKey.sha),
    readJwt: pickCall(list, scripts.getItem.sha, 'user'),
    readApiKey: pickCall(list, scripts.getItem.sha, 'api_key'),
  });
  const ofOne = calls(captured);
  const ofMany = calls(capturedMany);
  const withoutLabel = (ablation: Ablation) => `${ablation.script}${ablation.script === 'getItem' ? ' (JWT)' : ''}: without ${ablation.label}`;
  const stale = ablations.filter((ablation) => !scripts[ablation.script].source.includes(ablation.from));

  const keys = tenantKeys(one.tenantId);
  const event = essentialEvent(one.tenantId);
  const candidates: ReplayCandidate[] = [
    { label: labels.verify(one.size), source: scripts.verifyApiKey.source, call: ofOne.verify },
    { label: labels.readJwt(one.size), source: scripts.getItem.source, call: ofOne.readJwt },
    { label: labels.readApiKey(one.size), source: scripts.getItem.source, call: ofOne.readApiKey },
    { label: labels.essentialVerify, source: essentialVerify, call: essentialVerifyCall(keys, hashApiKey(one.apiKey, pepper), event) },
    { label: labels.essentialRead, source: essentialRead, call: essentialReadCall(keys, keys.dataItem(one.itemKey), event) },
    { label: labels.verify(many.size), source: scripts.verifyApiKey.source, call: ofMany.verify },
    { label: labels.readJwt(many.size), source: scripts.getItem.source, call: ofMany.readJwt },
    { label: labels.readApiKey(many.size), source: scripts.getItem.source, call: ofMany.readApiKey },
    ...ablations
      .filter((ablation) => !stale.includes(ablation))
      .map((ablation) => ({
        label: withoutLabel(ablation),
        source: scripts[ablation.script].source.replace(ablation.from, ablation.to),
        call: ablation.script === 'verifyApiKey' ? ofOne.verify : ofOne.readJwt,
      })),
  ];
  const rows = await replay(redisUrl, candidates, { rounds });
  const row = (label: string) => rows.find((one) => one.label === label) ?? { label, min: 0, p10: 0, median: 0 };
  const parts = ablations.map((ablation) => {
    const whole = row(ablation.script === 'verifyApiKey' ? labels.verify(one.size) : labels.readJwt(one.size)).min;
    return { script: ablation.script, label: ablation.label, usec: stale.includes(ablation) ? null : round1(whole - row(withoutLabel(ablation)).min) };
  });
  const figures: ProfileFigures = {
    verify: row(labels.verify(one.size)).p10,
    readJwt: row(labels.readJwt(one.size)).p10,
    readApiKey: row(labels.readApiKey(one.size)).p10,
    essentialVerify: row(labels.essentialVerify).p10,
    essentialRead: row(labels.essentialRead).p10,
    verifyMany: row(labels.verify(many.size)).p10,
    readJwtMany: row(labels.readJwt(many.size)).p10,
    readApiKeyMany: row(labels.readApiKey(many.size)).p10,
  };
  return { rows, parts, figures, manySize: many.size };
}

/** The profile as Markdown tables. */
export function formatProfile(profile: ScriptProfile): string[] {
  return [
    '| script (replayed, Redis µs per call) | quietest round | 10th percentile | median round |',
    '| --- | ---: | ---: | ---: |',
    ...profile.rows.map((row) => `| ${row.label} | ${row.min} | ${row.p10} | ${row.median} |`),
    '',
    '| part of the script | µs (whole − without it, quietest rounds) |',
    '| --- | ---: |',
    ...profile.parts.map((part) => `| ${part.script}: ${part.label} | ${part.usec ?? 'text no longer in the script'} |`),
  ];
}
