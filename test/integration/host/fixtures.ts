/**
 * A bot host assembled from the same pieces `byok serve` uses (adapter, Direct Line channel,
 * messaging and chat routers, the HTTP shell), listening on 127.0.0.1, plus a small echo bot
 * whose turns go through the sealing plugin, so every test turn writes sealed records.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';

import { ActivityHandler } from 'botbuilder';
import type { Db } from 'mongodb';

import type { KeyProvider } from '../../../src/aws/key-provider.js';
import { LocalKeyProvider } from '../../../src/aws/local-key.js';
import { createLogger, type Logger, silentLogger } from '../../../src/base/log.js';
import { createBotAdapter, type HostAdapter, type ResolvedBot } from '../../../src/bot/adapter.js';
import { DirectLineChannel, directLinePath } from '../../../src/bot/directline/channel.js';
import { createSealingPlugin, runSealed } from '../../../src/bot/plugin/index.js';
import { createHttpApp } from '../../../src/http/app.js';
import { createChatRouter } from '../../../src/http/bot/chat-router.js';
import { createDirectLineRouter } from '../../../src/http/bot/directline-router.js';
import { createBotRouter } from '../../../src/http/bot/messages-router.js';
import { DefaultKeyResolver, EnvelopeSealer, type Sealer } from '../../../src/sealing/index.js';
import { MongoKeyVault } from '../../../src/store/key-vault.js';

/** The welcome the echo bot sends to each member that joins. */
export const welcomeText = 'Welcome! Say something and I will say it back.';

/**
 * The platform's envelope sealer under a local default key, with its key vault in `db`. Each
 * call makes a separate sealer (its own data-key cache), as each host process has; hosts of
 * one deployment pass the same master key.
 */
export async function platformSealer(db: Db, key: Buffer | KeyProvider): Promise<Sealer> {
  const vault = new MongoKeyVault(db);
  await vault.ensureIndexes();
  const provider = Buffer.isBuffer(key) ? new LocalKeyProvider(key) : key;
  return new EnvelopeSealer({ vault, resolver: new DefaultKeyResolver(provider) });
}

/** A bot that welcomes new members and echoes messages, with sealed transcripts. */
export function echoBot(db: Db, sealer: Sealer, owner: Omit<ResolvedBot, 'bot'>): ResolvedBot {
  const plugin = createSealingPlugin({ db, sealer, owner });
  const handler = new ActivityHandler();
  handler.onMembersAdded(async (context, next) => {
    for (const member of context.activity.membersAdded ?? []) {
      if (member.id !== context.activity.recipient.id) await context.sendActivity(welcomeText);
    }
    await next();
  });
  handler.onMessage(async (context, next) => {
    await context.sendActivity(`You said: ${context.activity.text}`);
    await next();
  });
  return {
    ...owner,
    bot: { run: (context) => runSealed(plugin, context, () => handler.run(context)) },
  };
}

/** How many documents the database holds, over all collections. */
export async function countDocuments(db: Db): Promise<number> {
  const collections = await db.listCollections({}, { nameOnly: true }).toArray();
  const counts = await Promise.all(
    collections.map((c) => db.collection(c.name).countDocuments({})),
  );
  return counts.reduce((sum, n) => sum + n, 0);
}

/** Silent unless TEST_LOG_LEVEL is set (to read a failing test's server side). */
const testLogger: Logger =
  process.env.TEST_LOG_LEVEL === undefined
    ? silentLogger
    : createLogger(process.env.TEST_LOG_LEVEL);

/** A running test host. */
export interface TestHost {
  url: string;
  adapter: HostAdapter;
  channel: DirectLineChannel;
  close(): Promise<void>;
}

/** Options of {@link startTestHost}. */
export interface TestHostOptions {
  db: Db;
  sealer: Sealer;
  bots: readonly ResolvedBot[];
  /** Shared by every host of one test, as by every process of one deployment. */
  signingKey: Buffer;
}

/** Starts a host with the messaging endpoint and the Direct Line channel on a free port. */
export async function startTestHost(options: TestHostOptions): Promise<TestHost> {
  const resolveBot = (botId: string) =>
    Promise.resolve(options.bots.find((b) => b.botId === botId) ?? null);
  const adapter = createBotAdapter({ config: {}, logger: testLogger });
  let url = '';
  const channel = await DirectLineChannel.create({
    db: options.db,
    sealer: options.sealer,
    adapter,
    resolveBot,
    signingKey: options.signingKey,
    selfUrl: () => url,
    logger: testLogger,
  });
  const app = createHttpApp({
    logger: testLogger,
    mounts: [
      { path: '/api', router: createBotRouter({ adapter, resolveBot }) },
      { path: directLinePath, router: createDirectLineRouter({ channel }) },
      {
        path: '/',
        router: createChatRouter({
          listBots: () =>
            Promise.resolve(options.bots.map((b) => ({ botId: b.botId, name: b.botId }))),
        }),
      },
    ],
  });

  const server: Server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => {
      resolve(s);
    });
  });
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    adapter,
    channel,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => {
          if (error) reject(error);
          else resolve();
        });
      }),
  };
}
