import type { AuditAction } from './audit/actions.js';
import type { Scope } from './auth/scopes.js';

/** The deployable functions; each is its own bundle under dist/<name>/ and scales on its own. */
export const functionNames = ['token', 'users', 'data', 'api-keys', 'audit', 'audit-offload'] as const;
export type FunctionName = (typeof functionNames)[number];

/** none: public; any: a user token or an API key; user: a user token only. */
export type AuthMode = 'none' | 'any' | 'user';

export interface RouteSpec {
  id: string;
  fn: FunctionName;
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  path: string;
  auth: AuthMode;
  /** The scope the caller needs; null for any authenticated caller. */
  scope: Scope | null;
  /** What the operation is audited as; null when it is not a tenant operation. */
  action: AuditAction | null;
  /** Served on the public gateway paths; false: only as /function/<name>/ inside the cluster. */
  public: boolean;
  summary: string;
}

/**
 * The route table: every route of every function, in one place. The functions' routers, the local
 * gateway, the OpenAPI document and the deployment manifests all read it.
 */
export const routes = [
  { id: 'login', fn: 'token', method: 'POST', path: '/token', auth: 'none', scope: null, action: 'login_success', public: true, summary: 'Log in (OAuth2 password grant) for a JWT' },
  { id: 'revokeToken', fn: 'token', method: 'POST', path: '/token/revoke', auth: 'user', scope: null, action: 'token_revoked', public: true, summary: 'Revoke the presented token' },

  { id: 'getMe', fn: 'users', method: 'GET', path: '/users/me', auth: 'user', scope: null, action: 'get_user', public: true, summary: 'The calling user' },
  { id: 'createUser', fn: 'users', method: 'POST', path: '/users', auth: 'any', scope: 'users:admin', action: 'create_user', public: true, summary: 'Create a user in the tenant' },
  { id: 'listUsers', fn: 'users', method: 'GET', path: '/users', auth: 'any', scope: 'users:admin', action: 'list_users', public: true, summary: "List the tenant's users" },
  { id: 'getUser', fn: 'users', method: 'GET', path: '/users/{username}', auth: 'any', scope: 'users:admin', action: 'get_user', public: true, summary: 'One user of the tenant' },
  { id: 'updateUser', fn: 'users', method: 'PATCH', path: '/users/{username}', auth: 'any', scope: 'users:admin', action: 'update_user', public: true, summary: 'Change a user' },
  { id: 'deleteUser', fn: 'users', method: 'DELETE', path: '/users/{username}', auth: 'any', scope: 'users:admin', action: 'delete_user', public: true, summary: 'Delete a user' },

  { id: 'createItem', fn: 'data', method: 'POST', path: '/data', auth: 'any', scope: 'data:write', action: 'create_key', public: true, summary: 'Create a data item' },
  { id: 'listItems', fn: 'data', method: 'GET', path: '/data', auth: 'any', scope: 'data:read', action: 'list_keys', public: true, summary: "List the tenant's data keys" },
  { id: 'getItem', fn: 'data', method: 'GET', path: '/data/{key}', auth: 'any', scope: 'data:read', action: 'get_key', public: true, summary: 'Read a data item' },
  { id: 'updateItem', fn: 'data', method: 'PUT', path: '/data/{key}', auth: 'any', scope: 'data:write', action: 'update_key', public: true, summary: 'Replace a data item' },
  { id: 'deleteItem', fn: 'data', method: 'DELETE', path: '/data/{key}', auth: 'any', scope: 'data:write', action: 'delete_key', public: true, summary: 'Delete a data item' },

  { id: 'createApiKey', fn: 'api-keys', method: 'POST', path: '/api-keys', auth: 'any', scope: 'keys:write', action: 'create_api_key', public: true, summary: 'Issue an API key (the secret is shown once)' },
  { id: 'listApiKeys', fn: 'api-keys', method: 'GET', path: '/api-keys', auth: 'any', scope: 'keys:read', action: 'list_api_keys', public: true, summary: "List the tenant's API keys" },
  { id: 'verifyApiKey', fn: 'api-keys', method: 'POST', path: '/api-keys/verify', auth: 'any', scope: 'keys:verify', action: 'verify_api_key', public: true, summary: 'Verify an API key' },
  { id: 'getApiKey', fn: 'api-keys', method: 'GET', path: '/api-keys/{key_id}', auth: 'any', scope: 'keys:read', action: 'get_api_key', public: true, summary: "One API key's record" },
  { id: 'updateApiKey', fn: 'api-keys', method: 'PATCH', path: '/api-keys/{key_id}', auth: 'any', scope: 'keys:write', action: 'update_api_key', public: true, summary: 'Change an API key' },
  { id: 'rotateApiKey', fn: 'api-keys', method: 'POST', path: '/api-keys/{key_id}/rotate', auth: 'any', scope: 'keys:write', action: 'rotate_api_key', public: true, summary: 'Give an API key a new secret (the old one works for a grace period)' },
  { id: 'deleteApiKey', fn: 'api-keys', method: 'DELETE', path: '/api-keys/{key_id}', auth: 'any', scope: 'keys:write', action: 'delete_api_key', public: true, summary: 'Revoke and delete an API key' },

  { id: 'listAuditLogs', fn: 'audit', method: 'GET', path: '/audit-logs', auth: 'any', scope: 'audit:read', action: 'read_audit_logs', public: true, summary: "The tenant's audit events, newest first" },

  { id: 'runAuditOffload', fn: 'audit-offload', method: 'POST', path: '/', auth: 'none', scope: null, action: null, public: false, summary: 'Ship pending audit events (scheduled)' },
  { id: 'getAuditBacklog', fn: 'audit-offload', method: 'GET', path: '/backlog', auth: 'none', scope: null, action: null, public: false, summary: 'Audit events waiting per tenant (for alerts)' },
] as const satisfies readonly RouteSpec[];

export type RouteId = (typeof routes)[number]['id'];

const byId = new Map<string, RouteSpec>(routes.map((route) => [route.id, route]));

export function routeById(id: RouteId): RouteSpec {
  const route = byId.get(id);
  if (!route) throw new Error(`no route ${id}`);
  return route;
}
