/**
 * The `byok` command line: a thin shell over the same library functions the HTTP API calls.
 * Each command validates its flags, calls the library and prints the result; exit code 0 is
 * success, 1 a failed check or operation, 2 wrong usage.
 */
import { Command } from 'commander';

import { isByokError } from '../base/errors.js';
import { registerPolicyCommands } from './commands/policy.js';
import { registerVerifyCommands } from './commands/verify.js';
import { registerServeCommand } from './serve.js';

/** Builds the `byok` program with every command registered. */
export function createProgram(): Command {
  const program = new Command('byok')
    .description('Bring Your Own Key for bot platforms: host, Enterprise Key and customer tools')
    .showHelpAfterError();
  registerServeCommand(program);
  registerPolicyCommands(program);
  registerVerifyCommands(program);
  return program;
}

try {
  await createProgram().parseAsync(process.argv);
} catch (error) {
  console.error(isByokError(error) ? `${error.code}: ${error.message}` : error);
  process.exitCode = 1;
}
