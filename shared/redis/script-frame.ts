/**
 * The calling convention of tenant scripts. Every one opens with the same KEYS and ARGV: the frame,
 * named here and nowhere else. The TypeScript side builds the frame from an object with these names
 * (`frameKeyList`, `frameArgList`); the Lua side reads them as locals of the same names, declared by
 * `frameDeclaration()` at the top of the prelude. A script's own keys and arguments follow the frame
 * and are read in Lua as `KEY[1], KEY[2], ...` and `ARG[1], ARG[2], ...`, whatever the frame's size.
 */

/** KEYS[1..] of every tenant script, in order: Lua local name → what it is. */
export const frameKeys = {
  TENANT_KEY: 'the tenant record (hash: status)',
  PRINCIPAL_KEY: "the caller's record: the user's hash (GUARD user) or the tenant's API-key hash index (GUARD api_key)",
  REVOKED_KEY: "the presented JWT's revoked marker (GUARD user; any key of the tenant otherwise)",
  AUDIT_KEY: "the tenant's audit stream",
  MARKER_KEY: "this operation's marker: a durable write's reply, kept a short while so that a retry answers as the first attempt did",
  PENDING_KEY: "the offload's pending-tenants set that holds this tenant (shared/audit/pending-tenants.ts): audit() marks the tenant there",
} as const;

/** ARGV[1..] of every tenant script, in order: Lua local name → what it is. */
export const frameArgs = {
  GUARD: 'who calls: none | user | api_key',
  PROOF: 'the role a JWT claims (user) or the HMAC of the presented key (api_key)',
  TOKEN_GEN: "the JWT's token generation, '' for a token that has none (user)",
  ROLE_SCOPES: 'the scopes of the claimed role, space separated (user)',
  REQUIRED_SCOPE: "the scope the route needs, '' for none",
  NOW: 'the service clock, ms since the epoch, as text (NOW_MS is the number)',
  EVENT_HEAD: "the operation's audit event so far: a JSON object without its closing brace",
  ACTION: "the operation's audit action",
  API_KEY_PREFIX: 'the key prefix of API-key records (read by id inside the tenant slot)',
  IDENTITY_PREFIX: 'the key prefix of identity records (a key names its identity by id)',
  USAGE_PREFIX: "the key prefix of usage buckets (written by every use of a key)",
  ACTOR_TYPE: "the audit actor's type: user | api_key | system",
  ACTOR_ID: "the audit actor's id (an API key's start, until the guard resolves the key's id)",
  MARKER_MS: "how long to keep the operation marker, ms; '' for reads, which keep none",
  TENANT_ID: "the tenant's id: its member in PENDING_KEY",
} as const;

export type FrameKeys = Record<keyof typeof frameKeys, string>;
export type FrameArgs = Record<keyof typeof frameArgs, string | number>;

const keyNames = Object.keys(frameKeys) as (keyof typeof frameKeys)[];
const argNames = Object.keys(frameArgs) as (keyof typeof frameArgs)[];

/** The frame's KEYS, in the order the Lua declaration reads them. */
export function frameKeyList(keys: FrameKeys): string[] {
  return keyNames.map((name) => keys[name]);
}

/** The frame's ARGV, in the order the Lua declaration reads them. */
export function frameArgList(args: FrameArgs): (string | number)[] {
  return argNames.map((name) => args[name]);
}

/** The Lua that opens the prelude: the frame's names as locals, and KEY / ARG for the script's own. */
export function frameDeclaration(): string {
  const list = (names: readonly string[], table: string) => names.map((_, i) => `${table}[${i + 1}]`).join(', ');
  const doc = (table: string, entries: Record<string, string>) =>
    Object.entries(entries).map(([name, what], i) => `--   ${table}[${i + 1}] ${name}: ${what}`);
  return [
    '-- frame: the KEYS and ARGV every tenant script opens with, named in shared/redis/script-frame.ts.',
    ...doc('KEYS', frameKeys),
    ...doc('ARGV', frameArgs),
    `-- A script's own keys and arguments follow: KEY[1].. is KEYS[${keyNames.length + 1}].., ARG[1].. is ARGV[${argNames.length + 1}]..`,
    `local ${keyNames.join(', ')} = ${list(keyNames, 'KEYS')}`,
    `local ${argNames.join(', ')} = ${list(argNames, 'ARGV')}`,
    `local KEY = { unpack(KEYS, ${keyNames.length + 1}) }`,
    `local ARG = { unpack(ARGV, ${argNames.length + 1}) }`,
    '',
  ].join('\n');
}
