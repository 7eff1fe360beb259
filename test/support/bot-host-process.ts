/**
 * A validation host in a process of its own, for tests that need two hosts on one database to
 * be two real processes. Start it with {@link spawnBotHost}; it prints one JSON line with its
 * URL once it serves, and stops cleanly on SIGTERM.
 *
 * Run as a script, it reads its settings from the `BYOK_TEST_HOST` environment variable.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

import { MongoClient } from 'mongodb';

import { type RegisteredBot, startValidationHost } from '../integration/host/validation-host.js';

/** What a host process is started with (keys as base64, so they fit in the environment). */
export interface BotHostSettings {
  mongodbUri: string;
  dbName: string;
  bots: RegisteredBot[];
  masterKey: string;
  secret: string;
}

/** A running host process. */
export interface BotHostProcess {
  url: string;
  /** Stops the process and waits for it to exit. */
  stop(): Promise<void>;
}

const entry = fileURLToPath(import.meta.url);

/** Starts a host process and resolves once it serves. */
export async function spawnBotHost(settings: BotHostSettings): Promise<BotHostProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', entry], {
    env: { ...process.env, BYOK_TEST_HOST: JSON.stringify(settings) },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const url = await new Promise<string>((resolve, reject) => {
    // The first line with a URL is the signal; anything else (logs) is passed on to stderr.
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
  return { url, stop: () => stopChild(child) };
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise<void>((resolve) =>
    child.once('exit', () => {
      resolve();
    }),
  );
  child.kill('SIGTERM');
  await exited;
}

async function main(settings: BotHostSettings): Promise<void> {
  const client = await MongoClient.connect(settings.mongodbUri);
  const host = await startValidationHost({
    db: client.db(settings.dbName),
    bots: settings.bots,
    masterKey: Buffer.from(settings.masterKey, 'base64'),
    secret: Buffer.from(settings.secret, 'base64'),
  });
  process.once('SIGTERM', () => {
    void host
      .close()
      .then(() => client.close())
      .finally(() => process.exit(0));
  });
  process.stdout.write(`${JSON.stringify({ url: host.url })}\n`);
}

if (process.argv[1] === entry && process.env.BYOK_TEST_HOST !== undefined) {
  await main(JSON.parse(process.env.BYOK_TEST_HOST) as BotHostSettings);
}
