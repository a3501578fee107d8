import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { globalKeys, tenantKeyPattern, tenantKeys } from '../shared/redis/keys.js';
import { scanKeys } from '../shared/redis/scan.js';
import { deleteSteps, deleteTenant, setTenantStatus, type DeleteStep } from '../shared/tenancy/tenants.js';
import { addApiKey, addUser, createTestApp, newTenant, testPassword, type TestApp, type TestTenant, type TestUser } from './support/harness.js';

let app: TestApp;

beforeAll(async () => {
  app = await createTestApp();
});
afterAll(() => app.close());

class Crash extends Error {}

interface Victim {
  tenant: TestTenant;
  member: TestUser;
  key: string;
}

/** A tenant with an admin, a member, an API key, a data item and audit events. */
async function victim(): Promise<Victim> {
  const tenant = await newTenant(app);
  const member = await addUser(app, tenant, 'member');
  const { key } = await addApiKey(app, tenant.admin.token, { scopes: ['data:read'] });
  expect((await app.request('POST', '/data', { token: tenant.admin.token, json: { key: 'k', value: 1 } })).status).toBe(201);
  return { tenant, member, key };
}

/** Whether another tenant's admin can take `username`: 409 while the deleted tenant still claims it. */
async function canBeTaken(username: string): Promise<boolean> {
  const other = await newTenant(app);
  const created = await app.request('POST', '/users', { token: other.admin.token, json: { username, password: testPassword } });
  expect([201, 409]).toContain(created.status);
  return created.status === 201;
}

// Finding: a delete interrupted midway had already released the usernames, so another tenant could take them
// while the half-deleted tenant could be enabled again.
describe('tenants delete: interrupted at any step, then run again', () => {
  it.each(deleteSteps.filter((step) => step !== 'record'))('after %s: disabled, names still claimed, not to be enabled; a re-run finishes', async (step: DeleteStep) => {
    const { tenant, member, key } = await victim();
    await expect(
      deleteTenant(app.services, tenant.tenantId, {
        stopAfter: (done) => {
          if (done === step) throw new Crash(step);
        },
      }),
    ).rejects.toBeInstanceOf(Crash);

    // Half deleted: nothing it held works, its names stay its own, and it cannot come back half deleted.
    expect((await app.request('POST', '/token', { form: { username: member.username, password: testPassword } })).status).toBeGreaterThanOrEqual(401);
    expect([401, 403]).toContain((await app.request('GET', '/data/k', { apiKey: key })).status);
    expect((await app.request('GET', '/data/k', { token: tenant.admin.token })).status).toBeGreaterThanOrEqual(401);
    const claimsReleased = deleteSteps.indexOf(step) >= deleteSteps.indexOf('claims');
    if (!claimsReleased) {
      for (const name of [tenant.admin.username, member.username]) expect(await app.services.redis.get(globalKeys.username(name))).toBe(tenant.tenantId);
      expect(await canBeTaken(member.username)).toBe(false);
      await expect(setTenantStatus(app.services, tenant.tenantId, 'active')).rejects.toMatchObject({ code: 'tenant_deleting' });
      expect(await app.services.redis.hget(tenantKeys(tenant.tenantId).tenant, 'status')).toBe('deleting');
    }

    await deleteTenant(app.services, tenant.tenantId);
    expect(await scanKeys(app.services.redis, tenantKeyPattern(tenant.tenantId))).toEqual([]);
    expect(await app.services.redis.sismember(globalKeys.tenants, tenant.tenantId)).toBe(0);
    for (const name of [tenant.admin.username, member.username]) expect(await app.services.redis.exists(globalKeys.username(name))).toBe(0);
    expect(await canBeTaken(member.username)).toBe(true);
  });

  it('after its record is gone but before it leaves the list: a re-run finishes', async () => {
    const { tenant } = await victim();
    await expect(deleteTenant(app.services, tenant.tenantId, { stopAfter: (done) => { if (done === 'record') throw new Crash(done); } })).rejects.toBeInstanceOf(Crash);
    expect(await app.services.redis.sismember(globalKeys.tenants, tenant.tenantId)).toBe(1);
    await deleteTenant(app.services, tenant.tenantId);
    expect(await app.services.redis.sismember(globalKeys.tenants, tenant.tenantId)).toBe(0);
    await expect(deleteTenant(app.services, tenant.tenantId)).rejects.toMatchObject({ code: 'not_found' });
  });

  it('writes the same final delete_tenant event on every run, so a re-run adds no second one to the trail', async () => {
    const { tenant } = await victim();
    await expect(deleteTenant(app.services, tenant.tenantId, { stopAfter: (done) => { if (done === 'final_event') throw new Crash(done); } })).rejects.toBeInstanceOf(Crash);
    await deleteTenant(app.services, tenant.tenantId);
    const stored = await app.services.auditSink.read(tenant.tenantId, { limit: 1000 }, () => true);
    const finals = stored.map((line) => JSON.parse(line) as { action: string }).filter((event) => event.action === 'delete_tenant');
    expect(finals).toHaveLength(1);
  });
});
