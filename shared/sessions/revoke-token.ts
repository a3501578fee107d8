import { AppError } from '../errors/app-error.js';
import { scripts } from '../redis/scripts.js';
import { runOperation } from '../operations/run-operation.js';
import type { Call } from '../operations/call.js';
import type { Services } from '../services.js';

/** Refuses the presented JWT from now on, until it would have expired anyway. */
export async function revokeToken(services: Services, call: Call): Promise<void> {
  const { caller } = call;
  if (caller.kind !== 'user') throw new AppError('insufficient_scope', 'Only a user token can be revoked here; delete an API key instead');
  await runOperation(services, scripts.revokeToken, call, { args: [caller.expiresAtMs], details: { jti: caller.jti } });
}
