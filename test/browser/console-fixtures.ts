/**
 * The console and the admin API on one HTTP app, assembled from the same pieces the host
 * uses: tenancy with the demo workspace, the key services over FerretDB, AWS through moto and
 * local-kms. Listens on 127.0.0.1 with a free port.
 */
import { randomBytes } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';

import { createAwsKeyProviders } from '../../src/aws/kms-provider.js';
import { LocalKeyProvider } from '../../src/aws/local-key.js';
import { systemClock } from '../../src/base/clock.js';
import { silentLogger } from '../../src/base/log.js';
import { createAdminRouter } from '../../src/http/admin/index.js';
import { createHttpApp } from '../../src/http/app.js';
import { createConsoleRouter } from '../../src/http/console/index.js';
import { createKeysModule, type KeysModule } from '../../src/keys/module.js';
import { defaultKeyBinding } from '../../src/sealing/default-resolver.js';
import { MongoKeyVault } from '../../src/store/key-vault.js';
import { createTenancy, seedDemo, type Tenancy } from '../../src/tenancy/index.js';
import { type TestDatabase, testDatabase } from '../support/db.js';

/** The platform's service role in these tests. */
export const serviceRoleArn = 'arn:aws:iam::999988887777:role/byok-platform-service';

/** The demo workspace's first admin. */
export const admin = { email: 'admin@example.com', password: 'correct horse battery staple' };

/** A running console. */
export interface ConsoleApp {
  /** Base URL, e.g. http://127.0.0.1:12345 */
  url: string;
  tenancy: Tenancy;
  keys: KeysModule;
  workspaceId: string;
  externalId: string;
  close(): Promise<void>;
}

/** Starts the admin API at /api/admin and the console at /console on a fresh database. */
export async function startConsoleApp(): Promise<ConsoleApp> {
  const database: TestDatabase = await testDatabase('console');
  const { db } = database;
  const clock = systemClock;
  const tenancy = await createTenancy(db, clock);
  const seeded = await seedDemo({
    collections: tenancy.collections,
    accounts: tenancy.accounts,
    clock,
    adminEmail: admin.email,
    adminPassword: admin.password,
  });
  const workspace = await tenancy.directory.getWorkspace(seeded.workspaceId);

  const aws = createAwsKeyProviders({ serviceRoleArn, maxAttempts: 1 });
  const keys = await createKeysModule({
    db,
    tenancy,
    config: { BYOK_SERVICE_ROLE_ARN: serviceRoleArn, BYOK_HEALTH_INTERVAL_SECONDS: 900 },
    clock,
    logger: silentLogger,
    aws,
    localBinding: defaultKeyBinding(new LocalKeyProvider(randomBytes(32))),
    vault: new MongoKeyVault(db),
  });

  const deps = { tenancy, keys, clock, serviceRoleArn };
  const app = createHttpApp({
    logger: silentLogger,
    mounts: [
      { path: '/api/admin', router: createAdminRouter(deps) },
      { path: '/console', router: createConsoleRouter(deps) },
    ],
  });
  const server: Server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => {
      resolve(s);
    });
  });

  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    tenancy,
    keys,
    workspaceId: seeded.workspaceId,
    externalId: workspace.externalId,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) =>
        server.close(() => {
          resolve();
        }),
      );
      await keys.stop();
      aws.destroy();
      await database.drop();
    },
  };
}
