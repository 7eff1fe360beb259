/**
 * Hosts started exactly as `byok serve` starts them (the composition root's `startHost`), for
 * tests of the whole bot host: in this process with {@link startTestBotHost}, or in a process
 * of its own with {@link spawnBotHost} when two hosts on one database must be two processes.
 * A spawned host prints one JSON line with its URL once it serves and stops on SIGTERM.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

import { systemClock } from '../../src/base/clock.js';
import { loadConfig } from '../../src/base/config.js';
import { createLogger, silentLogger } from '../../src/base/log.js';
import { startHost } from '../../src/host/index.js';
import { createTenancy } from '../../src/tenancy/index.js';
import type { TestDatabase } from './db.js';

/** The platform's secrets and settings shared by every host of one test deployment. */
export interface BotHostDeployment {
  /** The configuration variables every host is started with. */
  env: Record<string, string>;
  /** The platform default key (also in `env`), for plaintext scans. */
  masterKey: Buffer;
  /** The platform secret (also in `env`), for plaintext scans. */
  secret: Buffer;
  /** Removes the deployment's data folder. */
  remove(): Promise<void>;
}

/** A bot registered in the tenancy directory: its owner and name. */
export interface RegisteredBot {
  tenantId: string;
  appId: string;
  botId: string;
  name: string;
}

/** A running host. */
export interface BotHost {
  url: string;
  close(): Promise<void>;
}

const entry = fileURLToPath(import.meta.url);

/** Settings for hosts on `database`, with fresh platform secrets and a data folder. */
export async function botHostDeployment(database: TestDatabase): Promise<BotHostDeployment> {
  const dataDir = await mkdtemp(join(tmpdir(), 'byok-host-'));
  const masterKey = randomBytes(32);
  const secret = randomBytes(32);
  return {
    env: {
      MONGODB_URI: database.uri,
      MONGODB_DB: database.name,
      HOST: '127.0.0.1',
      PORT: '0',
      BYOK_DATA_DIR: dataDir,
      BYOK_LOCAL_MASTER_KEY: masterKey.toString('base64'),
      BYOK_LINK_SECRET: secret.toString('base64'),
      LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    },
    masterKey,
    secret,
    remove: () => rm(dataDir, { recursive: true, force: true }),
  };
}

/** Creates a workspace with one app and one bot through the tenancy directory. */
export async function registerBot(database: TestDatabase, name: string): Promise<RegisteredBot> {
  const { directory } = await createTenancy(database.db, systemClock);
  const workspace = await directory.createWorkspace({ name: `${name} workspace` });
  const app = await directory.createApp(workspace.id, { name: `${name} app` });
  const bot = await directory.createBot(workspace.id, app.id, { name });
  return { tenantId: workspace.id, appId: app.id, botId: bot.id, name };
}

/** Starts a host in this process. */
export async function startTestBotHost(deployment: BotHostDeployment): Promise<BotHost> {
  const config = loadConfig(deployment.env);
  const logger =
    config.LOG_LEVEL === 'silent' ? silentLogger : createLogger(config.LOG_LEVEL, process.stderr);
  const host = await startHost({ config, logger });
  return { url: host.url, close: () => host.close() };
}

/** Starts a host in a process of its own and resolves once it serves. */
export async function spawnBotHost(deployment: BotHostDeployment): Promise<BotHost> {
  const child = spawn(process.execPath, ['--import', 'tsx', entry], {
    env: { ...process.env, ...deployment.env, BYOK_TEST_HOST_PROCESS: '1' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const url = await new Promise<string>((resolve, reject) => {
    // The first line with a URL is the signal; anything else is passed on to stderr.
    const lines = createInterface({ input: child.stdout });
    lines.on('line', (line) => {
      const ready = /^\{"url":"(http:[^"]+)"\}$/.exec(line);
      if (ready?.[1] !== undefined) resolve(ready[1]);
      else process.stderr.write(`${line}\n`);
    });
    child.once('exit', (code) => {
      reject(new Error(`the host process exited with ${String(code)} before serving`));
    });
  });
  return { url, close: () => stopChild(child) };
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise<void>((resolve) => {
    child.once('exit', () => {
      resolve();
    });
  });
  child.kill('SIGTERM');
  await exited;
}

async function main(): Promise<void> {
  const config = loadConfig(process.env);
  const logger =
    config.LOG_LEVEL === 'silent' ? silentLogger : createLogger(config.LOG_LEVEL, process.stderr);
  const host = await startHost({ config, logger });
  process.once('SIGTERM', () => {
    void host.close().finally(() => process.exit(0));
  });
  process.stdout.write(`${JSON.stringify({ url: host.url })}\n`);
}

if (process.argv[1] === entry && process.env.BYOK_TEST_HOST_PROCESS === '1') {
  await main();
}
