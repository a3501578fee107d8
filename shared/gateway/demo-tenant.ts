import { randomBytes } from 'node:crypto';
import { globalKeys } from '../redis/keys.js';
import type { Services } from '../services.js';
import { createTenant } from '../tenancy/tenants.js';

export const demoTenant = { tenantId: 'demo', username: 'demo-admin' };

/** On a database with no tenant: a `demo` tenant and admin, whose password is returned to print once. */
export async function createDemoTenantIfEmpty(services: Services): Promise<{ tenantId: string; username: string; password: string } | null> {
  if ((await services.redis.scard(globalKeys.tenants)) > 0) return null;
  const password = generatePassword();
  await createTenant(services, demoTenant.tenantId, { username: demoTenant.username, password });
  return { ...demoTenant, password };
}

/** 24 base64url characters: 144 random bits. */
export function generatePassword(): string {
  return randomBytes(18).toString('base64url');
}
