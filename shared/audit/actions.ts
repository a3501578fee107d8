/**
 * Audit action names. The first group keeps the old service's names; the rest name operations it did
 * not have (tenant lifecycle, user reads, reading the audit log itself).
 */
export const auditActions = [
  'login_success',
  'login_failed',
  'token_revoked',
  'create_key',
  'get_key',
  'update_key',
  'delete_key',
  'list_keys',
  'key_expiration',
  'create_api_key',
  'list_api_keys',
  'get_api_key',
  'update_api_key',
  'delete_api_key',
  'rotate_api_key',
  'verify_api_key',
  'create_user',
  'update_user',
  'delete_user',
  'access_denied',
  'get_user',
  'list_users',
  'read_audit_logs',
  'create_tenant',
  'disable_tenant',
  'enable_tenant',
  'delete_tenant',
  'create_identity',
  'update_identity',
  'delete_identity',
  'get_identity',
  'list_identities',
  'read_usage',
] as const;

export type AuditAction = (typeof auditActions)[number];

export type AuditOutcome = 'success' | 'failure' | 'denied';
