import type { RouteId } from '../routes.js';
import { isBuiltInScope, scopesOfRole, type Role, type Scope } from './scopes.js';

/**
 * The authorization policy: for every route, who may call it and with which scope, and for every
 * kind of target a route changes, what the caller must hold to change it. The code enforces it
 * (shared/runtime/operation.ts for callers and scopes, the Lua target rules in
 * shared/redis/lua/lib/targets.lua for targets) and tests/authorization.test.ts walks every route
 * against every kind of caller and target; docs/authorization.md is generated from it.
 */

/** Kinds of authenticated caller: a user's JWT (an admin or a member) or an API key. */
export const callerKinds = ['user', 'api_key'] as const;
export type CallerKind = (typeof callerKinds)[number];

/** Kinds of thing a route may create, change, rotate or delete on a caller's behalf. */
export const targetKinds = ['api_key', 'user', 'identity'] as const;
export type TargetKind = (typeof targetKinds)[number];

/**
 * The state of a target its rule is checked on: the one it has before the change, the one it gets
 * after, or both (a change that could raise it).
 */
export type TargetStates = 'before' | 'after' | 'both';

export interface RoutePolicy {
  /** `anyone`: no credential needed (the route decides what it shows); else the kinds of caller admitted. */
  callers: 'anyone' | readonly CallerKind[];
  /** The built-in scope the caller must hold (an admin's and a member's come from their role); null: none. */
  scope: Scope | null;
  /** What the route creates or changes, and on which of its states the target rule is checked. */
  target?: { kind: TargetKind; states: TargetStates };
  /**
   * An identity the route's key joins or leaves, held to the identity rule too (a key of an identity
   * spends its limits and credits): on its state before, after, or both.
   */
  identity?: TargetStates;
  /** For an `anyone` route that shows more to the holder of an internal secret: the secret and what it adds. */
  elevatedBy?: { secret: 'audit-offload-token'; shows: string };
}

/**
 * Nobody gains a scope by acting on a target: the caller must hold every built-in scope the target
 * holds, in each state the route names (custom scopes are the tenant's own and free).
 */
export const targetRules: Record<TargetKind, { rule: string; requires: (state: string) => readonly Scope[] }> = {
  api_key: {
    rule: 'the caller holds every built-in scope the key holds',
    requires: (scopes) => scopes.split(' ').filter(isBuiltInScope),
  },
  user: {
    rule: "the caller holds every scope of the user's role",
    requires: (role) => scopesOfRole(role as Role),
  },
  identity: {
    rule: "the caller holds every built-in scope the identity's keys hold",
    requires: (scopes) => scopes.split(' ').filter(isBuiltInScope),
  },
};

const anyCaller = callerKinds;
const usersOnly = ['user'] as const;
const offloadFigures = { secret: 'audit-offload-token', shows: 'per-tenant figures (totals otherwise)' } as const;

/** One row per route of shared/routes.ts. */
export const policy = {
  login: { callers: 'anyone', scope: null },
  revokeToken: { callers: usersOnly, scope: null },

  getMe: { callers: usersOnly, scope: null },
  createUser: { callers: anyCaller, scope: 'users:admin', target: { kind: 'user', states: 'after' } },
  listUsers: { callers: anyCaller, scope: 'users:admin' },
  getUser: { callers: anyCaller, scope: 'users:admin' },
  updateUser: { callers: anyCaller, scope: 'users:admin', target: { kind: 'user', states: 'both' } },
  deleteUser: { callers: anyCaller, scope: 'users:admin', target: { kind: 'user', states: 'before' } },

  createItem: { callers: anyCaller, scope: 'data:write' },
  listItems: { callers: anyCaller, scope: 'data:read' },
  getItem: { callers: anyCaller, scope: 'data:read' },
  updateItem: { callers: anyCaller, scope: 'data:write' },
  deleteItem: { callers: anyCaller, scope: 'data:write' },

  createApiKey: { callers: anyCaller, scope: 'keys:write', target: { kind: 'api_key', states: 'after' }, identity: 'after' },
  listApiKeys: { callers: anyCaller, scope: 'keys:read' },
  verifyApiKey: { callers: anyCaller, scope: 'keys:verify' },
  getApiKey: { callers: anyCaller, scope: 'keys:read' },
  updateApiKey: { callers: anyCaller, scope: 'keys:write', target: { kind: 'api_key', states: 'both' }, identity: 'both' },
  // A new secret is as good as a new key: held to the rule of creation, on the scopes the key keeps.
  rotateApiKey: { callers: anyCaller, scope: 'keys:write', target: { kind: 'api_key', states: 'before' } },
  deleteApiKey: { callers: anyCaller, scope: 'keys:write', target: { kind: 'api_key', states: 'before' } },
  getApiKeyUsage: { callers: anyCaller, scope: 'keys:read' },

  // A new identity holds nothing; changing one changes what all its keys may spend.
  createIdentity: { callers: anyCaller, scope: 'keys:write' },
  listIdentities: { callers: anyCaller, scope: 'keys:read' },
  getIdentity: { callers: anyCaller, scope: 'keys:read' },
  updateIdentity: { callers: anyCaller, scope: 'keys:write', target: { kind: 'identity', states: 'before' } },
  deleteIdentity: { callers: anyCaller, scope: 'keys:write', target: { kind: 'identity', states: 'before' } },
  getIdentityUsage: { callers: anyCaller, scope: 'keys:read' },
  getUsage: { callers: anyCaller, scope: 'keys:read' },

  listAuditLogs: { callers: anyCaller, scope: 'audit:read' },

  // Internal: the schedulers send no credentials; what a run or the backlog shows depends on the token.
  runAuditOffload: { callers: 'anyone', scope: null, elevatedBy: offloadFigures },
  getAuditBacklog: { callers: 'anyone', scope: null, elevatedBy: offloadFigures },

  // The console's static files are the same for everyone: the page logs in through POST /token.
  getConsolePage: { callers: 'anyone', scope: null },
  getConsoleAsset: { callers: 'anyone', scope: null },
} as const satisfies Record<RouteId, RoutePolicy>;

const byRoute = new Map<string, RoutePolicy>(Object.entries(policy));

/** The policy row of a route (every route of shared/routes.ts has one: the type of `policy` says so). */
export function policyOf(routeId: string): RoutePolicy {
  const row = byRoute.get(routeId);
  if (!row) throw new Error(`no policy for route ${routeId}`);
  return row;
}

/** True when a caller holding `held` may touch a target in the state given (`state`: a key's scopes or a user's role). */
export function mayTouch(held: readonly string[], kind: TargetKind, state: string): boolean {
  return targetRules[kind].requires(state).every((scope) => held.includes(scope));
}

/** A caller as the policy sees it: no credential, a user of a role, or an API key with its scopes. */
export type CallerProfile = { kind: 'anonymous' } | { kind: 'user'; role: Role } | { kind: 'api_key'; scopes: readonly string[] };

/** What the policy decides for one call: let it through, or refuse it as unauthenticated (401) or forbidden (403). */
export type Decision = 'allowed' | 'unauthenticated' | 'forbidden';

/** The target of one call, in the states the route's rule looks at (a key's scopes, a user's role, an identity's keys' scopes). */
export interface TargetState {
  before?: string;
  after?: string;
  /** The identity a key leaves and the one it joins: the scopes their keys hold. */
  identityBefore?: string;
  identityAfter?: string;
}

/** The scopes a caller holds: a user's come from the role, a key's are its own (custom ones included). */
export function scopesOf(caller: CallerProfile): readonly string[] {
  if (caller.kind === 'user') return scopesOfRole(caller.role);
  return caller.kind === 'api_key' ? caller.scopes : [];
}

/** The policy's decision for a call, from the table alone (what the code must do; the tests hold it to this). */
export function decide(routeId: RouteId, caller: CallerProfile, target: TargetState = {}): Decision {
  const row: RoutePolicy = policy[routeId];
  if (row.callers === 'anyone') return 'allowed';
  if (caller.kind === 'anonymous') return 'unauthenticated';
  if (!row.callers.includes(caller.kind)) return 'forbidden';
  const held = scopesOf(caller);
  if (row.scope && !held.includes(row.scope)) return 'forbidden';
  const checked = (kind: TargetKind, states: TargetStates | undefined, before: string | undefined, after: string | undefined) =>
    [states && states !== 'after' ? before : undefined, states && states !== 'before' ? after : undefined].every((state) => state === undefined || mayTouch(held, kind, state));
  if (row.target && !checked(row.target.kind, row.target.states, target.before, target.after)) return 'forbidden';
  if (!checked('identity', row.identity, target.identityBefore, target.identityAfter)) return 'forbidden';
  return 'allowed';
}
