import { writeFileSync } from 'node:fs';
import { routes } from '../routes.js';
import { decide, policy, targetRules, type CallerProfile, type RoutePolicy } from './policy.js';
import { builtInScopes } from './scopes.js';

/** Where the policy is written down for people; tests/authorization.test.ts fails when it differs from the table. */
export const policyDocPath = 'docs/authorization.md';

/**
 * docs/authorization.md: the policy table as people read it, with who is let through, worked out by
 * the same `decide` the generated test holds the service to. Written by `npm run docs:policy`.
 */
export function renderPolicyDoc(): string {
  const callers: [string, CallerProfile][] = [
    ['admin', { kind: 'user', role: 'admin' }],
    ['member', { kind: 'user', role: 'member' }],
  ];
  const cell = (allowed: boolean) => (allowed ? 'yes' : '—');
  const lines = [
    '# Authorization',
    '',
    'Generated from `shared/auth/policy.ts` by `npm run docs:policy`; `npm test` fails when this file differs from',
    'the policy, and `tests/authorization.test.ts` walks every route below against every kind of caller and target',
    'and expects exactly what this table says.',
    '',
    '- **callers**: `anyone` needs no credential; `user` is a JWT from `POST /token`; `api_key` is a key in `X-API-Key`',
    '  or as a Bearer token. A caller of a kind the route does not admit gets 403; no credential gets 401.',
    "- **scope**: a user holds the scopes of their role (admins all, members all but `users:admin` and `audit:read`);",
    '  a key holds the scopes it was given. Lacking the scope: 403 `insufficient_scope`.',
    '- **API key alone**: the built-in scopes that let a key holding only that scope through.',
    '- **target rule**: what the caller must hold of the thing it creates, changes, rotates or deletes, in the states',
    '  named (before the change, after it, or both). Otherwise 403 `insufficient_scope` and nothing changes.',
    '- A caller acts in its own tenant only: a key or token of another tenant finds nothing of this one (404 on a',
    '  route that names a key, user or item; its own tenant\'s things on the others).',
    '',
    '| route | | callers | scope | admin | member | API key alone | target rule |',
    '| --- | --- | --- | --- | --- | --- | --- | --- |',
  ];
  for (const route of routes) {
    const row: RoutePolicy = policy[route.id];
    const path = route.public ? route.path : `/function/${route.fn}${route.path === '/' ? '/' : route.path}`;
    const kinds = row.callers === 'anyone' ? 'anyone' : row.callers.join(', ');
    const keyScopes = builtInScopes.filter((scope) => decide(route.id, { kind: 'api_key', scopes: [scope] }) === 'allowed');
    const alone = row.callers !== 'anyone' && !row.callers.includes('api_key') ? '—' : keyScopes.length === builtInScopes.length ? 'any' : keyScopes.map((scope) => `\`${scope}\``).join(', ') || '—';
    const rules = [
      ...(row.target ? [`${targetRules[row.target.kind].rule} (${row.target.states})`] : []),
      ...(row.identity ? [`for the identity it leaves or joins, ${targetRules.identity.rule} (${row.identity})`] : []),
      ...(row.elevatedBy ? [`\`${row.elevatedBy.secret}\` shows ${row.elevatedBy.shows}`] : []),
    ];
    const target = rules.join('; ');
    const [admin, member] = callers.map(([, caller]) => cell(decide(route.id, caller) === 'allowed'));
    lines.push(`| \`${route.method} ${path}\` | ${route.id} | ${kinds} | ${row.scope ? `\`${row.scope}\`` : '—'} | ${admin} | ${member} | ${alone} | ${target} |`);
  }
  return `${lines.join('\n')}\n`;
}

if (process.argv[1]?.endsWith('policy-doc.ts')) {
  writeFileSync(policyDocPath, renderPolicyDoc());
  process.stdout.write(`wrote ${policyDocPath}\n`);
}
