/**
 * The library services over one database, as the host and the CLI both open them: tenancy,
 * the platform default key, the key vault, AWS access and the key lifecycle. Opening them
 * starts no timers; the host starts health checks and rotations itself.
 */
import type { Db } from 'mongodb';

import {
  type AwsKeyProviders,
  awsOptionsFromConfig,
  createAwsKeyProviders,
} from '../aws/kms-provider.js';
import { loadOrCreateMasterKey, LocalKeyProvider } from '../aws/local-key.js';
import type { Clock } from '../base/clock.js';
import type { Config } from '../base/config.js';
import { ByokError, ErrorCode } from '../base/errors.js';
import type { Logger } from '../base/log.js';
import { createKeysModule, type KeysModule } from '../keys/module.js';
import { defaultKeyBinding } from '../sealing/default-resolver.js';
import { connectDatabase } from '../store/database.js';
import { MongoKeyVault } from '../store/key-vault.js';
import { createTenancy, type Tenancy } from '../tenancy/index.js';

/** The opened services. */
export interface Services {
  db: Db;
  tenancy: Tenancy;
  keys: KeysModule;
  vault: MongoKeyVault;
  localProvider: LocalKeyProvider;
  aws: AwsKeyProviders;
  /** Releases the AWS clients and the database connection. */
  close(): Promise<void>;
}

/** Opens the services on `mongoUri` (or MONGODB_URI from the configuration). */
export async function openServices(options: {
  config: Config;
  logger: Logger;
  clock: Clock;
  mongoUri?: string | undefined;
}): Promise<Services> {
  const { config, logger, clock } = options;
  const uri = options.mongoUri ?? config.MONGODB_URI;
  if (uri === undefined) {
    throw new ByokError(
      ErrorCode.ConfigInvalid,
      'MONGODB_URI is not set: point it at the database the host uses',
    );
  }

  const database = await connectDatabase(uri, config.MONGODB_DB);
  try {
    const { db } = database;
    const master = await loadOrCreateMasterKey({
      dataDir: config.BYOK_DATA_DIR,
      fromEnv: config.BYOK_LOCAL_MASTER_KEY,
    });
    const localProvider = new LocalKeyProvider(master.key);
    master.key.fill(0);

    const tenancy = await createTenancy(db, clock);
    const vault = new MongoKeyVault(db);
    await vault.ensureIndexes();
    const aws = createAwsKeyProviders({ ...awsOptionsFromConfig(config), clock, logger });
    const keys = await createKeysModule({
      db,
      tenancy,
      config,
      clock,
      logger,
      aws,
      localBinding: defaultKeyBinding(localProvider),
      vault,
    });
    return {
      db,
      tenancy,
      keys,
      vault,
      localProvider,
      aws,
      close: async () => {
        aws.destroy();
        await database.close();
      },
    };
  } catch (error) {
    await database.close();
    throw error;
  }
}
