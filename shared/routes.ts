import type { AuditAction } from './audit/actions.js';

/** The deployable functions; each is its own bundle under dist/<name>/ and scales on its own. */
export const functionNames = ['token', 'users', 'data', 'api-keys', 'audit', 'audit-offload', 'console'] as const;
export type FunctionName = (typeof functionNames)[number];

export interface RouteSpec {
  id: string;
  fn: FunctionName;
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  path: string;
  /** What the operation is audited as; null when it is not a tenant operation. */
  action: AuditAction | null;
  /** Served on the public gateway paths; false: only as /function/<name>/ inside the cluster. */
  public: boolean;
  summary: string;
}

/**
 * The route table: every route of every function, in one place. The functions' routers, the local
 * gateway, the OpenAPI document and the deployment manifests all read it. Who may call each route is
 * the authorization policy's business: shared/auth/policy.ts has a row for every route here.
 */
export const routes = [
  { id: 'login', fn: 'token', method: 'POST', path: '/token', action: 'login_success', public: true, summary: 'Log in (OAuth2 password grant) for a JWT' },
  { id: 'revokeToken', fn: 'token', method: 'POST', path: '/token/revoke', action: 'token_revoked', public: true, summary: 'Revoke the presented token' },

  { id: 'getMe', fn: 'users', method: 'GET', path: '/users/me', action: 'get_user', public: true, summary: 'The calling user' },
  { id: 'createUser', fn: 'users', method: 'POST', path: '/users', action: 'create_user', public: true, summary: 'Create a user in the tenant' },
  { id: 'listUsers', fn: 'users', method: 'GET', path: '/users', action: 'list_users', public: true, summary: "List the tenant's users" },
  { id: 'getUser', fn: 'users', method: 'GET', path: '/users/{username}', action: 'get_user', public: true, summary: 'One user of the tenant' },
  { id: 'updateUser', fn: 'users', method: 'PATCH', path: '/users/{username}', action: 'update_user', public: true, summary: 'Change a user' },
  { id: 'deleteUser', fn: 'users', method: 'DELETE', path: '/users/{username}', action: 'delete_user', public: true, summary: 'Delete a user' },

  { id: 'createItem', fn: 'data', method: 'POST', path: '/data', action: 'create_key', public: true, summary: 'Create a data item' },
  { id: 'listItems', fn: 'data', method: 'GET', path: '/data', action: 'list_keys', public: true, summary: "List the tenant's data keys" },
  { id: 'getItem', fn: 'data', method: 'GET', path: '/data/{key}', action: 'get_key', public: true, summary: 'Read a data item' },
  { id: 'updateItem', fn: 'data', method: 'PUT', path: '/data/{key}', action: 'update_key', public: true, summary: 'Replace a data item' },
  { id: 'deleteItem', fn: 'data', method: 'DELETE', path: '/data/{key}', action: 'delete_key', public: true, summary: 'Delete a data item' },

  { id: 'createApiKey', fn: 'api-keys', method: 'POST', path: '/api-keys', action: 'create_api_key', public: true, summary: 'Issue an API key (the secret is shown once)' },
  { id: 'listApiKeys', fn: 'api-keys', method: 'GET', path: '/api-keys', action: 'list_api_keys', public: true, summary: "List the tenant's API keys" },
  { id: 'verifyApiKey', fn: 'api-keys', method: 'POST', path: '/api-keys/verify', action: 'verify_api_key', public: true, summary: 'Verify an API key' },
  { id: 'getApiKey', fn: 'api-keys', method: 'GET', path: '/api-keys/{key_id}', action: 'get_api_key', public: true, summary: "One API key's record" },
  { id: 'updateApiKey', fn: 'api-keys', method: 'PATCH', path: '/api-keys/{key_id}', action: 'update_api_key', public: true, summary: 'Change an API key' },
  { id: 'rotateApiKey', fn: 'api-keys', method: 'POST', path: '/api-keys/{key_id}/rotate', action: 'rotate_api_key', public: true, summary: 'Give an API key a new secret (the old one works for a grace period)' },
  { id: 'deleteApiKey', fn: 'api-keys', method: 'DELETE', path: '/api-keys/{key_id}', action: 'delete_api_key', public: true, summary: 'Revoke and delete an API key' },
  { id: 'getApiKeyUsage', fn: 'api-keys', method: 'GET', path: '/api-keys/{key_id}/usage', action: 'read_usage', public: true, summary: "One key's usage per hour or day" },

  { id: 'createIdentity', fn: 'api-keys', method: 'POST', path: '/identities', action: 'create_identity', public: true, summary: 'Create an identity (a customer keys are issued to)' },
  { id: 'listIdentities', fn: 'api-keys', method: 'GET', path: '/identities', action: 'list_identities', public: true, summary: "List the tenant's identities" },
  { id: 'getIdentity', fn: 'api-keys', method: 'GET', path: '/identities/{identity_id}', action: 'get_identity', public: true, summary: 'One identity' },
  { id: 'updateIdentity', fn: 'api-keys', method: 'PATCH', path: '/identities/{identity_id}', action: 'update_identity', public: true, summary: "Change an identity's external id, meta, limits or credits" },
  { id: 'deleteIdentity', fn: 'api-keys', method: 'DELETE', path: '/identities/{identity_id}', action: 'delete_identity', public: true, summary: 'Delete an identity without keys' },
  { id: 'getIdentityUsage', fn: 'api-keys', method: 'GET', path: '/identities/{identity_id}/usage', action: 'read_usage', public: true, summary: "One identity's usage per hour or day" },
  { id: 'getUsage', fn: 'api-keys', method: 'GET', path: '/usage', action: 'read_usage', public: true, summary: "The tenant's usage per hour or day" },

  { id: 'listAuditLogs', fn: 'audit', method: 'GET', path: '/audit-logs', action: 'read_audit_logs', public: true, summary: "The tenant's audit events, newest first" },

  { id: 'runAuditOffload', fn: 'audit-offload', method: 'POST', path: '/', action: null, public: false, summary: 'Ship pending audit events (scheduled)' },
  { id: 'getAuditBacklog', fn: 'audit-offload', method: 'GET', path: '/backlog', action: null, public: false, summary: 'Audit events waiting per tenant (for alerts)' },

  // The web console (SPEC §13): static files, so no audit action. `/console/` matches `/console` (the router ignores a trailing slash).
  { id: 'getConsolePage', fn: 'console', method: 'GET', path: '/console', action: null, public: true, summary: "The web console's page" },
  { id: 'getConsoleAsset', fn: 'console', method: 'GET', path: '/console/assets/{file}', action: null, public: true, summary: "A file of the web console (content-hashed name, cached for a year)" },
] as const satisfies readonly RouteSpec[];

export type RouteId = (typeof routes)[number]['id'];

const byId = new Map<string, RouteSpec>(routes.map((route) => [route.id, route]));

export function routeById(id: RouteId): RouteSpec {
  const route = byId.get(id);
  if (!route) throw new Error(`no route ${id}`);
  return route;
}
