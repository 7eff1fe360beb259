/**
 * A host running the validation bot the way `byok serve` does: the adapter, the Direct Line
 * channel and chat page, the messaging endpoint, the authorization link page, and one
 * validation bot per registered bot, all on the real envelope sealer under the local default
 * key. Hosts started with the same database, keys and secrets behave as one deployment.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

import type { Db } from 'mongodb';

import { createBotAdapter, type ResolvedBot } from '../../../src/bot/adapter.js';
import { DirectLineChannel, directLinePath } from '../../../src/bot/directline/index.js';
import {
  BasicAuthService,
  createValidationBot,
  ensureSealingPluginIndexes,
  type ResumeConversation,
  type ValidationBot,
} from '../../../src/bot/index.js';
import { createHttpApp } from '../../../src/http/app.js';
import { createAuthLinkRouter } from '../../../src/http/auth-link/index.js';
import { createChatRouter } from '../../../src/http/bot/chat-router.js';
import { createDirectLineRouter } from '../../../src/http/bot/directline-router.js';
import { createBotRouter } from '../../../src/http/bot/messages-router.js';
import { platformSealer, testLogger as logger } from './fixtures.js';

/** A registered bot: its owner and the name the chat page and the welcome show. */
export interface RegisteredBot {
  tenantId: string;
  appId: string;
  botId: string;
  name: string;
}

/** What one host process is started with; the same for every host of a deployment. */
export interface ValidationHostOptions {
  db: Db;
  bots: readonly RegisteredBot[];
  /** The platform default key (32 bytes). */
  masterKey: Buffer;
  /** The platform secret: signs authorization links and Direct Line tokens. */
  secret: Buffer;
  /** Port to listen on; 0 (default) picks a free one. */
  port?: number;
}

/** A running validation host. */
export interface ValidationHost {
  url: string;
  close(): Promise<void>;
}

/** Starts a validation host on 127.0.0.1. */
export async function startValidationHost(options: ValidationHostOptions): Promise<ValidationHost> {
  const { db } = options;
  // Listen first: links and the channel's connector URL name this host's address.
  const server: Server = createServer();
  await new Promise<void>((resolve) => {
    server.listen(options.port ?? 0, '127.0.0.1', resolve);
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const sealer = await platformSealer(db, options.masterKey);
  await ensureSealingPluginIndexes(db);
  const service = new BasicAuthService({
    db,
    sealer,
    secret: options.secret,
    publicUrl: url,
    logger: logger,
  });
  await service.ensureIndexes();

  const adapter = createBotAdapter({ config: {}, logger: logger });
  const bots = new Map<string, ValidationBot>();
  for (const registered of options.bots) {
    const { name, ...owner } = registered;
    const bot = createValidationBot({ owner, displayName: name, db, sealer, service, logger });
    bots.set(owner.botId, bot);
  }
  const resolveBot = (botId: string): Promise<ResolvedBot | null> => {
    const bot = bots.get(botId);
    return Promise.resolve(bot === undefined ? null : { ...bot.owner, bot });
  };
  const resume: ResumeConversation = async (reference, result) => {
    const bot = bots.get(result.owner.botId);
    if (bot === undefined) return;
    await adapter.continueConversationFor(bot.owner, reference, (context) =>
      bot.resume(context, result),
    );
  };

  const channel = await DirectLineChannel.create({
    db,
    sealer,
    adapter,
    resolveBot,
    signingKey: options.secret,
    selfUrl: () => url,
    logger: logger,
  });
  const listBots = () =>
    Promise.resolve(options.bots.map((b) => ({ botId: b.botId, name: b.name })));
  const app = createHttpApp({
    logger: logger,
    mounts: [
      { path: '/api', router: createBotRouter({ adapter, resolveBot }) },
      { path: directLinePath, router: createDirectLineRouter({ channel }) },
      { path: '/auth', router: createAuthLinkRouter({ service, resume, logger: logger }) },
      { path: '/', router: createChatRouter({ listBots }) },
    ],
  });
  server.on('request', app);

  return {
    url,
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
