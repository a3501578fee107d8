import { readAuditLogs } from '../../shared/audit/read.js';
import { AuditEventSchema, ListAuditLogsQuery } from '../../shared/audit/schemas.js';
import { defineOperation } from '../../shared/runtime/operation.js';

/** GET /audit-logs?action=&key_id=&identity_id=&outcome=&since=&until=&limit=: the caller's tenant's events, newest first. */
export const listAuditLogsOperation = defineOperation({
  route: 'listAuditLogs',
  query: ListAuditLogsQuery,
  response: AuditEventSchema.array(),
  async handle({ query, call, services }) {
    return await readAuditLogs(services, call, query);
  },
});
