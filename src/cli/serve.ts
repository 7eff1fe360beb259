/**
 * `byok serve`: starts the host and stops it cleanly on SIGINT or SIGTERM.
 */
import type { Command } from 'commander';

import { loadConfig } from '../base/config.js';
import { isByokError } from '../base/errors.js';
import { createLogger } from '../base/log.js';
import { startHost } from '../host/index.js';

/** Adds `byok serve` to `program`. */
export function registerServeCommand(program: Command): void {
  program
    .command('serve')
    .description('Start the bot host, admin API and console')
    .option('--embedded', 'start a database when MONGODB_URI is unset and seed the demo workspace')
    .option('--local-aws', 'with --embedded: also start local KMS, STS and IAM (BYOK_LOCAL_AWS)')
    .action(async (flags: { embedded?: boolean; localAws?: boolean }) => {
      if (flags.localAws === true) process.env.BYOK_LOCAL_AWS = 'true';
      await serve(flags.embedded === true);
    });
}

async function serve(embedded: boolean): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    console.error(isByokError(error) ? error.message : String(error));
    process.exitCode = 2;
    return;
  }
  const logger = createLogger(config.LOG_LEVEL);
  const host = await startHost({ config, logger, embedded });

  // Handlers first: a supervisor may signal as soon as it sees the banner.
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    host.close().then(
      () => {
        process.exit(0);
      },
      (error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);

  console.log(`byok-harness is serving on ${host.url}`);
  console.log(`  chat:    ${host.url}/`);
  console.log(`  console: ${host.url}/console`);
  if (host.embeddedDatabaseUri !== null) {
    console.log(`  database (${host.embeddedDatabase ?? 'embedded'}): ${host.embeddedDatabaseUri}`);
    console.log('  (set MONGODB_URI to it to run byok operator commands against this host)');
  }
  if (host.demoCustomer !== null) {
    console.log('  demo customer in the local AWS servers (paste into Create Key):');
    console.log(`    CMK ARN:  ${host.demoCustomer.cmkArn}`);
    console.log(`    Role ARN: ${host.demoCustomer.roleArn}`);
  }
  if (host.firstAdmin !== null) {
    // Printed to the terminal once, never logged: the log may be shipped elsewhere.
    const password = host.firstAdmin.generatedPassword ?? '(from BYOK_ADMIN_PASSWORD)';
    console.log(`  first admin: ${host.firstAdmin.email}  password: ${password}`);
    console.log('  (the generated password is shown only this once)');
  }
}
