import { randomBytes } from 'node:crypto';
import { hashPassword } from '../auth/passwords.js';
import type { Role } from '../auth/scopes.js';
import { isoTime } from '../clock.js';
import { AppError } from '../errors/app-error.js';
import { tenantKeys } from '../redis/keys.js';
import { scripts } from '../redis/scripts.js';
import { runOperation } from '../operations/run-operation.js';
import type { Call } from '../operations/call.js';
import type { Services } from '../services.js';
import type { NewUser, User, UserChange } from './schemas.js';
import { claimUsername, confirmUsername, releaseUsername } from './username-claims.js';

/** The calling user's own record. */
export async function getMe(services: Services, call: Call): Promise<User> {
  if (call.caller.kind !== 'user') throw new AppError('insufficient_scope', 'This route needs a user token');
  return getUser(services, call, call.caller.username);
}

export async function getUser(services: Services, call: Call, username: string): Promise<User> {
  const keys = tenantKeys(call.caller.tenantId);
  const reply = await runOperation(services, scripts.getUser, call, { keys: [keys.user(username)], details: { username } });
  return decodeUser(call.caller.tenantId, reply);
}

/** Creates a user in the caller's tenant; a username taken anywhere in the service is 409. */
export async function createUser(services: Services, call: Call, user: NewUser): Promise<User> {
  const { tenantId } = call.caller;
  const passwordHash = await hashPassword(user.password, services.config.passwords.bcryptCost);
  const claim = await claimUsername(services, user.username, tenantId);
  if (claim === 'taken') throw new AppError('already_exists', 'Username is taken');
  const keys = tenantKeys(tenantId);
  let reply: unknown[];
  try {
    reply = await runOperation(services, scripts.createUser, call, {
      keys: [keys.user(user.username), keys.users],
      args: [user.username, user.role, user.full_name ?? '', user.email ?? '', passwordHash, newTokenGeneration()],
      details: { username: user.username, role: user.role },
    });
  } catch (error) {
    if (claim === 'claimed') await releaseUsername(services, user.username, tenantId);
    throw error;
  }
  await confirmUsername(services, user.username);
  return decodeUser(tenantId, reply);
}

export async function listUsers(services: Services, call: Call, page: { limit: number; cursor?: string }): Promise<{ users: User[]; nextCursor: string | null }> {
  const keys = tenantKeys(call.caller.tenantId);
  const [nextCursor, ...rows] = await runOperation(services, scripts.listUsers, call, {
    keys: [keys.users],
    args: [page.cursor ?? '', page.limit, keys.user('')],
  });
  const users = (rows as unknown[][]).filter((row) => row[0]).map((row) => decodeUser(call.caller.tenantId, row));
  return { users, nextCursor: nextCursor ? String(nextCursor) : null };
}

/** Changes a user; an admin cannot demote or disable themselves (the tenant would lose its admin). */
export async function updateUser(services: Services, call: Call, username: string, change: UserChange): Promise<User> {
  if (isSelf(call, username) && ((change.role !== undefined && change.role !== 'admin') || change.disabled === true)) {
    throw new AppError('cannot_modify_self', 'You cannot demote or disable your own account');
  }
  const fields: string[] = [];
  if (change.role !== undefined) fields.push('role', change.role);
  if (change.full_name !== undefined) fields.push('full_name', change.full_name ?? '');
  if (change.email !== undefined) fields.push('email', change.email ?? '');
  if (change.disabled !== undefined) fields.push('disabled', change.disabled ? '1' : '0');
  if (change.password !== undefined) fields.push('password_hash', await hashPassword(change.password, services.config.passwords.bcryptCost));
  const changed = fields.filter((_, i) => i % 2 === 0).map((name) => (name === 'password_hash' ? 'password' : name));
  // A change of password, role or status ends the user's tokens: they carry the generation it replaces.
  const endsTokens = change.password !== undefined || change.role !== undefined || change.disabled !== undefined;
  const keys = tenantKeys(call.caller.tenantId);
  const reply = await runOperation(services, scripts.updateUser, call, {
    keys: [keys.user(username)],
    args: [username, endsTokens ? newTokenGeneration() : '', ...fields],
    details: { username, fields: changed },
  });
  return decodeUser(call.caller.tenantId, reply);
}

/** Deletes a user: their tokens stop working at once, and the username is free again. */
export async function deleteUser(services: Services, call: Call, username: string): Promise<void> {
  if (isSelf(call, username)) throw new AppError('cannot_modify_self', 'You cannot delete your own account');
  const keys = tenantKeys(call.caller.tenantId);
  await runOperation(services, scripts.deleteUser, call, { keys: [keys.user(username), keys.users], args: [username], details: { username } });
  await releaseUsername(services, username, call.caller.tenantId);
}

function isSelf(call: Call, username: string): boolean {
  return call.caller.kind === 'user' && call.caller.username === username;
}

function decodeUser(tenantId: string, reply: unknown[]): User {
  const [username, role, fullName, email, disabled, createdAt] = reply.map((part) => (part === null ? '' : String(part)));
  return {
    username: username ?? '',
    tenant_id: tenantId,
    role: role as Role,
    full_name: fullName || null,
    email: email || null,
    disabled: disabled === '1',
    created_at: isoTime(Number(createdAt)),
  };
}

/**
 * A user's token generation: every token carries the one current when it was issued, and the guard
 * accepts only the user's current one. Random, so a user created again under a deleted user's name
 * never shares the old one's.
 */
function newTokenGeneration(): string {
  return randomBytes(9).toString('base64url');
}
