/** The scopes keyward itself checks. API keys may also carry custom scopes for the tenant's own APIs. */
export const builtInScopes = ['data:read', 'data:write', 'keys:read', 'keys:write', 'keys:verify', 'audit:read', 'users:admin'] as const;
export type Scope = (typeof builtInScopes)[number];

export const roles = ['admin', 'member'] as const;
export type Role = (typeof roles)[number];

const memberScopes: readonly Scope[] = builtInScopes.filter((scope) => scope !== 'users:admin' && scope !== 'audit:read');

/** Admins hold every scope; members all but `users:admin` and `audit:read`. */
export function scopesOfRole(role: Role): readonly Scope[] {
  return role === 'admin' ? builtInScopes : memberScopes;
}

export function isBuiltInScope(scope: string): scope is Scope {
  return (builtInScopes as readonly string[]).includes(scope);
}

/** A custom scope: no spaces, 1–64 characters, e.g. `orders:read` or `billing.admin`. */
export const scopePattern = /^[A-Za-z0-9][A-Za-z0-9_.:*-]{0,63}$/;

/** keyward's own namespaces: a scope in them must be one of the built-in scopes, never a custom one. */
export const reservedScopeNamespaces = ['data:', 'keys:', 'audit:', 'users:'] as const;

/** A scope an API key may carry: a built-in one, or a custom one outside keyward's namespaces. */
export function isGrantableScope(scope: string): boolean {
  return isBuiltInScope(scope) || !reservedScopeNamespaces.some((namespace) => scope.toLowerCase().startsWith(namespace));
}
