import { createHash } from 'node:crypto';
import prelude from './lua/prelude.lua';
import ackAudit from './lua/ack-audit.lua';
import compareAndDelete from './lua/compare-and-delete.lua';
import countFailure from './lua/count-failure.lua';
import createApiKey from './lua/create-api-key.lua';
import createItem from './lua/create-item.lua';
import createTenant from './lua/create-tenant.lua';
import createUser from './lua/create-user.lua';
import deadLetterAudit from './lua/dead-letter-audit.lua';
import deleteApiKey from './lua/delete-api-key.lua';
import deleteItem from './lua/delete-item.lua';
import deleteUser from './lua/delete-user.lua';
import getApiKey from './lua/get-api-key.lua';
import getItem from './lua/get-item.lua';
import getUser from './lua/get-user.lua';
import listApiKeys from './lua/list-api-keys.lua';
import listItems from './lua/list-items.lua';
import listUsers from './lua/list-users.lua';
import reapExpired from './lua/reap-expired.lua';
import readAudit from './lua/read-audit.lua';
import readLogin from './lua/read-login.lua';
import recordEvent from './lua/record-event.lua';
import renewLease from './lua/renew-lease.lua';
import revokeToken from './lua/revoke-token.lua';
import setTenantStatus from './lua/set-tenant-status.lua';
import takeOverClaim from './lua/take-over-claim.lua';
import updateApiKey from './lua/update-api-key.lua';
import updateItem from './lua/update-item.lua';
import updateUser from './lua/update-user.lua';
import verifyApiKey from './lua/verify-api-key.lua';

export interface LuaScript {
  name: string;
  source: string;
  sha: string;
}

function script(name: string, source: string): LuaScript {
  return { name, source, sha: createHash('sha1').update(source).digest('hex') };
}

/** A script that shares the tenant layout of KEYS and ARGV, with the guard and audit helpers prepended. */
function tenantScript(name: string, body: string): LuaScript {
  return script(name, `${prelude}\n${body}`);
}

/** Every Lua script keyward runs; the text lives in ./lua, one file each, with its KEYS and ARGV in a header. */
export const scripts = {
  compareAndDelete: script('compare-and-delete', compareAndDelete),
  countFailure: script('count-failure', countFailure),
  takeOverClaim: script('take-over-claim', takeOverClaim),
  readLogin: script('read-login', readLogin),
  ackAudit: script('ack-audit', ackAudit),
  deadLetterAudit: script('dead-letter-audit', deadLetterAudit),
  renewLease: script('renew-lease', renewLease),
  reapExpired: script('reap-expired', reapExpired),
  recordEvent: tenantScript('record-event', recordEvent),
  revokeToken: tenantScript('revoke-token', revokeToken),
  createTenant: tenantScript('create-tenant', createTenant),
  setTenantStatus: tenantScript('set-tenant-status', setTenantStatus),
  createUser: tenantScript('create-user', createUser),
  getUser: tenantScript('get-user', getUser),
  listUsers: tenantScript('list-users', listUsers),
  updateUser: tenantScript('update-user', updateUser),
  deleteUser: tenantScript('delete-user', deleteUser),
  createItem: tenantScript('create-item', createItem),
  getItem: tenantScript('get-item', getItem),
  updateItem: tenantScript('update-item', updateItem),
  deleteItem: tenantScript('delete-item', deleteItem),
  listItems: tenantScript('list-items', listItems),
  createApiKey: tenantScript('create-api-key', createApiKey),
  getApiKey: tenantScript('get-api-key', getApiKey),
  listApiKeys: tenantScript('list-api-keys', listApiKeys),
  updateApiKey: tenantScript('update-api-key', updateApiKey),
  deleteApiKey: tenantScript('delete-api-key', deleteApiKey),
  verifyApiKey: tenantScript('verify-api-key', verifyApiKey),
  readAudit: tenantScript('read-audit', readAudit),
} as const;
