/**
 * The host's bot registry: finds a bot by id in the tenancy directory and keeps one validation
 * bot per bot id, so every turn and every resumed conversation of that bot share one instance.
 */
import type { ConversationReference } from 'botbuilder';
import type { Db } from 'mongodb';

import type { Clock } from '../base/clock.js';
import { ByokError, ErrorCode } from '../base/errors.js';
import type { Logger } from '../base/log.js';
import type { HostAdapter, ResolvedBot } from '../bot/adapter.js';
import type { LinkResult } from '../bot/auth-links/resume.js';
import type { BasicAuthService } from '../bot/auth-links/service.js';
import type { OnKeyFailure, SealingFailureCounter } from '../bot/plugin/index.js';
import { createValidationBot, type ValidationBot } from '../bot/validation-bot.js';
import type { ChatBot } from '../http/bot/chat-router.js';
import type { KeyResolver, Sealer } from '../sealing/types.js';
import type { TenancyDirectory } from '../tenancy/directory.js';

/** What the registry needs to build a bot. */
export interface BotRegistryDeps {
  db: Db;
  directory: TenancyDirectory;
  sealer: Sealer;
  service: BasicAuthService;
  keyResolver: KeyResolver;
  onKeyFailure: OnKeyFailure;
  counter: SealingFailureCounter;
  ttlSeconds: number;
  clock: Clock;
  logger: Logger;
}

/** Bots of every workspace on this host, built on first use. */
export class BotRegistry {
  readonly #bots = new Map<string, ValidationBot>();

  constructor(private readonly deps: BotRegistryDeps) {}

  /** The bot with this id and its owner; null for an unknown bot. */
  async resolve(botId: string): Promise<ResolvedBot | null> {
    const cached = this.#bots.get(botId);
    if (cached !== undefined) return { ...cached.owner, bot: cached };

    const found = await this.deps.directory.findBot(botId);
    if (found === null) return null;

    const bot = createValidationBot({
      owner: { tenantId: found.workspaceId, appId: found.appId, botId: found.id },
      displayName: found.name,
      db: this.deps.db,
      sealer: this.deps.sealer,
      service: this.deps.service,
      ttlSeconds: this.deps.ttlSeconds,
      logger: this.deps.logger,
      onKeyFailure: this.deps.onKeyFailure,
      keyResolver: this.deps.keyResolver,
      counter: this.deps.counter,
      clock: this.deps.clock,
    });
    this.#bots.set(botId, bot);
    return { ...bot.owner, bot };
  }

  /**
   * Continues a conversation after its authorization link was completed or expired, possibly
   * in another process than the one that showed the link.
   */
  async resume(
    adapter: HostAdapter,
    reference: Partial<ConversationReference>,
    result: LinkResult,
  ): Promise<void> {
    await this.resolve(result.owner.botId);
    const bot = this.#bots.get(result.owner.botId);
    if (bot === undefined) {
      throw new ByokError(ErrorCode.NotFound, 'the bot of this link no longer exists');
    }
    await adapter.continueConversationAsync(adapter.appId, reference, (context) =>
      bot.resume(context, result),
    );
  }

  /** Every bot of every workspace, for the chat page's bot picker. */
  async list(): Promise<ChatBot[]> {
    const { directory } = this.deps;
    const bots: ChatBot[] = [];
    for (const workspace of await directory.listWorkspaces()) {
      for (const app of await directory.listAppsWithBots(workspace.id)) {
        for (const bot of app.bots) {
          bots.push({
            botId: bot.id,
            name: bot.name,
            appName: app.name,
            workspaceName: workspace.name,
          });
        }
      }
    }
    return bots;
  }
}
