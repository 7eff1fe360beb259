/**
 * The embedded defaults: a MongoDB for the host when `MONGODB_URI` is unset, and local
 * stand-ins for KMS, STS and IAM when asked for. Each `start*` returns the environment that
 * points the code (and the AWS SDK, through its own `AWS_ENDPOINT_URL_*` variables) at the
 * server, and a `stop`.
 *
 * The database is chosen in this order: mongodb-memory-server where a `mongod` can be had
 * (a download on machines with internet, or `MONGOMS_SYSTEM_BINARY`), then FerretDB 1.24 on
 * SQLite installed into `.tools/`. When neither works the error lists the three ways to get one.
 */
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';

import { ByokError, ErrorCode } from '../base/errors.js';
import { freePort, type RunningService, startService } from './service-process.js';
import { Tool, toolPath } from './tools.js';

/** Account and region the local AWS stand-ins answer as; the customer fixtures use them too. */
export const localAwsAccount = '111122223333';
export const localAwsRegion = 'us-east-1';

/** A started group of local servers. */
export interface LocalServices {
  /** Variables to merge into `process.env` (or the config) so the code reaches the servers. */
  env: Record<string, string>;
  /** Which database engine serves `MONGODB_URI`. */
  database?: 'mongodb-memory-server' | 'ferretdb';
  stop(): Promise<void>;
}

/** Starts FerretDB (SQLite backend) with its data under `dataDir`, telemetry off. */
export async function startFerretDb(dataDir: string, port?: number): Promise<RunningService> {
  const dir = resolve(dataDir, 'ferretdb');
  mkdirSync(join(dir, 'sqlite'), { recursive: true });
  const listen = port ?? (await freePort());
  return startService({
    name: 'ferretdb',
    command: toolPath(Tool.FerretDb),
    args: [
      '--handler=sqlite',
      `--sqlite-url=file:${join(dir, 'sqlite')}/`,
      `--state-dir=${dir}`,
      `--listen-addr=127.0.0.1:${listen}`,
      `--debug-addr=127.0.0.1:${await freePort()}`,
      '--telemetry=disable',
      '--log-level=WARN',
    ],
    env: { DO_NOT_TRACK: '1' },
    port: listen,
    logDir: dir,
  });
}

/** Starts local-kms, keeping its keys under `dataDir` so they survive restarts. */
export async function startLocalKms(dataDir: string, port?: number): Promise<RunningService> {
  const dir = resolve(dataDir, 'local-kms');
  mkdirSync(dir, { recursive: true });
  const listen = port ?? (await freePort());
  return startService({
    name: 'local-kms',
    command: toolPath(Tool.LocalKms),
    args: [],
    env: {
      PORT: String(listen),
      KMS_ACCOUNT_ID: localAwsAccount,
      KMS_REGION: localAwsRegion,
      KMS_DATA_PATH: join(dir, 'data'),
    },
    port: listen,
    logDir: dir,
  });
}

/** Starts moto's server (STS and IAM); its state lives in memory only. */
export async function startMoto(dataDir: string, port?: number): Promise<RunningService> {
  const dir = resolve(dataDir, 'moto');
  const listen = port ?? (await freePort());
  return startService({
    name: 'moto',
    command: toolPath(Tool.Moto),
    args: ['-H', '127.0.0.1', '-p', String(listen)],
    env: { MOTO_ACCOUNT_ID: localAwsAccount, AWS_DEFAULT_REGION: localAwsRegion },
    port: listen,
    logDir: dir,
  });
}

/** Starts local-kms and moto and returns the SDK variables that point at them. */
export async function startLocalAws(dataDir: string): Promise<LocalServices> {
  const kms = await startLocalKms(dataDir);
  let moto: RunningService;
  try {
    moto = await startMoto(dataDir);
  } catch (error) {
    await kms.stop();
    throw error;
  }
  return {
    env: {
      AWS_ENDPOINT_URL_KMS: `http://127.0.0.1:${kms.port}`,
      AWS_ENDPOINT_URL_STS: `http://127.0.0.1:${moto.port}`,
      AWS_ENDPOINT_URL_IAM: `http://127.0.0.1:${moto.port}`,
      AWS_REGION: localAwsRegion,
      // The stand-ins accept any credentials; real AWS is never reached with these.
      AWS_ACCESS_KEY_ID: 'local-test-access-key',
      AWS_SECRET_ACCESS_KEY: 'local-test-secret-key',
    },
    stop: async () => {
      await Promise.all([kms.stop(), moto.stop()]);
    },
  };
}

/**
 * Starts an embedded MongoDB for the host: mongodb-memory-server if a `mongod` can be had,
 * else FerretDB. Data lives under `dataDir` and survives restarts.
 */
export async function startEmbeddedDatabase(dataDir: string): Promise<LocalServices> {
  const problems: string[] = [];
  try {
    return await startMongoMemoryServer(dataDir);
  } catch (error) {
    problems.push(`mongodb-memory-server: ${summary(error)}`);
  }
  try {
    const ferret = await startFerretDb(dataDir);
    return {
      env: { MONGODB_URI: `mongodb://127.0.0.1:${ferret.port}/` },
      database: 'ferretdb',
      stop: () => ferret.stop(),
    };
  } catch (error) {
    problems.push(`FerretDB: ${summary(error)}`);
  }
  throw new ByokError(
    ErrorCode.DatabaseUnavailable,
    'no database could be started. Either set MONGODB_URI to a running MongoDB; or let ' +
      'mongodb-memory-server use a mongod (internet access to download one, or ' +
      'MONGOMS_SYSTEM_BINARY=/path/to/mongod); or install FerretDB with ' +
      `scripts/install-tools.sh ferretdb (needs go). Tried: ${problems.join('; ')}`,
  );
}

async function startMongoMemoryServer(dataDir: string): Promise<LocalServices> {
  const { MongoMemoryServer } = await import('mongodb-memory-server-core');
  const dbPath = resolve(dataDir, 'mongodb');
  mkdirSync(dbPath, { recursive: true });
  // mongodb-memory-server prints a stack trace to the console when it cannot download a
  // mongod; that is the expected case on machines without internet, reported by our own error.
  /* eslint-disable no-console -- silencing a dependency's console output, not writing to it */
  const warn = console.warn;
  console.warn = () => undefined;
  let server;
  try {
    server = await MongoMemoryServer.create({
      instance: { dbPath, ip: '127.0.0.1', storageEngine: 'wiredTiger' },
    });
  } finally {
    console.warn = warn;
  }
  /* eslint-enable no-console */
  return {
    env: { MONGODB_URI: server.getUri() },
    database: 'mongodb-memory-server',
    stop: async () => {
      await server.stop({ doCleanup: false });
    },
  };
}

function summary(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split('\n')[0]?.slice(0, 200) ?? 'failed';
}
