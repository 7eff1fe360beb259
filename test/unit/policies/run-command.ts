/**
 * Runs a customer-side CLI command in-process, the way `byok` would, and captures what it
 * printed and the exit code it set.
 */
import { Command } from 'commander';

import type { CliIo, CustomerCommandOptions } from '../../../src/cli/commands/policy.js';

/** What a command run produced. */
export interface CommandRun {
  out: string;
  err: string;
  exitCode: number | undefined;
}

/** Registers commands on a fresh program and runs `args` (without `byok`). */
export async function runCommand(
  register: (program: Command, options: CustomerCommandOptions) => void,
  args: readonly string[],
  serviceRoleArn = 'arn:aws:iam::999988887777:role/platform-service',
): Promise<CommandRun> {
  const run: CommandRun = { out: '', err: '', exitCode: undefined };
  const io: CliIo = {
    out: (text) => (run.out += text),
    err: (text) => (run.err += text),
    setExitCode: (code) => (run.exitCode = code),
  };
  const program = new Command('byok')
    .exitOverride()
    .configureOutput({ writeOut: io.out, writeErr: io.err });
  register(program, { io, serviceRoleArn: () => serviceRoleArn });

  try {
    await program.parseAsync([...args], { from: 'user' });
  } catch (error) {
    // Commander's own refusals (a missing required flag) arrive here under exitOverride.
    const code = (error as { exitCode?: unknown }).exitCode;
    if (typeof code !== 'number') throw error;
    run.exitCode = code;
  }
  return run;
}
