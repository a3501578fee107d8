import { builtInScopes, roles, scopesOfRole } from '../auth/scopes.js';

/**
 * The scope vocabulary of shared/auth/scopes.ts as Lua, so the scripts' guard and target rules
 * (lib/scopes.lua, lib/targets.lua) read the same lists as the TypeScript side: BUILT_IN_SCOPES, a
 * set, and ROLE_SCOPES_OF, each role's scopes space separated.
 */
export function scopeConstants(): string {
  const quoted = (text: string) => `'${text}'`;
  return [
    '-- scopes: the built-in scopes and each role\'s, from shared/auth/scopes.ts.',
    `local BUILT_IN_SCOPES = { ${builtInScopes.map((scope) => `[${quoted(scope)}] = true`).join(', ')} }`,
    `local ROLE_SCOPES_OF = { ${roles.map((role) => `${role} = ${quoted(scopesOfRole(role).join(' '))}`).join(', ')} }`,
    '',
  ].join('\n');
}
