import { AppError } from '../errors/app-error.js';
import { globalKeys, tenantKeys } from '../redis/keys.js';
import { runScript } from '../redis/run-script.js';
import { scripts } from '../redis/scripts.js';
import { recordEvent } from '../operations/run-operation.js';
import type { Call } from '../operations/call.js';
import type { Services } from '../services.js';
import type { AccessToken } from '../auth/jwt.js';
import { releaseLoginAttempt, takeLoginAttempt } from './login-throttle.js';
import { dummyHash, verifyPassword } from '../auth/passwords.js';
import { roles, type Role } from '../auth/scopes.js';

export interface LoginInput {
  username: string;
  password: string;
  address: string;
  requestId: string;
}

/**
 * The password grant: count the attempt (throttled ones stop here, before bcrypt), look the user up,
 * check the password (against a dummy hash when the user is unknown, so timing does not tell), then
 * tenant and user status, then a token. Outcomes are audited in the user's tenant when the username
 * is known; throttled attempts once per username and window. Each is counted by outcome (SPEC §12).
 */
export async function login(services: Services, input: LoginInput): Promise<AccessToken> {
  try {
    const token = await attemptLogin(services, input);
    services.metrics.logins.record('success');
    return token;
  } catch (error) {
    services.metrics.logins.failed(error);
    throw error;
  }
}

async function attemptLogin(services: Services, input: LoginInput): Promise<AccessToken> {
  const { username, address } = input;
  const tenantId = await services.redis.get(globalKeys.username(username));
  const audit = (outcome: 'success' | 'failure', reason = '') =>
    tenantId
      ? recordEvent(services, loginCall(tenantId, username, input.requestId, outcome === 'success'), outcome, reason)
      : Promise.resolve();

  const throttled = await takeLoginAttempt(services, username, address);
  if (throttled) {
    if (throttled.firstInWindow) await audit('failure', throttled.error.code);
    throw throttled.error;
  }

  const record = tenantId ? await readLoginRecord(services, tenantId, username) : null;
  const passwordHash = record?.passwordHash ?? (await dummyHash(services.config.passwords.bcryptCost));
  const matches = await verifyPassword(input.password, passwordHash);
  if (!record || !matches) {
    await audit('failure', 'invalid_credentials');
    throw new AppError('invalid_credentials', undefined, { headers: { 'www-authenticate': 'Bearer' } });
  }
  await releaseLoginAttempt(services, username, address, record.tenantStatus === 'active' && !record.disabled);
  // Only a caller who knows the password learns that the account or tenant is disabled.
  if (record.tenantStatus !== 'active') {
    await audit('failure', 'tenant_disabled');
    throw new AppError('tenant_disabled');
  }
  if (record.disabled) {
    await audit('failure', 'user_disabled');
    throw new AppError('user_disabled');
  }
  const token = await services.keyring.sign({ username, tenantId: record.tenantId, role: record.role, tokenGen: record.tokenGen }, services.clock.now());
  await audit('success');
  return token;
}

interface LoginRecord {
  tenantId: string;
  tenantStatus: string | null;
  role: Role;
  disabled: boolean;
  passwordHash: string;
  tokenGen: string;
}

async function readLoginRecord(services: Services, tenantId: string, username: string): Promise<LoginRecord | null> {
  const keys = tenantKeys(tenantId);
  const reply = (await runScript(services.redis, scripts.readLogin, [keys.tenant, keys.user(username)], [])) as (string | null)[];
  const [tenantStatus = null, role = null, disabled = null, passwordHash = null, tokenGen = null] = reply;
  if (!role || !passwordHash || !(roles as readonly string[]).includes(role)) return null;
  return { tenantId, tenantStatus, role: role as Role, disabled: disabled === '1', passwordHash, tokenGen: tokenGen ?? '' };
}

function loginCall(tenantId: string, username: string, requestId: string, success: boolean): Call {
  return {
    caller: { kind: 'trusted', tenantId, actor: { type: 'user', id: username } },
    action: success ? 'login_success' : 'login_failed',
    scope: null,
    requestId,
  };
}
