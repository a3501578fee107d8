import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * True when `authorization` is `Bearer <AUDIT_OFFLOAD_TOKEN>`: that caller may see the offload's
 * per-tenant figures (SPEC §11). Always false when no token is configured. Compared in constant time
 * over SHA-256 digests, so neither the content nor the length of the token leaks.
 */
export function presentsOffloadToken(authorization: string | undefined, token: string | undefined): boolean {
  if (!token || !authorization) return false;
  const presented = /^\s*Bearer\s+(.+?)\s*$/i.exec(authorization)?.[1];
  if (!presented) return false;
  return timingSafeEqual(sha256(presented), sha256(token));
}

/** An offload answer without its per-tenant figures (tenant ids included): what anyone may see. */
export function withoutTenants<T extends object>(value: T): Omit<T, 'tenants'> {
  if (!('tenants' in value)) return value;
  const { tenants: _hidden, ...totals } = value;
  return totals;
}

function sha256(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}
