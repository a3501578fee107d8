import { createHash } from 'node:crypto';
import ackAudit from './lua/ack-audit.lua';
import apiKeysLib from './lua/lib/api-keys.lua';
import auditLib from './lua/lib/audit.lua';
import calendarLib from './lua/lib/calendar.lua';
import frameLib from './lua/lib/frame.lua';
import guardLib from './lua/lib/guard.lua';
import pagingLib from './lua/lib/paging.lua';
import pendingMarkLib from './lua/lib/pending-mark.lua';
import scopesLib from './lua/lib/scopes.lua';
import targetsLib from './lua/lib/targets.lua';
import usageLib from './lua/lib/usage.lua';
import compareAndDelete from './lua/compare-and-delete.lua';
import countAttempt from './lua/count-attempt.lua';
import createApiKey from './lua/create-api-key.lua';
import createItem from './lua/create-item.lua';
import createTenant from './lua/create-tenant.lua';
import createIdentity from './lua/create-identity.lua';
import createUser from './lua/create-user.lua';
import deadLetterAudit from './lua/dead-letter-audit.lua';
import deleteApiKey from './lua/delete-api-key.lua';
import deleteIdentity from './lua/delete-identity.lua';
import deleteItem from './lua/delete-item.lua';
import deleteUser from './lua/delete-user.lua';
import finishAuditVisit from './lua/finish-audit-visit.lua';
import getApiKey from './lua/get-api-key.lua';
import getIdentity from './lua/get-identity.lua';
import getItem from './lua/get-item.lua';
import getUser from './lua/get-user.lua';
import listApiKeys from './lua/list-api-keys.lua';
import listIdentities from './lua/list-identities.lua';
import listItems from './lua/list-items.lua';
import listUsers from './lua/list-users.lua';
import reapExpired from './lua/reap-expired.lua';
import readAudit from './lua/read-audit.lua';
import readAuditBatch from './lua/read-audit-batch.lua';
import readLogin from './lua/read-login.lua';
import readUsage from './lua/read-usage.lua';
import rotateApiKey from './lua/rotate-api-key.lua';
import recordEvent from './lua/record-event.lua';
import releaseAttempt from './lua/release-attempt.lua';
import renewLease from './lua/renew-lease.lua';
import revokeToken from './lua/revoke-token.lua';
import setTenantStatus from './lua/set-tenant-status.lua';
import takeOverClaim from './lua/take-over-claim.lua';
import updateApiKey from './lua/update-api-key.lua';
import updateIdentity from './lua/update-identity.lua';
import updateItem from './lua/update-item.lua';
import updateUser from './lua/update-user.lua';
import verifyApiKey from './lua/verify-api-key.lua';
import { scopeConstants } from './scope-constants.js';
import { frameDeclaration } from './script-frame.js';

export interface LuaScript {
  name: string;
  source: string;
  sha: string;
  /** Changes users, keys, data or tenants: runs with an operation marker and is retried idempotently when its outcome is unknown. */
  durable: boolean;
}

function script(name: string, source: string, durable = false): LuaScript {
  return { name, source, sha: createHash('sha1').update(source).digest('hex'), durable };
}

/**
 * What opens every tenant script, in dependency order (each part uses those before it): the frame's
 * KEYS and ARGV by name, then the Lua library every script needs (operation marker, audit, scopes,
 * calendar, usage, API-key use, guard).
 */
export const prelude = [frameDeclaration(), frameLib, auditLib, scopesLib, calendarLib, usageLib, apiKeysLib, guardLib].join('\n');

/**
 * Library parts only some scripts use, put after the prelude of those alone: a script runs all of its
 * text on every call, so the hot ones (reads, verification) carry nothing they do not need.
 */
export const optionalLibs = {
  paging: pagingLib,
  /** The policy's target rules (keys, users, identities and their keys), with the scope vocabulary they read. */
  targets: `${scopeConstants()}\n${targetsLib}`,
};

interface TenantScriptOptions {
  /** Changes users, keys, data or tenants (see LuaScript.durable). */
  durable?: boolean;
  uses?: (keyof typeof optionalLibs)[];
}

/**
 * A script that opens with the frame (shared/redis/script-frame.ts): the prelude, then the optional
 * library parts it uses, then the script's own body as `main()`, whose reply `finish()` records.
 */
function tenantScript(name: string, body: string, options: TenantScriptOptions = {}): LuaScript {
  const libs = (options.uses ?? []).map((lib) => `${optionalLibs[lib]}\n`).join('');
  return script(name, `${prelude}\n${libs}local function main()\n${body}\nend\nreturn finish(main())\n`, options.durable === true);
}

/** What opens the offload scripts that change a tenant's audit stream: the pending-mark rule they share. */
export const offloadLib = pendingMarkLib;

/** An offload script that settles a tenant's pending mark: lib/pending-mark, then its own text. */
function offloadScript(name: string, body: string): LuaScript {
  return script(name, `${offloadLib}\n${body}`);
}

const write = { durable: true };
const targets = { uses: ['targets'] } as const satisfies TenantScriptOptions;
const paging = { uses: ['paging'] } as const satisfies TenantScriptOptions;

/** Every Lua script keyward runs; the text lives in ./lua, one file each, with its KEYS and ARGV in a header. */
export const scripts = {
  compareAndDelete: script('compare-and-delete', compareAndDelete),
  countAttempt: script('count-attempt', countAttempt),
  releaseAttempt: script('release-attempt', releaseAttempt),
  takeOverClaim: script('take-over-claim', takeOverClaim),
  readLogin: script('read-login', readLogin),
  ackAudit: offloadScript('ack-audit', ackAudit),
  deadLetterAudit: offloadScript('dead-letter-audit', deadLetterAudit),
  readAuditBatch: script('read-audit-batch', readAuditBatch),
  finishAuditVisit: offloadScript('finish-audit-visit', finishAuditVisit),
  renewLease: script('renew-lease', renewLease),
  reapExpired: script('reap-expired', reapExpired),
  recordEvent: tenantScript('record-event', recordEvent),
  revokeToken: tenantScript('revoke-token', revokeToken, write),
  createTenant: tenantScript('create-tenant', createTenant, write),
  setTenantStatus: tenantScript('set-tenant-status', setTenantStatus, write),
  createUser: tenantScript('create-user', createUser, { ...write, ...targets }),
  getUser: tenantScript('get-user', getUser),
  listUsers: tenantScript('list-users', listUsers, paging),
  updateUser: tenantScript('update-user', updateUser, { ...write, ...targets }),
  deleteUser: tenantScript('delete-user', deleteUser, { ...write, ...targets }),
  createItem: tenantScript('create-item', createItem, write),
  getItem: tenantScript('get-item', getItem),
  updateItem: tenantScript('update-item', updateItem, write),
  deleteItem: tenantScript('delete-item', deleteItem, write),
  listItems: tenantScript('list-items', listItems),
  createApiKey: tenantScript('create-api-key', createApiKey, { ...write, ...targets }),
  getApiKey: tenantScript('get-api-key', getApiKey),
  listApiKeys: tenantScript('list-api-keys', listApiKeys, paging),
  updateApiKey: tenantScript('update-api-key', updateApiKey, { ...write, ...targets }),
  deleteApiKey: tenantScript('delete-api-key', deleteApiKey, { ...write, ...targets }),
  rotateApiKey: tenantScript('rotate-api-key', rotateApiKey, { ...write, ...targets }),
  verifyApiKey: tenantScript('verify-api-key', verifyApiKey),
  createIdentity: tenantScript('create-identity', createIdentity, write),
  getIdentity: tenantScript('get-identity', getIdentity),
  listIdentities: tenantScript('list-identities', listIdentities, paging),
  updateIdentity: tenantScript('update-identity', updateIdentity, { ...write, ...targets }),
  deleteIdentity: tenantScript('delete-identity', deleteIdentity, { ...write, ...targets }),
  readUsage: tenantScript('read-usage', readUsage),
  readAudit: tenantScript('read-audit', readAudit),
} as const;
