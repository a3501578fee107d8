import * as z from 'zod';

/** 1–63 lowercase letters, digits and `-`, starting with a letter or digit: a Loki org id and a DNS label. */
export const tenantIdPattern = /^[a-z0-9][a-z0-9-]{0,62}$/;

export const TenantIdSchema = z.string().regex(tenantIdPattern, 'Tenant id: 1-63 of a-z, 0-9 and -, starting with a letter or digit');

export function isTenantId(value: string): boolean {
  return tenantIdPattern.test(value);
}
