/**
 * The composition root: builds every service of one host process from the configuration and
 * serves them over HTTP. `byok serve` and the tests start hosts through {@link startHost}; no
 * other file wires features together.
 *
 * Start-up, in order: embedded servers (when asked) -> database -> platform default key and
 * secret -> tenancy and the demo workspace -> key lifecycle (resolver, health, rotations) ->
 * sealer -> bots and channels -> HTTP. Shutdown runs the same steps backwards.
 */
import { hkdfSync } from 'node:crypto';
import type { Server } from 'node:http';

import { ChatAnalytics } from '../analytics/index.js';
import { type Clock, systemClock } from '../base/clock.js';
import type { Config } from '../base/config.js';
import { ByokError, ErrorCode } from '../base/errors.js';
import type { Logger } from '../base/log.js';
import { createBotAdapter } from '../bot/adapter.js';
import type { ResumeConversation } from '../bot/auth-links/resume.js';
import { BasicAuthService } from '../bot/auth-links/service.js';
import { loadPlatformSecret } from '../bot/auth-links/signing.js';
import { LinkExpirySweeper } from '../bot/auth-links/sweeper.js';
import { DirectLineChannel, directLinePath } from '../bot/directline/channel.js';
import { ensureSealingPluginIndexes, SealingFailureCounter } from '../bot/plugin/index.js';
import { DekCache } from '../crypto/dek-cache.js';
import { type DemoCustomer, ensureDemoCustomer } from '../customer/provision.js';
import {
  localAwsRegion,
  type LocalServices,
  startEmbeddedDatabase,
  startLocalAws,
} from '../devservices/index.js';
import { freePort } from '../devservices/service-process.js';
import { createAdminRouter } from '../http/admin/index.js';
import { createHttpApp } from '../http/app.js';
import { createAuthLinkRouter } from '../http/auth-link/index.js';
import { createChatRouter } from '../http/bot/chat-router.js';
import { createDirectLineRouter } from '../http/bot/directline-router.js';
import { createBotRouter } from '../http/bot/messages-router.js';
import { createConsoleRouter } from '../http/console/index.js';
import { EnvelopeSealer } from '../sealing/sealer.js';
import { demoIds, seedDemo } from '../tenancy/index.js';
import { BotRegistry } from './bots.js';
import { openServices } from './services.js';

/** How to start a host. */
export interface HostOptions {
  config: Config;
  logger: Logger;
  clock?: Clock;
  /**
   * Embedded defaults: start a database when MONGODB_URI is unset, start local KMS/STS/IAM when
   * BYOK_LOCAL_AWS is on, and seed the demo workspace with its first admin.
   */
  embedded?: boolean;
}

/** The first admin created by this start, whose generated password is shown exactly once. */
export interface FirstAdmin {
  email: string;
  /** Null when the password came from BYOK_ADMIN_PASSWORD. */
  generatedPassword: string | null;
}

/** A running host. */
export interface RunningHost {
  /** Base URL the host serves on. */
  url: string;
  /** Set when this start created the demo workspace's first admin. */
  firstAdmin: FirstAdmin | null;
  /** Which database engine the embedded default started, if any. */
  embeddedDatabase: LocalServices['database'] | null;
  /** The embedded database's URI, for `byok` operator commands (MONGODB_URI). */
  embeddedDatabaseUri: string | null;
  /** With `--local-aws`: the demo customer's role and key in the local servers. */
  demoCustomer: DemoCustomer | null;
  /** Stops accepting requests, finishes what runs, and releases every resource. */
  close(): Promise<void>;
}

/** Starts a host process's services and its HTTP server. */
export async function startHost(options: HostOptions): Promise<RunningHost> {
  const { config, logger } = options;
  const clock = options.clock ?? systemClock;
  const cleanups: (() => Promise<void> | void)[] = [];
  const cleanup = async () => {
    // Taken out as they run, so a second close() has nothing left to do.
    for (let step = cleanups.pop(); step !== undefined; step = cleanups.pop()) {
      try {
        await step();
      } catch (error) {
        logger.warn({ err: error }, 'a shutdown step failed');
      }
    }
  };

  try {
    // Embedded servers. The AWS SDK reads its endpoint variables when a client is created,
    // so they must be in the environment before any AWS client exists.
    let mongoUri = config.MONGODB_URI;
    let embeddedDatabase: LocalServices['database'] | null = null;
    if (mongoUri === undefined) {
      if (options.embedded !== true) {
        throw new ByokError(
          ErrorCode.ConfigInvalid,
          'MONGODB_URI is not set: point it at a MongoDB, or start with --embedded',
        );
      }
      const embeddedDb = await startEmbeddedDatabase(config.BYOK_DATA_DIR);
      cleanups.push(() => embeddedDb.stop());
      mongoUri = embeddedDb.env.MONGODB_URI;
      embeddedDatabase = embeddedDb.database ?? null;
      logger.info({ engine: embeddedDatabase }, 'embedded database started');
    }
    if (options.embedded === true && config.BYOK_LOCAL_AWS) {
      const aws = await startLocalAws(config.BYOK_DATA_DIR);
      cleanups.push(() => aws.stop());
      Object.assign(process.env, aws.env);
      logger.info({ kms: aws.env.AWS_ENDPOINT_URL_KMS }, 'local KMS, STS and IAM started');
    }

    // Database, platform default key, tenancy, key lifecycle and the platform secret.
    const services = await openServices({ config, logger, clock, mongoUri });
    cleanups.push(() => services.close());
    const { db, tenancy, keys, vault } = services;
    const secret = await loadPlatformSecret({
      dataDir: config.BYOK_DATA_DIR,
      fromEnv: config.BYOK_LINK_SECRET,
    });

    // The embedded default's demo workspace and first admin.
    let firstAdmin: FirstAdmin | null = null;
    if (options.embedded === true) {
      const seeded = await seedDemo({
        collections: tenancy.collections,
        accounts: tenancy.accounts,
        clock,
        adminEmail: config.BYOK_ADMIN_EMAIL,
        adminPassword: config.BYOK_ADMIN_PASSWORD,
      });
      if (seeded.adminCreated) {
        firstAdmin = { email: seeded.adminEmail, generatedPassword: seeded.generatedPassword };
      }
    }
    let demoCustomer: DemoCustomer | null = null;
    if (options.embedded === true && config.BYOK_LOCAL_AWS) {
      const workspace = await tenancy.directory.getWorkspace(demoIds.workspace);
      demoCustomer = await ensureDemoCustomer({
        serviceRoleArn: config.BYOK_SERVICE_ROLE_ARN,
        externalId: workspace.externalId,
        region: localAwsRegion,
      });
    }

    // Sealing.
    const maxAgeMs = config.BYOK_DEK_CACHE_MAX_AGE_SECONDS * 1000;
    const cache = new DekCache({
      maxEntries: config.BYOK_DEK_CACHE_MAX_ENTRIES,
      maxAgeMs,
      clock,
      sweepEveryMs: Math.min(maxAgeMs, 60_000),
    });
    cleanups.push(() => {
      cache.close();
    });
    const sealer = new EnvelopeSealer({ vault, resolver: keys.resolver, cache, clock, logger });
    await keys.start();
    cleanups.push(() => keys.stop());

    // Bots, channels and the authorization link flow.
    const port = config.PORT === 0 ? await freePort() : config.PORT;
    const url = `http://${config.HOST}:${port}`;
    const publicUrl = (config.BYOK_PUBLIC_URL ?? url).replace(/\/$/, '');
    const counter = new SealingFailureCounter();
    const onKeyFailure = (tenantId: string, keyConfigId: string | null, error: unknown) =>
      keys.reportKeyFailure(tenantId, keyConfigId, error);
    const service = new BasicAuthService({
      db,
      sealer,
      secret,
      publicUrl,
      ttlSeconds: config.BYOK_LINK_TTL_SECONDS,
      clock,
      logger,
      onKeyFailure,
      keyResolver: keys.resolver,
      counter,
    });
    await service.ensureIndexes();
    await ensureSealingPluginIndexes(db);
    const bots = new BotRegistry({
      db,
      directory: tenancy.directory,
      sealer,
      service,
      keyResolver: keys.resolver,
      onKeyFailure,
      counter,
      ttlSeconds: config.BYOK_LINK_TTL_SECONDS,
      clock,
      logger,
    });
    const adapter = createBotAdapter({ config, logger });
    const resolveBot = (botId: string) => bots.resolve(botId);
    const channel = await DirectLineChannel.create({
      db,
      sealer,
      adapter,
      resolveBot,
      signingKey: subKey(secret, 'directline-tokens'),
      selfUrl: () => url,
      logger,
      clock,
    });
    const analytics = new ChatAnalytics({
      db,
      sealer,
      directory: tenancy.directory,
      keyConfigs: keys.configs,
      clock,
      logger,
      onKeyFailure,
    });
    const resume: ResumeConversation = (reference, result) =>
      bots.resume(adapter, reference, result);
    const sweeper = new LinkExpirySweeper({ service, resume });
    sweeper.start();
    cleanups.push(() => sweeper.stop());

    // HTTP.
    const app = createHttpApp({
      logger,
      ready: async () => {
        await db.command({ ping: 1 });
      },
      mounts: [
        {
          path: '/api/admin',
          router: createAdminRouter({
            tenancy,
            keys,
            clock,
            serviceRoleArn: config.BYOK_SERVICE_ROLE_ARN,
            analytics,
          }),
        },
        { path: '/api', router: createBotRouter({ adapter, resolveBot }) },
        { path: directLinePath, router: createDirectLineRouter({ channel }) },
        { path: '/auth', router: createAuthLinkRouter({ service, resume, logger }) },
        {
          path: '/console',
          router: createConsoleRouter({
            tenancy,
            keys,
            clock,
            serviceRoleArn: config.BYOK_SERVICE_ROLE_ARN,
            logger,
            analytics,
          }),
        },
        { path: '/', router: createChatRouter({ listBots: () => bots.list() }) },
      ],
    });
    const server = await listen(app, config.HOST, port);
    cleanups.push(() => closeServer(server));
    logger.info({ url, publicUrl }, 'host listening');

    return {
      url,
      firstAdmin,
      embeddedDatabase,
      embeddedDatabaseUri: embeddedDatabase === null ? null : (mongoUri ?? null),
      demoCustomer,
      close: cleanup,
    };
  } catch (error) {
    await cleanup();
    throw error;
  }
}

/** A key for one purpose derived from the platform secret, so no two uses share a key. */
function subKey(secret: Buffer, purpose: string): Buffer {
  return Buffer.from(hkdfSync('sha256', secret, Buffer.alloc(0), `byok-harness ${purpose}`, 32));
}

async function listen(
  app: ReturnType<typeof createHttpApp>,
  host: string,
  port: number,
): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = app.listen(port, host, (error?: Error) => {
      if (error) reject(error);
      else resolve(server);
    });
    // Slow clients must not hold sockets forever; Web Chat polls, it does not hold requests.
    server.requestTimeout = 30_000;
    server.headersTimeout = 10_000;
  });
}

/** Stops accepting connections, gives open requests a moment, then closes what is left. */
async function closeServer(server: Server): Promise<void> {
  const closed = new Promise<void>((resolve) => {
    server.close(() => {
      resolve();
    });
  });
  server.closeIdleConnections();
  const timer = setTimeout(() => {
    server.closeAllConnections();
  }, 5_000);
  await closed;
  clearTimeout(timer);
}
