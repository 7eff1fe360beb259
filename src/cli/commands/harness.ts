/**
 * `byok harness`: the validation conversations and the revocation drill, for CI and operators.
 * Both print each step with pass or fail and exit 0 only when every step passed; `--json`
 * prints the reports instead. A broken script file or a database that cannot be had exits 1
 * with one line saying why.
 *
 * @example
 * ```sh
 * byok harness run                                 # every dialogs/*.json
 * byok harness run dialogs/basic-auth-default-key.json --json
 * BYOK_DEK_CACHE_MAX_AGE_SECONDS=20 byok harness revocation-drill --workspace ws_... \
 *   --key-config key_... --confirm
 * ```
 */
import type { Command } from 'commander';
import { z } from 'zod';

import { systemClock } from '../../base/clock.js';
import { type Config, loadConfig } from '../../base/config.js';
import { isByokError } from '../../base/errors.js';
import { createLogger } from '../../base/log.js';
import { formatReport, type ScriptReport } from '../../harness/dialog-runner.js';
import { customerKeySwitch } from '../../harness/key-switch.js';
import { realDrillTime, runRevocationDrill } from '../../harness/revocation-drill.js';
import {
  defaultScriptPaths,
  loadDialogScripts,
  runValidationScripts,
} from '../../harness/validation-run.js';
import { openServices } from '../../host/services.js';
import { type CliIo, ExitCode, processIo } from './policy.js';

/** What {@link registerHarnessCommands} needs; everything has a default. */
export interface HarnessCommandOptions {
  io?: CliIo;
  /** The configuration (default: read from the environment when a command runs). */
  config?: () => Config;
}

const runFlagsSchema = z.object({ json: z.boolean().default(false) });
const drillFlagsSchema = z.object({
  workspace: z.string().min(1).max(128),
  keyConfig: z.string().min(1).max(128),
  confirm: z.boolean().default(false),
  json: z.boolean().default(false),
});

/** Adds `byok harness run` and `byok harness revocation-drill` to `program`. */
export function registerHarnessCommands(
  program: Command,
  options: HarnessCommandOptions = {},
): void {
  const io = options.io ?? processIo;
  const config = options.config ?? (() => loadConfig());
  const harness = program.command('harness').description('Validation conversations and drills');

  harness
    .command('run')
    .argument('[scripts...]', 'conversation scripts (default: every dialogs/*.json)')
    .option('--json', 'print the reports as JSON')
    .description('Run validation conversations against the validation bot on a scratch database')
    .action(async (paths: string[], raw: unknown) => {
      const flags = runFlagsSchema.parse(raw);
      await guarded(io, 'harness run', async () => {
        const files = paths.length > 0 ? paths : await defaultScriptPaths();
        const scripts = await loadDialogScripts(files);
        const run = await runValidationScripts({ scripts, mongoUri: config().MONGODB_URI });
        const reports = run.reports.map((report, i) => ({ ...report, file: files[i] ?? '' }));
        if (flags.json) {
          io.out(
            `${JSON.stringify({ passed: run.passed, engine: run.engine, reports }, null, 2)}\n`,
          );
        } else {
          printReports(io, reports, `scripts on ${run.engine}`);
        }
        io.setExitCode(run.passed ? ExitCode.Ok : ExitCode.ChecksFailed);
      });
    });

  harness
    .command('revocation-drill')
    .requiredOption('--workspace <id>', 'the workspace of the key configuration')
    .requiredOption('--key-config <id>', 'an enforced key configuration')
    .option('--confirm', "disable the customer's key for the drill (needed to run it)")
    .option('--json', 'print the report as JSON')
    .description(
      "Disable the customer's key with your AWS credentials, measure how long records stay " +
        'readable (at most BYOK_DEK_CACHE_MAX_AGE_SECONDS), then enable it and measure recovery',
    )
    .action(async (raw: unknown) => {
      const parsed = drillFlagsSchema.safeParse(raw);
      if (!parsed.success) {
        io.err(`byok harness revocation-drill: ${parsed.error.issues[0]?.message ?? ''}\n`);
        io.setExitCode(ExitCode.Usage);
        return;
      }
      const flags = parsed.data;
      const settings = config();
      if (!flags.confirm) {
        io.err(
          'byok harness revocation-drill disables the key for about ' +
            `${String(settings.BYOK_DEK_CACHE_MAX_AGE_SECONDS)} s; add --confirm to run it\n`,
        );
        io.setExitCode(ExitCode.Usage);
        return;
      }
      await guarded(io, 'harness revocation-drill', () => drill(io, settings, flags));
    });
}

async function drill(io: CliIo, config: Config, flags: z.infer<typeof drillFlagsSchema>) {
  const logger = createLogger(
    config.LOG_LEVEL === 'info' ? 'warn' : config.LOG_LEVEL,
    process.stderr,
  );
  const services = await openServices({ config, logger, clock: systemClock });
  try {
    const key = await services.keys.configs.get(flags.workspace, flags.keyConfig);
    const keySwitch = customerKeySwitch(key.cmkArn);
    try {
      const report = await runRevocationDrill({
        workspaceId: flags.workspace,
        keyConfigId: flags.keyConfig,
        keys: services.keys,
        vault: services.vault,
        time: realDrillTime,
        cacheMaxAgeMs: config.BYOK_DEK_CACHE_MAX_AGE_SECONDS * 1000,
        revoke: () => keySwitch.revoke(),
        restore: () => keySwitch.restore(),
        logger,
      });
      if (flags.json) io.out(`${JSON.stringify(report, null, 2)}\n`);
      else printReports(io, [report], 'drill');
      io.setExitCode(report.passed ? ExitCode.Ok : ExitCode.ChecksFailed);
    } finally {
      keySwitch.close();
    }
  } finally {
    await services.close();
  }
}

function printReports(io: CliIo, reports: readonly ScriptReport[], what: string): void {
  for (const report of reports) io.out(`${formatReport(report)}\n\n`);
  const passed = reports.filter((r) => r.passed).length;
  io.out(
    `${String(reports.length)} ${what}: ${String(passed)} passed, ` +
      `${String(reports.length - passed)} failed\n`,
  );
}

/** Runs a command body; a platform error becomes one line on stderr and exit code 1. */
async function guarded(io: CliIo, name: string, body: () => Promise<void>): Promise<void> {
  try {
    await body();
  } catch (error) {
    if (!isByokError(error)) throw error;
    io.err(`byok ${name}: ${error.message}\n`);
    const places = error.details?.places;
    if (Array.isArray(places)) io.err(`  wrong places: ${places.join(', ')}\n`);
    io.setExitCode(ExitCode.ChecksFailed);
  }
}
