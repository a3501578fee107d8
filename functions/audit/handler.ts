import { createFunctionHandler } from '../../shared/runtime/function-handler.js';
import { listAuditLogsOperation } from './list-audit-logs.js';

export const auditOperations = [listAuditLogsOperation];

export const handler = createFunctionHandler(auditOperations);
