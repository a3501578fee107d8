import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { AppError } from '../errors/app-error.js';
import type { Services } from '../services.js';
import { createTenant, deleteTenant, listTenants, setTenantStatus } from '../tenancy/tenants.js';
import { TenantIdSchema } from '../tenancy/tenant-id.js';
import { UsernameSchema } from '../users/schemas.js';
import { adminPasswordVariable, chooseAdminPassword, type PasswordSources } from './admin-password.js';

/** What the CLI reads and writes besides Redis: its output streams, standard input and environment. */
export interface CliIo extends PasswordSources {
  out(text: string): void;
  err(text: string): void;
}

/** Exit codes: 0 done, 1 refused or failed (nothing half written), 2 bad arguments. */
export const exitCodes = { ok: 0, failed: 1, usage: 2 } as const;

function parsedBy<T>(schema: { safeParse(value: unknown): { success: true; data: T } | { success: false; error: { issues: { message: string }[] } } }) {
  return (value: string): T => {
    const result = schema.safeParse(value);
    if (!result.success) throw new InvalidArgumentError(result.error.issues.map((issue) => issue.message).join('; '));
    return result.data;
  };
}

/**
 * `keyward tenants create|list|disable|enable|delete`: talks to Redis directly with the service's own
 * config and key modules. `withServices` builds the clients only once the arguments are good.
 */
export async function runCli(argv: string[], io: CliIo, withServices: <T>(work: (services: Services) => Promise<T>) => Promise<T>): Promise<number> {
  let exitCode: number = exitCodes.ok;
  const print = (json: boolean, value: unknown, text: string) => io.out(json ? `${JSON.stringify(value, null, 2)}\n` : `${text}\n`);
  const run = (work: (services: Services) => Promise<void>) => async () => {
    try {
      await withServices(work);
    } catch (error) {
      exitCode = exitCodes.failed;
      io.err(`error: ${error instanceof AppError || error instanceof Error ? error.message : String(error)}\n`);
    }
  };

  const program = new Command('keyward')
    .description('keyward admin: tenants and their first admins, straight in Redis (reads REDIS_URL and the rest of the service config)')
    .exitOverride()
    .configureOutput({ writeOut: io.out, writeErr: io.err })
    .showHelpAfterError();
  const tenants = program.command('tenants').description('create, list, disable, enable and delete tenants');
  const tenantId = parsedBy(TenantIdSchema);

  tenants
    .command('create')
    .argument('<tenant_id>', 'tenant id', tenantId)
    .option('--admin <username>', 'username of the first admin (default: <tenant_id>-admin)', parsedBy(UsernameSchema))
    // Checked in the action, not by commander, whose message would repeat the refused value.
    .option('--password <password>', `the admin's password (other users can see it in \`ps\`: prefer --password-stdin or ${adminPasswordVariable})`)
    .addOption(new Option('--password-stdin', "read the admin's password from the first line of standard input").conflicts('password'))
    .option('--json', 'machine-readable output')
    .description('create a tenant and its first admin')
    .addHelpText(
      'after',
      `
The admin's password comes from --password, or --password-stdin, or else the
environment variable ${adminPasswordVariable}; with none of them a strong one is
generated and printed once. A password given is never printed. It must be 8
characters to 72 bytes; a bad or empty one, or --password with --password-stdin,
is a usage error (exit 2) and nothing is written.`,
    )
    .action(async (id: string, options: { admin?: string; password?: string; passwordStdin?: boolean; json?: boolean }, command: Command) => {
      const chosen = await chooseAdminPassword(options, io);
      if (!chosen.ok) command.error(`error: ${chosen.problem}`, { exitCode: exitCodes.usage, code: 'keyward.badPassword' });
      const { password, generated } = chosen;
      await run(async (services) => {
        const username = options.admin ?? `${id}-admin`;
        await createTenant(services, id, { username, password });
        print(
          options.json === true,
          { tenant_id: id, admin: { username, ...(generated ? { password } : {}) } },
          `created tenant ${id} with admin ${username}${generated ? `\npassword (shown once): ${password}` : ''}`,
        );
      })();
    });

  tenants
    .command('list')
    .option('--json', 'machine-readable output')
    .description('list tenants with their status and sizes')
    .action((options: { json?: boolean }) =>
      run(async (services) => {
        const rows = await listTenants(services);
        const text = rows.length === 0 ? 'no tenants' : rows.map((row) => `${row.tenant_id}\t${row.status}\tusers=${row.users}\tapi_keys=${row.api_keys}\tdata_keys=${row.data_keys}`).join('\n');
        print(options.json === true, rows, text);
      })(),
    );

  for (const [name, status] of [['disable', 'disabled'], ['enable', 'active']] as const) {
    tenants
      .command(name)
      .argument('<tenant_id>', 'tenant id', tenantId)
      .option('--json', 'machine-readable output')
      .description(`${name} a tenant (a disabled tenant's users cannot log in and its tokens and keys are refused)`)
      .action((id: string, options: { json?: boolean }) =>
        run(async (services) => {
          await setTenantStatus(services, id, status);
          print(options.json === true, { tenant_id: id, status }, `tenant ${id} is ${status}`);
        })(),
      );
  }

  tenants
    .command('delete')
    .argument('<tenant_id>', 'tenant id', tenantId)
    .option('--json', 'machine-readable output')
    .description('delete a tenant and every key it has (its pending audit events are shipped first)')
    .action((id: string, options: { json?: boolean }) =>
      run(async (services) => {
        await deleteTenant(services, id);
        print(options.json === true, { tenant_id: id, deleted: true }, `deleted tenant ${id}`);
      })(),
    );

  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help asked for is fine; help shown because a command was missing is a usage error.
      return error.code === 'commander.helpDisplayed' || error.code === 'commander.version' ? exitCodes.ok : exitCodes.usage;
    }
    throw error;
  }
  return exitCode;
}
