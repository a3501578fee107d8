import type { Role } from './scopes.js';

export interface Actor {
  type: 'user' | 'api_key' | 'system';
  id: string;
}

/**
 * Who a request (or job) acts as. A user or API-key caller has passed the local checks (signature,
 * key checksum); the live checks (revocation, disabled, scope) run in Redis with the operation itself.
 * A trusted caller was checked elsewhere: the admin CLI, the scheduler, a login whose password matched.
 */
export type Caller =
  | { kind: 'user'; tenantId: string; username: string; role: Role; jti: string; expiresAtMs: number; tokenGen?: string }
  | { kind: 'api_key'; tenantId: string; keyHash: string; start: string }
  | { kind: 'trusted'; tenantId: string; actor: Actor };

export function actorOf(caller: Caller): Actor {
  switch (caller.kind) {
    case 'user':
      return { type: 'user', id: caller.username };
    case 'api_key':
      return { type: 'api_key', id: caller.start };
    case 'trusted':
      return caller.actor;
  }
}

export function systemCaller(tenantId: string, id = 'keyward'): Caller {
  return { kind: 'trusted', tenantId, actor: { type: 'system', id } };
}
