import type { Caller } from '../auth/caller.js';
import type { Scope } from '../auth/scopes.js';
import type { AuditAction } from '../audit/actions.js';

/** One authenticated operation: who calls, what it is audited as, and the scope its route needs. */
export interface Call {
  caller: Caller;
  action: AuditAction;
  scope: Scope | null;
  requestId: string;
}
