import * as z from 'zod';
import { limitSchema } from '../pagination.js';
import { auditActions } from './actions.js';

export const ListAuditLogsQuery = z.object({
  action: z.enum(auditActions).optional(),
  key_id: z.string().regex(/^key_[0-9A-Z]{26}$/, 'Not a key id').optional(),
  identity_id: z.string().regex(/^idt_[0-9A-Z]{26}$/, 'Not an identity id').optional(),
  outcome: z.enum(['success', 'failure', 'denied']).optional(),
  since: z.iso.datetime({ offset: true }).transform((text) => Date.parse(text)).optional(),
  until: z.iso.datetime({ offset: true }).transform((text) => Date.parse(text)).optional(),
  limit: limitSchema(1000, 100),
});
export type AuditQuery = z.output<typeof ListAuditLogsQuery>;

export const AuditEventSchema = z
  .object({
    timestamp: z.string(),
    action: z.enum(auditActions),
    tenant_id: z.string(),
    actor: z.object({ type: z.enum(['user', 'api_key', 'system']), id: z.string() }),
    outcome: z.enum(['success', 'failure', 'denied']),
    request_id: z.string(),
  })
  .catchall(z.unknown());
export type AuditEvent = z.infer<typeof AuditEventSchema>;
