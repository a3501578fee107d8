import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redisReady } from '../shared/redis/client.js';
import { createTestApp, newTenant, pendingEvents, type TestApp, type TestTenant } from './support/harness.js';
import { command, startSentinelSet, waitFor, type SentinelSet } from './support/redis-topologies.js';

// Sentinel mode only (vitest project "sentinel"): each test here owns a master, two replicas and
// three Sentinels, and kills or freezes real processes.

const commandTimeoutMs = 500;

async function setUp(): Promise<{ set: SentinelSet; app: TestApp; tenant: TestTenant }> {
  const set = await startSentinelSet();
  const app = await createTestApp({
    env: { ...set.env, REDIS_COMMAND_TIMEOUT_MS: String(commandTimeoutMs), REDIS_WAIT_TIMEOUT_MS: '300', LOG_LEVEL: 'warn' },
  });
  await redisReady(app.services.redis, 10_000);
  return { set, app, tenant: await newTenant(app) };
}

/** What writers saw while the master was killed under them, and the acknowledged writes Redis no longer holds. */
interface KillReport {
  acknowledged: number;
  failures: { status: number; code: string }[];
  slowestMs: number;
  lost: string[];
  /** Scripts per WAIT on the master before the kill (INFO commandstats). */
  scriptsPerWait: number;
}

/** `writers` concurrent writers of new data items; the master is SIGKILLed once `beforeKill` are acknowledged. */
async function killMasterUnderWrites(set: SentinelSet, app: TestApp, tenant: TestTenant, writers: number, beforeKill: number): Promise<KillReport> {
  const acknowledged = new Map<string, number>();
  const failures: { status: number; code: string }[] = [];
  const durations: number[] = [];
  const successTimes: number[] = [];
  let stop = false;
  const writer = async (id: number) => {
    for (let i = 0; !stop; i += 1) {
      const key = `w${id}-${i}`;
      const started = performance.now();
      const response = await app.request('POST', '/data', { token: tenant.admin.token, json: { key, value: i } });
      durations.push(performance.now() - started);
      if (response.status === 201) {
        acknowledged.set(key, i);
        successTimes.push(performance.now());
      } else {
        failures.push({ status: response.status, code: response.body?.code });
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    }
  };
  const oldMaster = await set.currentMaster();
  await command(oldMaster.port, ['CONFIG', 'RESETSTAT']);
  const running = Array.from({ length: writers }, (_, id) => writer(id));
  await waitFor(async () => acknowledged.size >= beforeKill, 'writes before the kill');
  const stats = String(await command(oldMaster.port, ['INFO', 'commandstats']));
  const calls = (name: string) => Number(new RegExp(`^cmdstat_${name}:calls=(\\d+)`, 'm').exec(stats)?.[1] ?? 0);
  const scriptsPerWait = (calls('evalsha') + calls('eval')) / Math.max(1, calls('wait'));
  const before = acknowledged.size;
  const killedAt = performance.now();
  set.master.process.kill('SIGKILL');
  await waitFor(async () => (await set.currentMaster()).port !== oldMaster.port, 'a new master elected', 30_000);
  await waitFor(async () => successTimes.filter((time) => time > killedAt).length >= 100, 'writes on the new master', 30_000);
  stop = true;
  await Promise.all(running);

  const gaps = successTimes.slice(1).map((time, i) => time - (successTimes[i] ?? time));
  console.log(
    `failover, ${writers} writers: ${acknowledged.size} writes acknowledged (${before} before the kill, ${scriptsPerWait.toFixed(1)} scripts per WAIT), ${failures.length} failed, longest gap ${Math.max(...gaps).toFixed(0)} ms, slowest request ${Math.max(...durations).toFixed(0)} ms`,
  );
  // A read that cannot be served (503: a command timeout on a loaded machine) says nothing of the
  // write: it is asked again. Lost is a write Redis no longer holds (404) or holds with another value.
  const lost: string[] = [];
  for (const [key, value] of acknowledged) {
    let read = await app.request('GET', `/data/${key}`, { token: tenant.admin.token });
    for (let attempt = 0; attempt < 10 && read.status === 503; attempt += 1) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      read = await app.request('GET', `/data/${key}`, { token: tenant.admin.token });
    }
    if (read.status !== 200 || read.body.value !== value) lost.push(`${key}: ${read.status} ${read.body?.code ?? JSON.stringify(read.body?.value)}`);
  }
  return { acknowledged: acknowledged.size, failures, slowestMs: Math.max(...durations), lost, scriptsPerWait };
}

describe.each([
  // A few writers; and many, whose scripts share WAITs (group commit, shared/redis/commit-group.ts).
  { writers: 4, writes: 100, timeoutMs: 90_000, scriptsPerWaitAbove: 0 },
  { writers: 32, writes: 400, timeoutMs: 120_000, scriptsPerWaitAbove: 2 },
])('sentinel: a master killed under $writers concurrent writers', ({ writers, writes, timeoutMs, scriptsPerWaitAbove }) => {
  let set: SentinelSet;
  let app: TestApp;
  let tenant: TestTenant;
  beforeAll(async () => ({ set, app, tenant } = await setUp()), 60_000);
  afterAll(async () => {
    await app?.close();
    await set?.stop();
  });

  it('keeps every acknowledged write, and requests in the gap fail fast with 503', async () => {
    const report = await killMasterUnderWrites(set, app, tenant, writers, writes);
    expect(report.scriptsPerWait).toBeGreaterThan(scriptsPerWaitAbove);
    for (const failure of report.failures) expect(failure).toEqual({ status: 503, code: 'redis_unavailable' });
    // No request hangs: a write answers within three command timeouts (retries included), plus slack.
    expect(report.slowestMs).toBeLessThan(3 * commandTimeoutMs + 1000);
    expect(report.lost).toEqual([]);
  }, timeoutMs);
});

describe('sentinel: writes need a replica', () => {
  let set: SentinelSet;
  let app: TestApp;
  let tenant: TestTenant;
  beforeAll(async () => ({ set, app, tenant } = await setUp()), 60_000);
  afterAll(async () => {
    for (const replica of set?.replicas ?? []) replica.process.kill('SIGCONT');
    await app?.close();
    await set?.stop();
  });

  it('does not acknowledge a write that no replica confirmed, and says its outcome is unknown', async () => {
    for (const replica of set.replicas) replica.process.kill('SIGSTOP');
    const started = performance.now();
    const response = await app.request('POST', '/data', { token: tenant.admin.token, json: { key: 'unconfirmed', value: 1 } });
    const took = performance.now() - started;
    // A read appends an audit event too: not confirmed by a replica, it is refused as well (not retried).
    const read = await app.request('GET', '/data/anything', { token: tenant.admin.token });
    for (const replica of set.replicas) replica.process.kill('SIGCONT');
    expect(read.status).toBe(503);
    expect(read.body).toMatchObject({ code: 'redis_unavailable', detail: 'Database unavailable' });
    expect(response.status).toBe(503);
    expect(response.body).toMatchObject({ code: 'redis_unavailable', detail: 'Database unavailable; the change may or may not have been applied' });
    expect(took).toBeLessThan(3 * commandTimeoutMs + 1000);
    // It was applied on the master (and retried idempotently: one item, one event).
    await waitFor(async () => (await app.request('GET', '/data/unconfirmed', { token: tenant.admin.token })).status === 200, 'replicas back');
    const events = (await pendingEvents(app, tenant.tenantId)).filter((event) => event.action === 'create_key' && event.key === 'unconfirmed');
    expect(events).toHaveLength(1);
    expect((await app.request('POST', '/data', { token: tenant.admin.token, json: { key: 'confirmed', value: 2 } })).status).toBe(201);
  }, 30_000);

  it('retries a write whose first attempt timed out without applying it twice', async () => {
    const { port } = await set.currentMaster();
    // Writes block on the master for longer than a command may wait: the first try times out
    // (outcome unknown) and is applied later; the retry finds its operation marker.
    await command(port, ['CLIENT', 'PAUSE', String(commandTimeoutMs + 250), 'WRITE']);
    const response = await app.request('POST', '/data', { token: tenant.admin.token, json: { key: 'paused', value: 'once' }, headers: { 'x-request-id': 'paused-create' } });
    expect(response.status).toBe(201);
    expect(response.body).toMatchObject({ key: 'paused', value: 'once', version: 1 });
    const events = (await pendingEvents(app, tenant.tenantId)).filter((event) => event.request_id === 'paused-create');
    expect(events.map((event) => [event.action, event.outcome])).toEqual([['create_key', 'success']]);
  }, 30_000);
});
