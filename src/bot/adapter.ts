/**
 * The host's Bot Framework adapter: the SDK's CloudAdapter with channel authentication taken
 * from the configuration. With no app id, authentication is off and the adapter serves local
 * channels (the built-in Direct Line, a connector on 127.0.0.1); with an app id and password,
 * every request to `/api/messages` must carry a valid Bot Framework token.
 *
 * Every turn runs on behalf of one bot of one app of one workspace: the caller resolves the bot
 * first and the adapter runs that bot's own handler, which knows its owner and its keys.
 */
import {
  type Activity,
  CloudAdapter,
  ConfigurationBotFrameworkAuthentication,
  type InvokeResponse,
  type TurnContext,
} from 'botbuilder';
import {
  type AuthenticateRequestResult,
  AuthenticationConstants,
  AuthenticationError,
} from 'botframework-connector';

import type { Config } from '../base/config.js';
import { ByokError, ErrorCode, isByokError } from '../base/errors.js';
import type { Logger } from '../base/log.js';
import type { DataOwner } from '../sealing/types.js';
import { HostAwareAuthentication, type HostChannel } from './directline/host-channel.js';

export type { HostChannel } from './directline/host-channel.js';

/** What runs a bot's turn: an `ActivityHandler` or anything with the same `run`. */
export interface BotTurnHandler {
  run(context: TurnContext): Promise<void>;
}

/** A bot found in the registry, with the workspace and app it belongs to. */
export interface ResolvedBot extends Required<DataOwner> {
  bot: BotTurnHandler;
}

/** Finds a bot by id; null when there is no such bot. */
export type ResolveBot = (botId: string) => Promise<ResolvedBot | null>;

/** The Bot Framework settings of the configuration. */
export type BotAuthConfig = Pick<
  Config,
  'MicrosoftAppId' | 'MicrosoftAppPassword' | 'MicrosoftAppType' | 'MicrosoftAppTenantId'
>;

/** Options of {@link createBotAdapter}. */
export interface BotAdapterOptions {
  config: BotAuthConfig;
  logger: Logger;
}

/** The adapter of the host; create it with {@link createBotAdapter}. */
export class HostAdapter extends CloudAdapter {
  readonly #auth: HostAwareAuthentication;

  constructor(
    auth: HostAwareAuthentication,
    /** The bot's Microsoft app id; empty when channel authentication is off. */
    readonly appId: string,
  ) {
    super(auth);
    this.#auth = auth;
  }

  /** Lets a host channel (the built-in Direct Line) receive the bot's replies. */
  registerHostChannel(channel: HostChannel): void {
    this.#auth.register(channel);
  }

  /**
   * Runs a turn for an activity that arrived over HTTP from a channel, after checking the
   * channel's token (when authentication is on). A bad token is `UNAUTHENTICATED`.
   */
  async processChannelActivity(
    authHeader: string,
    activity: Activity,
    target: ResolvedBot,
  ): Promise<InvokeResponse | undefined> {
    let authenticated: AuthenticateRequestResult;
    try {
      authenticated = await this.#auth.authenticateRequest(activity, authHeader);
    } catch (error) {
      if (!(error instanceof AuthenticationError)) throw error;
      throw new ByokError(ErrorCode.Unauthenticated, 'the channel token was not accepted');
    }
    return this.processActivity(authenticated, activity, (context) => target.bot.run(context));
  }

  /**
   * Runs a turn for an activity of one of the host's own channels. The channel has already
   * authenticated its client; replies go to the channel's internal connector endpoint.
   */
  async processHostActivity(activity: Activity, target: ResolvedBot): Promise<void> {
    const claimsIdentity = this.createClaimsIdentity(this.appId);
    const authenticated: AuthenticateRequestResult = {
      // Host channels sign their own calls; the audience only matters to other connectors.
      audience: AuthenticationConstants.ToChannelFromBotOAuthScope,
      claimsIdentity,
      connectorFactory: this.#auth.createConnectorFactory(claimsIdentity),
    };
    await this.processActivity(authenticated, activity, (context) => target.bot.run(context));
  }
}

/**
 * Builds the adapter from the configuration. Turn errors are logged by code only (never the
 * activity or the error message, which may quote user input) and the user is told that
 * something went wrong.
 */
export function createBotAdapter(options: BotAdapterOptions): HostAdapter {
  const { config } = options;
  const logger = options.logger.child({ component: 'bot-adapter' });
  // Only the settings that are set: the SDK's options hold strings, never undefined.
  const settings = Object.fromEntries(
    Object.entries({
      MicrosoftAppId: config.MicrosoftAppId,
      MicrosoftAppPassword: config.MicrosoftAppPassword,
      MicrosoftAppType: config.MicrosoftAppType,
      MicrosoftAppTenantId: config.MicrosoftAppTenantId,
    }).filter((entry): entry is [string, string] => entry[1] !== undefined),
  );
  const auth = new HostAwareAuthentication(new ConfigurationBotFrameworkAuthentication(settings));
  const adapter = new HostAdapter(auth, config.MicrosoftAppId ?? '');

  adapter.onTurnError = async (context, error) => {
    const code = isByokError(error) ? error.code : ErrorCode.Internal;
    logger.error(
      { code, errorName: errorName(error), activityType: context.activity.type },
      'bot turn failed',
    );
    try {
      await context.sendActivity(
        `Sorry, something went wrong on our side (${code}). Please try again.`,
      );
    } catch (sendError) {
      logger.warn({ code: errorCode(sendError) }, 'could not tell the user about a failed turn');
    }
  };
  return adapter;
}

/**
 * An activity parsed from JSON, with its times turned into `Date`s the way the SDK's own HTTP
 * path does (keeping the sender's original strings in the `raw*` fields).
 */
export function asActivity(json: Record<string, unknown>): Activity {
  const activity: Record<string, unknown> = { ...json };
  for (const [field, raw] of dateFields) {
    const value = activity[field];
    if (typeof value !== 'string') continue;
    activity[raw] = value;
    activity[field] = new Date(value);
  }
  return activity as unknown as Activity;
}

const dateFields = [
  ['timestamp', 'rawTimestamp'],
  ['localTimestamp', 'rawLocalTimestamp'],
  ['expiration', 'rawExpiration'],
] as const;

function errorCode(error: unknown): string {
  return isByokError(error) ? error.code : ErrorCode.Internal;
}

function errorName(error: unknown): string {
  return error instanceof Error ? error.name : typeof error;
}
