/**
 * Runs the validation conversations (`dialogs/*.json`) the way CI and operators do: every
 * script against its own validation bot, on its own scratch database, with data sealed under
 * a platform default key that exists only for the run. Scripts are independent of each other
 * and of their order: a link one script leaves unused cannot be swept into another's chat.
 *
 * @example
 * ```ts
 * const scripts = await loadDialogScripts(await defaultScriptPaths());
 * const run = await runValidationScripts({ scripts, mongoUri: config.MONGODB_URI });
 * for (const report of run.reports) console.log(formatReport(report));
 * process.exitCode = run.passed ? 0 : 1;
 * ```
 */
import { randomBytes } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';

import { LocalKeyProvider } from '../aws/local-key.js';
import { ManualClock } from '../base/clock.js';
import { ByokError, ErrorCode } from '../base/errors.js';
import { type Logger, silentLogger } from '../base/log.js';
import { BasicAuthService } from '../bot/auth-links/service.js';
import { createValidationBot } from '../bot/validation-bot.js';
import { projectRoot } from '../devservices/index.js';
import { DefaultKeyResolver } from '../sealing/default-resolver.js';
import { EnvelopeSealer } from '../sealing/sealer.js';
import { MongoKeyVault } from '../store/key-vault.js';
import { runDialogScript, type ScriptReport } from './dialog-runner.js';
import { type DialogScript, loadDialogScript } from './dialog-script.js';
import { openScratchServer, type ScratchEngine, type ScratchServer } from './scratch-database.js';

/** Options of {@link runValidationScripts}. */
export interface ValidationRunOptions {
  scripts: readonly DialogScript[];
  /** A MongoDB server for the scratch databases; unset: an embedded one is started. */
  mongoUri?: string | undefined;
  /** Link lifetime the bots announce and `expireLink` steps pass, in seconds (default 600). */
  linkTtlSeconds?: number;
  logger?: Logger;
}

/** The outcome of a run: one report per script, in the order given. */
export interface ValidationRun {
  passed: boolean;
  /** Which database served the run. */
  engine: ScratchEngine;
  reports: ScriptReport[];
}

/** The public base URL of the links the bots show; a run never serves it. */
const harnessPublicUrl = 'http://127.0.0.1:3978';

/** Runs every script and reports each; throws only when no database could be had. */
export async function runValidationScripts(options: ValidationRunOptions): Promise<ValidationRun> {
  if (options.scripts.length === 0) {
    throw new ByokError(ErrorCode.BadInput, 'no dialog scripts to run');
  }

  const server = await openScratchServer(options.mongoUri);
  try {
    const reports: ScriptReport[] = [];
    for (const [index, script] of options.scripts.entries()) {
      reports.push(await runOnScratch(server, script, index, options));
    }
    return { passed: reports.every((r) => r.passed), engine: server.engine, reports };
  } finally {
    await server.close();
  }
}

/** One script on a fresh database, with a bot, link service and sealer of its own. */
async function runOnScratch(
  server: ScratchServer,
  script: DialogScript,
  index: number,
  options: ValidationRunOptions,
): Promise<ScriptReport> {
  const db = server.database();
  const logger = options.logger ?? silentLogger;
  const ttlSeconds = options.linkTtlSeconds ?? 600;
  const clock = new ManualClock(Date.now());
  const masterKey = randomBytes(32);
  const vault = new MongoKeyVault(db);
  await vault.ensureIndexes();
  const sealer = new EnvelopeSealer({
    vault,
    resolver: new DefaultKeyResolver(new LocalKeyProvider(masterKey)),
    clock,
    logger,
  });
  masterKey.fill(0);

  const service = new BasicAuthService({
    db,
    sealer,
    secret: randomBytes(32),
    publicUrl: harnessPublicUrl,
    ttlSeconds,
    clock,
    logger,
  });
  await service.ensureIndexes();
  const owner = { tenantId: 'ws-harness', appId: 'app-harness', botId: `bot-${String(index)}` };
  const bot = createValidationBot({
    owner,
    displayName: 'the validation bot',
    db,
    sealer,
    service,
    ttlSeconds,
    logger,
    clock,
  });

  return runDialogScript(script, {
    bot,
    service,
    ttlSeconds,
    advanceClock: (ms) => {
      clock.advance(ms);
    },
  });
}

/** Every `*.json` under `dir` (default: the project's `dialogs/`), sorted by name. */
export async function defaultScriptPaths(dir = join(projectRoot, 'dialogs')): Promise<string[]> {
  const names = await readdir(dir);
  return names
    .filter((name) => name.endsWith('.json'))
    .sort()
    .map((name) => resolve(dir, name));
}

/**
 * Loads and validates every file before anything runs, so a broken file stops the run with
 * its name and places instead of after minutes of other scripts.
 */
export async function loadDialogScripts(paths: readonly string[]): Promise<DialogScript[]> {
  const scripts: DialogScript[] = [];
  for (const path of paths) scripts.push(await loadDialogScript(path));
  return scripts;
}
