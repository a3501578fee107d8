import { PasswordSchema } from '../auth/passwords.js';
import { generatePassword } from '../gateway/demo-tenant.js';

/** The environment variable `tenants create` takes the first admin's password from when no flag gives one. */
export const adminPasswordVariable = 'KEYWARD_ADMIN_PASSWORD';

export interface PasswordFlags {
  password?: string;
  passwordStdin?: boolean;
}

export interface PasswordSources {
  /** The first line of standard input, without its line ending. Read only for --password-stdin. */
  readStdinLine(): Promise<string>;
  env: Readonly<Record<string, string | undefined>>;
}

export type AdminPassword = { ok: true; password: string; generated: boolean } | { ok: false; problem: string };

/**
 * The first admin's password: `--password`, else `--password-stdin`, else KEYWARD_ADMIN_PASSWORD,
 * else a generated one. A given one is checked like any password; a problem names where the
 * password came from and never the password itself.
 */
export async function chooseAdminPassword(flags: PasswordFlags, sources: PasswordSources): Promise<AdminPassword> {
  if (flags.password !== undefined) return checked(flags.password, '--password');
  if (flags.passwordStdin === true) {
    const line = await sources.readStdinLine();
    if (line === '') return { ok: false, problem: '--password-stdin: standard input gave no password (an empty first line, or no input)' };
    return checked(line, '--password-stdin');
  }
  const fromEnv = sources.env[adminPasswordVariable];
  // Set but empty is refused rather than taken as unset: `KEYWARD_ADMIN_PASSWORD=$UNSET_VAR` is a mistake.
  if (fromEnv === '') return { ok: false, problem: `${adminPasswordVariable} is set but empty` };
  if (fromEnv !== undefined) return checked(fromEnv, adminPasswordVariable);
  return { ok: true, password: generatePassword(), generated: true };
}

function checked(password: string, source: string): AdminPassword {
  const result = PasswordSchema.safeParse(password);
  if (result.success) return { ok: true, password: result.data, generated: false };
  return { ok: false, problem: `${source}: ${result.error.issues.map((issue) => issue.message).join('; ')}` };
}
