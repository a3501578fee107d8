import { computed, signal } from '@preact/signals';
import { decide, type TargetState } from '../../../../shared/auth/policy.js';
import type { RouteId } from '../../../../shared/routes.js';
import { useCredentials } from '../api/client.js';
import { getMe, login, revokeToken } from '../api/keyward.js';
import type { User } from '../api/types.js';

export interface Session {
  token: string;
  user: User;
}

/** Kept for the tab's life only (sessionStorage), never in localStorage or a cookie. */
const storageKey = 'keyward.console.session';

export const session = signal<Session | null>(restore());
/** Why the login page is shown: logged out, or the service refused the token. */
export const loginNotice = signal<string | null>(null);

/** A token just issued, used for GET /users/me before it becomes the session. */
let pendingToken: string | null = null;

useCredentials({
  token: () => session.value?.token ?? pendingToken,
  onRefused(detail) {
    end(`Your session has ended (${detail}). Log in again.`);
  },
});

function restore(): Session | null {
  try {
    const text = sessionStorage.getItem(storageKey);
    return text ? (JSON.parse(text) as Session) : null;
  } catch {
    return null;
  }
}

function end(notice: string): void {
  sessionStorage.removeItem(storageKey);
  session.value = null;
  loginNotice.value = notice;
}

export async function logIn(username: string, password: string): Promise<void> {
  const token = await login(username, password);
  // The session starts once the user (and so their role) is known.
  pendingToken = token.access_token;
  try {
    const started = { token: token.access_token, user: await getMe() };
    sessionStorage.setItem(storageKey, JSON.stringify(started));
    loginNotice.value = null;
    session.value = started;
  } finally {
    pendingToken = null;
  }
}

/** Revokes the token (POST /token/revoke), then forgets it, whether or not the service answered. */
export async function logOut(): Promise<void> {
  try {
    await revokeToken();
  } finally {
    end('You are logged out.');
  }
}

/** The user as the authorization policy sees them. */
const caller = computed(() => (session.value ? { kind: 'user' as const, role: session.value.user.role } : { kind: 'anonymous' as const }));

/**
 * What the policy (shared/auth/policy.ts, the table the service enforces) lets this user do: the
 * console offers nothing else. The service stays the judge; this only hides what would be refused.
 */
export function may(route: RouteId, target?: TargetState): boolean {
  return decide(route, caller.value, target) === 'allowed';
}
