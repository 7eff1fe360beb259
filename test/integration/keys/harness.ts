/**
 * The platform side of the key lifecycle for integration tests: a fresh database, the tenancy
 * and key services over it, the real AWS clients routed through the fault endpoint (which
 * forwards to local-kms and moto unless a test scripts a fault), the platform default key, a
 * key vault and a sealer. Time is a ManualClock so enforcement dates can be reached.
 */
import { randomBytes } from 'node:crypto';

import { createAwsKeyProviders } from '../../../src/aws/kms-provider.js';
import { LocalKeyProvider } from '../../../src/aws/local-key.js';
import { ManualClock, systemClock } from '../../../src/base/clock.js';
import { silentLogger } from '../../../src/base/log.js';
import type { Actor } from '../../../src/keys/audit.js';
import type { KeyConfig } from '../../../src/keys/model.js';
import { createKeysModule, type KeysModule } from '../../../src/keys/module.js';
import type { RotationJob } from '../../../src/keys/rotation-jobs.js';
import { defaultKeyBinding } from '../../../src/sealing/default-resolver.js';
import { EnvelopeSealer } from '../../../src/sealing/sealer.js';
import { MongoKeyVault } from '../../../src/store/key-vault.js';
import { createTenancy, type Tenancy } from '../../../src/tenancy/index.js';
import { type AwsFaultServer, startAwsFaultServer } from '../../support/aws-fault-server.js';
import { provisionCustomer, type ProvisionedCustomer } from '../../support/customer-aws.js';
import { type TestDatabase, testDatabase } from '../../support/db.js';

/** The platform's service role customers trust in these tests. */
export const serviceRoleArn = 'arn:aws:iam::000000000000:role/byok-harness-service';

/** 2026-03-10 12:00 UTC: "now" at the start of every test. */
export const startTime = Date.UTC(2026, 2, 10, 12);

/** An admin acting through the library. */
export const alice: Actor = { kind: 'admin', id: 'adm_alice', label: 'alice@example.com' };

/** Options of {@link startPlatform}. */
export interface PlatformOptions {
  rotationBatchSize?: number;
  onRotationProgress?: (job: RotationJob) => void | Promise<void>;
  healthCheckTimeoutMs?: number;
}

/** A running platform over one test database. */
export interface Platform {
  database: TestDatabase;
  clock: ManualClock;
  faults: AwsFaultServer;
  tenancy: Tenancy;
  keys: KeysModule;
  sealer: EnvelopeSealer;
  vault: MongoKeyVault;
  local: LocalKeyProvider;
  /** Another instance of the key services on the same database, as after a restart. */
  restart(options?: PlatformOptions): Promise<{ keys: KeysModule; sealer: EnvelopeSealer }>;
  close(): Promise<void>;
}

/** Starts the platform; share one per test file and create a workspace per test. */
export async function startPlatform(options: PlatformOptions = {}): Promise<Platform> {
  const database = await testDatabase('keys');
  const clock = new ManualClock(startTime);
  const faults = await startAwsFaultServer();
  const local = new LocalKeyProvider(randomBytes(32));
  const tenancy = await createTenancy(database.db, clock);
  const vault = new MongoKeyVault(database.db);
  await vault.ensureIndexes();
  const awsInstances: { destroy(): void }[] = [];

  const build = async (o: PlatformOptions) => {
    // Credentials expire in real time, so the AWS side keeps the system clock.
    const aws = createAwsKeyProviders({
      endpoint: faults.url,
      clock: systemClock,
      serviceRoleArn,
      maxAttempts: 1,
    });
    awsInstances.push(aws);
    const keys = await createKeysModule({
      db: database.db,
      tenancy,
      config: { BYOK_SERVICE_ROLE_ARN: serviceRoleArn, BYOK_HEALTH_INTERVAL_SECONDS: 900 },
      clock,
      logger: silentLogger,
      aws,
      localBinding: defaultKeyBinding(local),
      vault,
      options: {
        ...(o.rotationBatchSize === undefined ? {} : { rotationBatchSize: o.rotationBatchSize }),
        ...(o.onRotationProgress === undefined ? {} : { onRotationProgress: o.onRotationProgress }),
        ...(o.healthCheckTimeoutMs === undefined
          ? {}
          : { healthCheckTimeoutMs: o.healthCheckTimeoutMs }),
      },
    });
    const sealer = new EnvelopeSealer({
      vault,
      resolver: keys.resolver,
      clock,
      logger: silentLogger,
    });
    return { keys, sealer };
  };

  const first = await build(options);
  const started: KeysModule[] = [first.keys];
  return {
    database,
    clock,
    faults,
    tenancy,
    vault,
    local,
    ...first,
    restart: async (o = {}) => {
      const next = await build(o);
      started.push(next.keys);
      return next;
    },
    close: async () => {
      for (const keys of started) await keys.stop();
      for (const aws of awsInstances) aws.destroy();
      await faults.close();
      await database.drop();
    },
  };
}

/** A workspace with `apps` apps of one bot each, and its customer's AWS set-up. */
export async function workspaceWithCustomer(
  platform: Platform,
  apps = 2,
): Promise<{
  workspaceId: string;
  externalId: string;
  appIds: string[];
  botIds: string[];
  customer: ProvisionedCustomer;
}> {
  const { directory } = platform.tenancy;
  const workspace = await directory.createWorkspace({
    name: `Workspace ${randomBytes(3).toString('hex')}`,
  });
  const appIds: string[] = [];
  const botIds: string[] = [];
  for (let i = 0; i < apps; i += 1) {
    const app = await directory.createApp(workspace.id, { name: `App ${i}` });
    const bot = await directory.createBot(workspace.id, app.id, { name: `Bot ${i}` });
    appIds.push(app.id);
    botIds.push(bot.id);
  }
  const customer = await provisionCustomer({ serviceRoleArn, externalId: workspace.externalId });
  return { workspaceId: workspace.id, externalId: workspace.externalId, appIds, botIds, customer };
}

/** YYYY-MM-DD of `startTime` plus `days`. */
export function dayPlus(days: number): string {
  return new Date(startTime + days * 86_400_000).toISOString().slice(0, 10);
}

/** Creates a draft configuration of the customer's key and role, enforced from `dayPlus(days)`. */
export function draftKey(
  platform: Platform,
  workspaceId: string,
  customer: { cmkArn: string; roleArn: string },
  days = 1,
  name = 'Production key',
): Promise<KeyConfig> {
  return platform.keys.configs.create(alice, workspaceId, {
    name,
    cmkArn: customer.cmkArn,
    roleArn: customer.roleArn,
    enforcementDate: dayPlus(days),
  });
}

/** Creates, tests and schedules a configuration enforced from `dayPlus(days)`. */
export async function scheduledKey(
  platform: Platform,
  workspaceId: string,
  customer: { cmkArn: string; roleArn: string },
  days = 1,
): Promise<string> {
  const { configs } = platform.keys;
  const created = await draftKey(platform, workspaceId, customer, days);
  const tested = await configs.test(alice, workspaceId, created.id);
  if (!tested.lastTest?.passed)
    throw new Error(`test failed: ${JSON.stringify(tested.lastTest?.steps)}`);
  await configs.proceed(alice, workspaceId, created.id);
  return created.id;
}
