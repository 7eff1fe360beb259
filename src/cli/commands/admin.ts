/**
 * Platform-operator commands: workspaces, apps, bots, admins and key configurations, run
 * directly against the database (MONGODB_URI) with the same library functions the admin API
 * calls. Every command prints JSON on stdout; failures print one line on stderr and set the
 * exit code: 1 when the platform refused or a check failed, 2 for wrong input.
 *
 * @example
 * ```sh
 * byok workspace create --name "Contoso"
 * byok key create --workspace ws_... --name prod --cmk-arn arn:aws:kms:... --role-arn arn:aws:iam::... --enforcement-date 2026-07-01
 * byok key test --workspace ws_... --key key_...
 * ```
 */
import { userInfo } from 'node:os';

import type { Command } from 'commander';

import { ByokError, ErrorCode, isByokError } from '../../base/errors.js';
import type { Actor } from '../../keys/audit.js';
import type { KeyServices } from '../../keys/module.js';
import type { Tenancy } from '../../tenancy/index.js';
import { generatePassword } from '../../tenancy/passwords.js';
import { type CliIo, ExitCode, processIo } from './policy.js';

/** The services a command works with; closed when the command ends. */
export interface AdminContext {
  tenancy: Tenancy;
  keys: KeyServices;
  close(): Promise<void>;
}

/** What {@link registerAdminCommands} needs. */
export interface AdminCommandDeps {
  /** Opens database, tenancy and key services from the configuration (the host's wiring). */
  open: () => Promise<AdminContext>;
  io?: CliIo;
  /** Environment to read a new admin's password from (default `process.env`). */
  env?: Readonly<Record<string, string | undefined>>;
}

type Run = (ctx: AdminContext, flags: Record<string, unknown>, actor: Actor) => Promise<unknown>;

const codesOfWrongInput: ReadonlySet<string> = new Set(['BAD_INPUT', 'INVALID_ARN', 'NOT_FOUND']);

/** Adds `workspace`, `app`, `bot`, `admin` and `key` commands to `program`. */
export function registerAdminCommands(program: Command, deps: AdminCommandDeps): void {
  const io = deps.io ?? processIo;
  const env = deps.env ?? process.env;
  const actor: Actor = { kind: 'operator', id: `cli:${safeUser()}`, label: `cli:${safeUser()}` };

  const action = (name: string, run: Run) => async (flags: Record<string, unknown>) => {
    let ctx: AdminContext | undefined;
    try {
      ctx = await deps.open();
      const result = await run(ctx, flags, actor);
      io.out(`${JSON.stringify(result, null, 2)}\n`);
      const failedTest =
        (result as { lastTest?: { passed?: boolean } } | null)?.lastTest?.passed === false;
      io.setExitCode(failedTest ? ExitCode.ChecksFailed : ExitCode.Ok);
    } catch (error) {
      if (!isByokError(error)) throw error;
      io.err(`byok ${name}: ${error.message}\n`);
      if (error.details !== undefined) io.err(`${JSON.stringify(error.details, null, 2)}\n`);
      io.setExitCode(codesOfWrongInput.has(error.code) ? ExitCode.Usage : ExitCode.ChecksFailed);
    } finally {
      await ctx?.close();
    }
  };
  const str = (flags: Record<string, unknown>, key: string) => flags[key] as string;
  const list = (value: unknown) =>
    typeof value === 'string' && value !== '' ? value.split(',').map((v) => v.trim()) : [];

  const workspace = program.command('workspace').description('Workspaces (tenants)');
  workspace
    .command('create')
    .requiredOption('--name <name>', 'display name')
    .description('Create a workspace with a new external ID')
    .action(
      action('workspace create', (c, f) => c.tenancy.directory.createWorkspace({ name: f.name })),
    );
  workspace
    .command('list')
    .description('List every workspace')
    .action(action('workspace list', (c) => c.tenancy.directory.listWorkspaces()));

  const app = program.command('app').description('Apps of a workspace');
  app
    .command('create')
    .requiredOption('--workspace <id>')
    .requiredOption('--name <name>')
    .description('Create an app')
    .action(
      action('app create', (c, f) =>
        c.tenancy.directory.createApp(str(f, 'workspace'), { name: f.name }),
      ),
    );
  app
    .command('list')
    .requiredOption('--workspace <id>')
    .description('List the apps and their bots')
    .action(
      action('app list', (c, f) => c.tenancy.directory.listAppsWithBots(str(f, 'workspace'))),
    );

  const bot = program.command('bot').description('Bots of an app');
  bot
    .command('create')
    .requiredOption('--workspace <id>')
    .requiredOption('--app <id>')
    .requiredOption('--name <name>')
    .description('Create a bot')
    .action(
      action('bot create', (c, f) =>
        c.tenancy.directory.createBot(str(f, 'workspace'), f.app, { name: f.name }),
      ),
    );
  bot
    .command('list')
    .requiredOption('--workspace <id>')
    .option('--app <id>')
    .description('List bots')
    .action(action('bot list', (c, f) => c.tenancy.directory.listBots(str(f, 'workspace'), f.app)));

  program
    .command('admin')
    .description('Admins of a workspace')
    .command('create')
    .requiredOption('--workspace <id>')
    .requiredOption('--email <email>')
    .option(
      '--password-env <variable>',
      'read the password from this environment variable; otherwise one is generated and printed once',
    )
    .description('Create an admin')
    .action(
      action('admin create', async (c, f) => {
        const variable = typeof f.passwordEnv === 'string' ? f.passwordEnv : undefined;
        const given = variable === undefined ? undefined : env[variable];
        if (variable !== undefined && (given === undefined || given === '')) {
          throw new ByokError(
            ErrorCode.BadInput,
            `the environment variable ${variable} is not set`,
          );
        }
        const password = given ?? generatePassword();
        const admin = await c.tenancy.accounts.createAdmin(str(f, 'workspace'), {
          email: f.email,
          password,
        });
        return given === undefined ? { ...admin, generatedPassword: password } : admin;
      }),
    );

  const key = program.command('key').description('Enterprise Key configurations');
  const scoped = (cmd: Command) =>
    cmd.requiredOption('--workspace <id>').requiredOption('--key <id>');
  key
    .command('create')
    .requiredOption('--workspace <id>')
    .requiredOption('--name <name>')
    .requiredOption('--cmk-arn <arn>')
    .requiredOption('--role-arn <arn>')
    .requiredOption('--enforcement-date <YYYY-MM-DD>')
    .description('Create a key configuration (draft)')
    .action(
      action('key create', (c, f, a) =>
        c.keys.configs.create(a, str(f, 'workspace'), {
          name: f.name,
          cmkArn: f.cmkArn,
          roleArn: f.roleArn,
          enforcementDate: f.enforcementDate,
        }),
      ),
    );
  key
    .command('list')
    .requiredOption('--workspace <id>')
    .description('List key configurations')
    .action(action('key list', (c, f) => c.keys.configs.list(str(f, 'workspace'))));
  scoped(key.command('test'))
    .description('Run Test Configuration (exit code 1 when a step fails)')
    .action(
      action('key test', (c, f, a) => c.keys.configs.test(a, str(f, 'workspace'), str(f, 'key'))),
    );
  scoped(key.command('select'))
    .option('--apps <ids>', 'comma-separated app ids to select')
    .option('--bots <ids>', 'comma-separated bot ids to select')
    .option('--all', 'select every app and bot')
    .description('Choose which apps and bots use the key')
    .action(
      action('key select', async (c, f, a) => {
        const ws = str(f, 'workspace');
        const selected =
          f.all === true
            ? await c.tenancy.directory.listAppsWithBots(ws).then((apps) => ({
                selectedAppIds: apps.map((x) => x.id),
                selectedBotIds: apps.flatMap((x) => x.bots.map((b) => b.id)),
              }))
            : { selectedAppIds: list(f.apps), selectedBotIds: list(f.bots) };
        return c.keys.selection.put(a, ws, str(f, 'key'), selected);
      }),
    );
  scoped(key.command('proceed'))
    .description('Schedule the configuration for its enforcement date')
    .action(
      action('key proceed', (c, f, a) =>
        c.keys.configs.proceed(a, str(f, 'workspace'), str(f, 'key')),
      ),
    );
  scoped(key.command('rotate'))
    .requiredOption('--cmk-arn <arn>')
    .option('--role-arn <arn>')
    .description('Test a new key, switch to it and rewrap the data keys (waits until done)')
    .action(
      action('key rotate', async (c, f, a) => {
        const ws = str(f, 'workspace');
        const started = await c.keys.rotation.start(a, ws, str(f, 'key'), {
          cmkArn: f.cmkArn,
          ...(f.roleArn === undefined ? {} : { roleArn: f.roleArn }),
        });
        await c.keys.rotation.idle();
        return { config: started.config, job: await c.keys.rotation.latest(ws, str(f, 'key')) };
      }),
    );
  scoped(key.command('status'))
    .option('--check', 'check the key now instead of showing the last result')
    .description('Show the configuration, its health and its latest rotation')
    .action(
      action('key status', async (c, f, a) => {
        const [ws, id] = [str(f, 'workspace'), str(f, 'key')];
        const config = await c.keys.configs.get(ws, id);
        const health =
          f.check === true ? await c.keys.health.check(a, ws, id) : await c.keys.health.get(ws, id);
        return { config, health, rotation: await c.keys.rotation.latest(ws, id) };
      }),
    );
  key
    .command('audit')
    .requiredOption('--workspace <id>')
    .option('--key <id>')
    .option('--limit <n>', 'entries, newest first', '50')
    .description('Show the audit trail of a workspace or one key')
    .action(
      action('key audit', async (c, f) => {
        const ws = str(f, 'workspace');
        if (typeof f.key === 'string') await c.keys.configs.get(ws, f.key);
        return c.keys.audit.list(ws, typeof f.key === 'string' ? f.key : null, { limit: f.limit });
      }),
    );
}

function safeUser(): string {
  try {
    return (
      userInfo()
        .username.replace(/[^\w.-]/g, '_')
        .slice(0, 40) || 'unknown'
    );
  } catch {
    return 'unknown';
  }
}
