/**
 * The validation bot: one per bot of an app of a workspace. It welcomes the user with the
 * Basic Auth validation, runs BasicAuthValidationDialog, and continues the conversation when
 * the host resumes it for a link. Its transcript and its conversation state (dialog state
 * included) go through the sealing plugin, exactly as any other bot adopting it would.
 *
 * The host routes each incoming activity to `bot.run(context)` and each link result to
 * `bot.resume(context, result)` inside `adapter.continueConversationAsync`.
 */
import { ActivityHandler, ConversationState, type TurnContext } from 'botbuilder';
import { DialogSet, type DialogState } from 'botbuilder-dialogs';
import type { Db } from 'mongodb';

import type { Clock } from '../base/clock.js';
import type { Logger } from '../base/log.js';
import type { KeyResolver, Sealer } from '../sealing/types.js';
import type { LinkResult } from './auth-links/resume.js';
import type { BasicAuthService } from './auth-links/service.js';
import {
  BasicAuthValidationDialog,
  basicAuthValidationDialogId,
  reportLinkResult,
  resumedResultOf,
  setResumedResult,
} from './dialogs/basic-auth-validation.js';
import { helpText, isTrigger, welcomeMessage } from './messages.js';
import {
  createSealingPlugin,
  type OnKeyFailure,
  runSealed,
  type SealingFailureCounter,
  type SealingPlugin,
} from './plugin/index.js';
import type { BotOwner } from './plugin/owner.js';

/** What {@link createValidationBot} needs for one bot. */
export interface ValidationBotOptions {
  /** The workspace, app and bot this bot is. */
  owner: BotOwner;
  /** Shown in the welcome; defaults to the bot id. */
  displayName?: string;
  db: Db;
  sealer: Sealer;
  /** The process's Basic Auth service (links, profiles, throttle). */
  service: BasicAuthService;
  /** Link lifetime shown on the card (BYOK_LINK_TTL_SECONDS); default 600. */
  ttlSeconds?: number;
  logger?: Logger;
  /** Key health's failure reporter. */
  onKeyFailure?: OnKeyFailure;
  /** Names the key configuration of failures whose error does not. */
  keyResolver?: KeyResolver;
  /** Process-wide failure counter. */
  counter?: SealingFailureCounter;
  clock?: Clock;
}

/** A bot the host can run turns on and resume for link results. */
export interface HostedBot {
  readonly owner: BotOwner;
  /** The sealing plugin this bot stores its data through. */
  readonly plugin: SealingPlugin;
  /** Handles one incoming activity. */
  run(context: TurnContext): Promise<void>;
  /** Continues the conversation for a link result (inside `continueConversationAsync`). */
  resume(context: TurnContext, result: LinkResult): Promise<void>;
}

/** The validation bot; see the module comment. */
export class ValidationBot extends ActivityHandler implements HostedBot {
  readonly owner: BotOwner;
  readonly plugin: SealingPlugin;
  private readonly conversationState: ConversationState;
  private readonly dialogs: DialogSet;

  constructor(private readonly options: ValidationBotOptions) {
    super();
    this.owner = options.owner;
    this.plugin = createSealingPlugin({
      db: options.db,
      sealer: options.sealer,
      owner: options.owner,
      ...(options.logger === undefined ? {} : { logger: options.logger }),
      ...(options.onKeyFailure === undefined ? {} : { onKeyFailure: options.onKeyFailure }),
      ...(options.counter === undefined ? {} : { counter: options.counter }),
      ...(options.keyResolver === undefined ? {} : { keyResolver: options.keyResolver }),
      ...(options.clock === undefined ? {} : { clock: options.clock }),
    });
    this.conversationState = new ConversationState(this.plugin.storage);
    this.dialogs = new DialogSet(this.conversationState.createProperty<DialogState>('dialogState'));
    this.dialogs.add(
      new BasicAuthValidationDialog({
        owner: options.owner,
        service: options.service,
        ttlSeconds: options.ttlSeconds ?? 600,
      }),
    );

    this.onMembersAdded(async (context, next) => {
      const botId = context.activity.recipient.id;
      const joined = context.activity.membersAdded ?? [];
      if (joined.some((member) => member.id !== botId)) {
        await context.sendActivity(welcomeMessage(options.displayName ?? options.owner.botId));
      }
      await next();
    });

    this.onMessage(async (context, next) => {
      await this.onText(context);
      await next();
    });

    this.onEvent(async (context, next) => {
      await this.onResumed(context);
      await next();
    });
  }

  /** Runs the turn behind the sealing plugin and saves the sealed state before it ends. */
  override async run(context: TurnContext): Promise<void> {
    await runSealed(this.plugin, context, async () => {
      await super.run(context);
      await this.conversationState.saveChanges(context, false);
    });
  }

  /** Continues the conversation for a link result. */
  async resume(context: TurnContext, result: LinkResult): Promise<void> {
    setResumedResult(context, result);
    await this.run(context);
  }

  private async onText(context: TurnContext): Promise<void> {
    const dc = await this.dialogs.createContext(context);
    if (isTrigger(context.activity.text)) {
      await dc.cancelAllDialogs();
      await dc.beginDialog(basicAuthValidationDialogId);
      return;
    }
    if (dc.activeDialog !== undefined) {
      await dc.continueDialog();
      return;
    }
    await context.sendActivity(helpText);
  }

  private async onResumed(context: TurnContext): Promise<void> {
    const result = resumedResultOf(context);
    if (result === undefined) return;

    const dc = await this.dialogs.createContext(context);
    if (dc.activeDialog?.id === basicAuthValidationDialogId) {
      await dc.continueDialog();
      return;
    }
    await reportLinkResult(context, this.options.service, this.owner, result);
  }
}

/** Creates the validation bot of one workspace, app and bot. */
export function createValidationBot(options: ValidationBotOptions): ValidationBot {
  return new ValidationBot(options);
}
