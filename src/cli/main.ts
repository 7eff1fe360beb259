/**
 * The `byok` command line: a thin shell over the same library functions the HTTP API calls.
 * Each command validates its flags, calls the library and prints the result; exit code 0 is
 * success, 1 a failed check or operation, 2 wrong usage.
 */
import { Command } from 'commander';

import { systemClock } from '../base/clock.js';
import { loadConfig } from '../base/config.js';
import { isByokError } from '../base/errors.js';
import { createLogger } from '../base/log.js';
import { openServices } from '../host/services.js';
import { type AdminContext, registerAdminCommands } from './commands/admin.js';
import { registerHarnessCommands } from './commands/harness.js';
import { registerPolicyCommands } from './commands/policy.js';
import { registerVerifyCommands } from './commands/verify.js';
import { registerServeCommand } from './serve.js';

// The AWS SDK warns on every client that Node.js 20 support ends in 2027; the README says so.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

/** Builds the `byok` program with every command registered. */
function createProgram(): Command {
  const program = new Command('byok')
    .description('Bring Your Own Key for bot platforms: host, Enterprise Key and customer tools')
    .showHelpAfterError();
  registerServeCommand(program);
  registerPolicyCommands(program);
  registerVerifyCommands(program);
  registerAdminCommands(program, { open: openForCli });
  registerHarnessCommands(program);
  return program;
}

/**
 * The library services for one operator command, on the database the host uses. Logs go to
 * stderr at warn level so that stdout carries only the command's JSON result.
 */
async function openForCli(): Promise<AdminContext> {
  const config = loadConfig();
  const logger = createLogger(
    config.LOG_LEVEL === 'info' ? 'warn' : config.LOG_LEVEL,
    process.stderr,
  );
  const services = await openServices({ config, logger, clock: systemClock });
  return { tenancy: services.tenancy, keys: services.keys, close: () => services.close() };
}

try {
  await createProgram().parseAsync(process.argv);
} catch (error) {
  console.error(isByokError(error) ? `${error.code}: ${error.message}` : error);
  process.exitCode = 1;
}
