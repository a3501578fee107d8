import { spawn } from 'node:child_process';
import { Cluster } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redisReady, replicasToWait } from '../shared/redis/client.js';
import { offloadTenant } from '../shared/audit/offload.js';
import { dueTenants, pendingKeyOf } from '../shared/audit/pending-tenants.js';
import { tenantKeyPattern, tenantKeys } from '../shared/redis/keys.js';
import { scanKeys } from '../shared/redis/scan.js';
import { createTenant } from '../shared/tenancy/tenants.js';
import { addApiKey, createTestApp, login, newTenant, testPassword, uniqueName, type TestApp } from './support/harness.js';
import { command, startCluster, waitFor, type ClusterSet } from './support/redis-topologies.js';

// Cluster mode only (vitest project "cluster").

let app: TestApp;
beforeAll(async () => {
  app = await createTestApp();
  await redisReady(app.services.redis, 10_000);
});
afterAll(() => app.close());

function cluster(): Cluster {
  const redis = app.services.redis;
  if (!(redis instanceof Cluster)) throw new Error('the cluster project runs on Redis Cluster');
  return redis;
}

describe('cluster: durable writes', () => {
  it('knows the masters have replicas, so durable writes wait for one', async () => {
    expect(await replicasToWait(cluster(), 1000)).toBe(1);
  });
});

describe('cluster: a tenant lives in one slot', () => {
  it('puts every key of a tenant (records, indexes, audit stream) in the same slot', async () => {
    const tenant = await newTenant(app);
    const token = tenant.admin.token;
    await app.request('POST', '/data', { token, json: { key: 'a', value: 1, ttl: 60 } });
    await app.request('POST', '/users', { token, json: { username: uniqueName('u'), password: testPassword } });
    await addApiKey(app, token, { scopes: ['data:read'] });
    const keys = await scanKeys(cluster(), tenantKeyPattern(tenant.tenantId));
    expect(keys.length).toBeGreaterThanOrEqual(8);
    const [anyNode] = cluster().nodes('master');
    const slots = new Set(await Promise.all(keys.map((key) => anyNode?.cluster('KEYSLOT', key))));
    expect(slots.size).toBe(1);
  });

  it("sends a durable write's WAIT to the master that owns the tenant's slot", async () => {
    const tenant = await newTenant(app);
    const [anyNode] = cluster().nodes('master');
    const slot = Number(await anyNode?.cluster('KEYSLOT', `{t:${tenant.tenantId}}`));
    const owner = await ownerOf(slot);
    const waitCalls = async (port: number) => Number(/cmdstat_wait:calls=(\d+)/.exec(String(await command(port, ['INFO', 'commandstats'])))?.[1] ?? 0);
    const before = await waitCalls(owner);
    for (let i = 0; i < 20; i += 1) {
      expect((await app.request('POST', '/data', { token: tenant.admin.token, json: { key: `w${i}`, value: i } })).status).toBe(201);
    }
    expect((await waitCalls(owner)) - before).toBeGreaterThanOrEqual(20);
  });
});

describe("cluster: the offload's pending set, one per slot", () => {
  it("marks a tenant in its own slot's set, where a run finds it; shipping the last event clears it", async () => {
    const tenant = await newTenant(app);
    const key = pendingKeyOf(cluster(), tenant.tenantId);
    const [anyNode] = cluster().nodes('master');
    const slotOf = async (name: string) => Number(await anyNode?.cluster('KEYSLOT', name));
    expect(await slotOf(key)).toBe(await slotOf(tenantKeys(tenant.tenantId).audit));
    expect(await cluster().zscore(key, tenant.tenantId)).toBe('0');
    const started = performance.now();
    const { due } = await dueTenants(cluster(), Date.now());
    console.log(`cluster: the due list read from all 16,384 slot sets in ${(performance.now() - started).toFixed(0)} ms (${due.length} due)`);
    expect(due.map((one) => one.tenantId)).toContain(tenant.tenantId);
    // One tenant's drain, not a run: a run here would ship the other suites' tenants of this cluster.
    expect(await offloadTenant(app.services, tenant.tenantId, { waitForLeaseMs: 5000 })).toMatchObject({ backlog: 0 });
    expect(await cluster().zscore(key, tenant.tenantId)).toBeNull();
  });
});

describe('cluster: resharding under traffic', () => {
  let own: ClusterSet;
  let reshardApp: TestApp;
  beforeAll(async () => {
    own = await startCluster();
    reshardApp = await createTestApp({ env: { ...own.env, LOG_LEVEL: 'warn' } });
    await redisReady(reshardApp.services.redis, 10_000);
  }, 60_000);
  afterAll(async () => {
    await reshardApp?.close();
    await own?.stop();
  });

  it("loses no acknowledged write while the tenant's slot moves to another master", async () => {
    const nodes = await clusterNodes(own.ports[0] ?? 0);
    const [source, target] = nodes.filter((node) => node.master && node.slots.length > 0);
    if (!source || !target) throw new Error('need two masters');
    // A tenant whose slot is the source's first, so `--cluster-slots 1` moves exactly that slot.
    const slot = source.slots[0] ?? 0;
    const tenantId = tenantInSlot(slot);
    const admin = uniqueName('admin');
    await createTenant(reshardApp.services, tenantId, { username: admin, password: testPassword });
    const token = await login(reshardApp, admin, testPassword);

    const acknowledged = new Map<string, number>();
    const failures: number[] = [];
    let stop = false;
    const writer = async (id: number) => {
      for (let i = 0; !stop; i += 1) {
        const key = `r${id}-${i}`;
        const response = await reshardApp.request('POST', '/data', { token, json: { key, value: i } });
        if (response.status === 201) acknowledged.set(key, i);
        else failures.push(response.status);
        if (i % 5 === 0) {
          const read = await reshardApp.request('GET', `/data/r${id}-${Math.max(0, i - 3)}`, { token });
          if (read.status >= 500) failures.push(read.status);
        }
      }
    };
    const writers = [0, 1, 2].map(writer);
    await waitFor(async () => acknowledged.size >= 200, 'writes before resharding');
    const reshard = spawn(
      'redis-cli',
      ['--cluster', 'reshard', `127.0.0.1:${own.ports[0]}`, '--cluster-from', source.id, '--cluster-to', target.id, '--cluster-slots', '1', '--cluster-yes', '--cluster-pipeline', '10'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let reshardOutput = '';
    reshard.stdout.on('data', (chunk: Buffer) => (reshardOutput += chunk.toString()));
    reshard.stderr.on('data', (chunk: Buffer) => (reshardOutput += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => reshard.once('exit', resolve));
    expect(code, reshardOutput).toBe(0);
    const during = acknowledged.size;
    await waitFor(async () => acknowledged.size >= during + 200, 'writes after resharding');
    stop = true;
    await Promise.all(writers);

    expect((await clusterNodes(own.ports[0] ?? 0)).find((node) => node.id === target.id)?.slots).toContain(slot);
    console.log(`resharding: ${acknowledged.size} writes acknowledged, ${failures.length} failed (${[...new Set(failures)].join(', ') || 'none'})`);
    const errors = reshardApp.logLines.filter((line) => line.includes('"level":50')).map((line) => JSON.parse(line).error?.message);
    expect(failures.every((status) => status === 503), [...new Set(errors)].join(' | ')).toBe(true);
    const lost: string[] = [];
    for (const [key, value] of acknowledged) {
      const read = await reshardApp.request('GET', `/data/${key}`, { token });
      if (read.status !== 200 || read.body.value !== value) lost.push(key);
    }
    expect(lost).toEqual([]);
  }, 90_000);
});

interface NodeInfo {
  id: string;
  port: number;
  master: boolean;
  slots: number[];
}

async function clusterNodes(port: number): Promise<NodeInfo[]> {
  const text = String(await command(port, ['CLUSTER', 'NODES']));
  return text
    .trim()
    .split('\n')
    .map((line) => {
      const [id = '', address = '', flags = '', , , , , , ...ranges] = line.split(' ');
      const slots: number[] = [];
      for (const range of ranges) {
        if (range.startsWith('[')) continue;
        const [from = '0', to = from] = range.split('-');
        for (let slot = Number(from); slot <= Number(to); slot += 1) slots.push(slot);
      }
      return { id, port: Number(address.split(':')[1]?.split('@')[0]), master: flags.includes('master'), slots };
    });
}

async function ownerOf(slot: number): Promise<number> {
  const [anyNode] = cluster().nodes('master');
  const port = Number(anyNode?.options.port);
  const owner = (await clusterNodes(port)).find((node) => node.master && node.slots.includes(slot));
  if (!owner) throw new Error(`no owner for slot ${slot}`);
  return owner.port;
}

/** A fresh tenant id whose hash tag `{t:<id>}` falls in `slot`. */
function tenantInSlot(slot: number): string {
  for (let i = 0; ; i += 1) {
    const id = `r${i.toString(36)}-${slot}`;
    if ((crc16(`t:${id}`) & 16383) === slot) return id;
  }
}

/** CRC16-XMODEM, as Redis Cluster hashes keys. */
function crc16(text: string): number {
  let crc = 0;
  for (const byte of Buffer.from(text)) {
    crc ^= byte << 8;
    for (let bit = 0; bit < 8; bit += 1) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
  }
  return crc;
}
