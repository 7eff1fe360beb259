/**
 * The host's Direct Line compatible channel: the conversations the browser chat talks over.
 * A client gets a token for one bot's new conversation, starts it, posts activities and polls
 * for new ones with a watermark. User activities are stored and handed to the bot through the
 * adapter; the bot's replies come back through the internal connector endpoint (the Bot
 * Connector REST calls of the SDK) and are stored too. Everything lives sealed in MongoDB, so
 * any host process on the database serves any conversation.
 */
import { randomBytes } from 'node:crypto';

import { ConnectorClient } from 'botframework-connector';
import type { Db } from 'mongodb';

import { type Clock, systemClock } from '../../base/clock.js';
import { ByokError, ErrorCode } from '../../base/errors.js';
import type { Logger } from '../../base/log.js';
import type { Sealer } from '../../sealing/types.js';
import { asActivity, type HostAdapter, type ResolveBot, type ResolvedBot } from '../adapter.js';
import type { HostChannel } from './host-channel.js';
import type { BotActivityInput, UserActivityInput } from './schemas.js';
import { type ConversationDoc, Direction, DirectLineStore, type StoredActivity } from './store.js';
import { type ClientGrant, clientTokenTtlSeconds, TokenSigner } from './tokens.js';

/** Where the lead mounts the Direct Line router; the connector endpoint lives under it. */
export const directLinePath = '/v3/directline';
/** Path of the internal Bot Connector endpoint (the bot's `serviceUrl`). */
export const connectorPath = `${directLinePath}/connector`;

const channelId = 'directline';

/** Options of {@link DirectLineChannel.create}. */
export interface DirectLineOptions {
  db: Db;
  sealer: Sealer;
  adapter: HostAdapter;
  resolveBot: ResolveBot;
  /** At least 32 random bytes, the same in every host process on the database. */
  signingKey: Buffer;
  /** This process's own base URL (`http://127.0.0.1:3978`), known once it listens. */
  selfUrl: () => string;
  logger: Logger;
  clock?: Clock;
}

/** What `POST /conversations` and friends answer, in Direct Line's own field names. */
export interface ConversationGrant {
  conversationId: string;
  token: string;
  expires_in: number;
  /** The user id the token binds; activities posted with it are sent as this user. */
  userId: string;
}

/** A page of activities for a client, with the watermark to ask from next. */
export interface ActivitySet {
  activities: Record<string, unknown>[];
  watermark: string;
}

/** The Direct Line channel of one host process. */
export class DirectLineChannel implements HostChannel {
  private constructor(
    private readonly store: DirectLineStore,
    private readonly tokens: TokenSigner,
    private readonly options: DirectLineOptions,
    private readonly clock: Clock,
  ) {}

  /** Opens the channel on `db`, creates its indexes and registers it with the adapter. */
  static async create(options: DirectLineOptions): Promise<DirectLineChannel> {
    const clock = options.clock ?? systemClock;
    const store = new DirectLineStore(options.db, options.sealer, clock);
    await store.ensureIndexes();

    const channel = new DirectLineChannel(
      store,
      new TokenSigner(options.signingKey, clock),
      options,
      clock,
    );
    options.adapter.registerHostChannel(channel);
    return channel;
  }

  /** Creates a conversation with `botId` for a new user; `NOT_FOUND` for an unknown bot. */
  async createConversation(botId: string): Promise<ConversationGrant> {
    const target = await this.resolve(botId);
    const conversationId = randomBytes(18).toString('base64url');
    const userId = `u_${randomBytes(12).toString('base64url')}`;

    await this.store.createConversation(conversationId, target, userId);
    return this.grant({ conversationId, botId: target.botId, userId });
  }

  /**
   * Starts the token's conversation: the first call, from whichever process, tells the bot
   * that the user joined (its welcome); later calls only answer with the conversation.
   */
  async startConversation(token: string): Promise<ConversationGrant> {
    const grant = this.tokens.verifyClientToken(token);
    const conversation = await this.conversationOf(grant);

    if (await this.store.markStarted(conversation._id)) {
      const target = await this.resolve(conversation.botId);
      const update = {
        ...this.envelope(conversation),
        type: 'conversationUpdate',
        id: activityIdOf(conversation._id, 0),
        membersAdded: [
          { id: conversation.botId, name: 'bot', role: 'bot' },
          { id: conversation.userId, name: 'user', role: 'user' },
        ],
      };
      await this.options.adapter.processHostActivity(asActivity(update), target);
    }
    return { ...this.grant(grant), token };
  }

  /** The conversation of a valid token whose id is `conversationId` (reconnect). */
  async getConversation(token: string, conversationId: string): Promise<ConversationGrant> {
    const grant = this.grantFor(token, conversationId);
    await this.conversationOf(grant);
    return { ...this.grant(grant), token };
  }

  /** A fresh token for the same conversation, bot and user. */
  refreshToken(token: string): ConversationGrant {
    return this.grant(this.tokens.verifyClientToken(token));
  }

  /** Stores the user's activity, runs the bot's turn for it, and returns its id. */
  async postActivity(
    token: string,
    conversationId: string,
    input: UserActivityInput,
  ): Promise<{ id: string }> {
    const conversation = await this.conversationOf(this.grantFor(token, conversationId));
    const target = await this.resolve(conversation.botId);

    const { from, ...content } = input;
    const activity: Record<string, unknown> = {
      ...content,
      ...this.envelope(conversation),
      from: { id: conversation.userId, role: 'user', ...(from?.name ? { name: from.name } : {}) },
    };
    delete activity.serviceUrl;
    const stored = await this.store.append(conversation, Direction.FromUser, activity, (seq) =>
      activityIdOf(conversation._id, seq),
    );

    const turn = { ...activity, id: stored.activityId, serviceUrl: this.connectorUrl() };
    await this.options.adapter.processHostActivity(asActivity(turn), target);
    return { id: stored.activityId };
  }

  /** Activities after `watermark` for the token's conversation, oldest first. */
  async listActivities(
    token: string,
    conversationId: string,
    watermark: number,
  ): Promise<ActivitySet> {
    const conversation = await this.conversationOf(this.grantFor(token, conversationId));
    const page = await this.store.listAfter(conversation, watermark);
    return {
      activities: page.activities.map((entry) => this.forClient(conversation, entry)),
      watermark: String(page.watermark),
    };
  }

  /** Throws `UNAUTHENTICATED` or `FORBIDDEN` unless the bearer is a host connector token. */
  verifyConnectorToken(token: string): void {
    this.tokens.verifyConnectorToken(token);
  }

  /** Stores an activity the bot sent to a conversation (`replyToId`: the one it answers). */
  async receiveFromBot(
    conversationId: string,
    input: BotActivityInput,
    replyToId?: string,
  ): Promise<{ id: string }> {
    const conversation = await this.store.getConversation(conversationId);
    const activity = this.fromBot(conversation, input, replyToId);
    const stored = await this.store.append(conversation, Direction.FromBot, activity, (seq) =>
      activityIdOf(conversation._id, seq),
    );
    this.logUnsealable(stored);
    return { id: stored.activityId };
  }

  /** Delivers a new version of an activity the bot sent; clients replace it by id. */
  async updateFromBot(
    conversationId: string,
    activityId: string,
    input: BotActivityInput,
  ): Promise<{ id: string }> {
    const conversation = await this.store.getConversation(conversationId);
    if (!(await this.store.hasActivity(conversationId, activityId))) {
      throw new ByokError(ErrorCode.NotFound, 'the activity does not exist');
    }
    const activity = this.fromBot(conversation, input, undefined);
    const stored = await this.store.append(conversation, Direction.FromBot, activity, activityId);
    this.logUnsealable(stored);
    return { id: activityId };
  }

  /** Deletes an activity: clients that have not fetched it yet never see it. */
  async deleteFromBot(conversationId: string, activityId: string): Promise<void> {
    await this.store.getConversation(conversationId);
    if (!(await this.store.delete(conversationId, activityId))) {
      throw new ByokError(ErrorCode.NotFound, 'the activity does not exist');
    }
  }

  /** The connector endpoint of this process, the `serviceUrl` of every Direct Line turn. */
  connectorUrl(): string {
    return `${this.options.selfUrl().replace(/\/+$/, '')}${connectorPath}`;
  }

  /** Any host's connector endpoint counts: replies are delivered by whichever host sends them. */
  owns(serviceUrl: string): boolean {
    try {
      return new URL(serviceUrl).pathname.replace(/\/+$/, '') === connectorPath;
    } catch {
      return false;
    }
  }

  /** A connector client for this process's endpoint, signing each call with a host token. */
  createConnectorClient(): ConnectorClient {
    const tokens = this.tokens;
    const credentials: ConstructorParameters<typeof ConnectorClient>[0] = {
      signRequest(resource) {
        resource.headers.set('authorization', `Bearer ${tokens.issueConnectorToken()}`);
        return Promise.resolve(resource);
      },
    };
    return new ConnectorClient(credentials, { baseUri: this.connectorUrl() });
  }

  private grant(grant: ClientGrant): ConversationGrant {
    return {
      conversationId: grant.conversationId,
      token: this.tokens.issueClientToken(grant),
      expires_in: clientTokenTtlSeconds,
      userId: grant.userId,
    };
  }

  private grantFor(token: string, conversationId: string): ClientGrant {
    const grant = this.tokens.verifyClientToken(token);
    if (grant.conversationId !== conversationId) {
      throw new ByokError(ErrorCode.Forbidden, 'the token is for another conversation');
    }
    return grant;
  }

  private async conversationOf(grant: ClientGrant): Promise<ConversationDoc> {
    const conversation = await this.store.getConversation(grant.conversationId);
    if (conversation.botId !== grant.botId || conversation.userId !== grant.userId) {
      throw new ByokError(ErrorCode.Forbidden, 'the token is for another conversation');
    }
    return conversation;
  }

  private async resolve(botId: string): Promise<ResolvedBot> {
    const target = await this.options.resolveBot(botId);
    if (target === null) throw new ByokError(ErrorCode.NotFound, 'the bot does not exist');
    return target;
  }

  /** The fields the channel owns on every activity of a conversation. */
  private envelope(conversation: ConversationDoc): Record<string, unknown> {
    return {
      channelId,
      serviceUrl: this.connectorUrl(),
      conversation: { id: conversation._id },
      from: { id: conversation.userId, role: 'user' },
      recipient: { id: conversation.botId, role: 'bot' },
      timestamp: new Date(this.clock.now()).toISOString(),
    };
  }

  private fromBot(
    conversation: ConversationDoc,
    input: BotActivityInput,
    replyToId: string | undefined,
  ): Record<string, unknown> {
    const activity: Record<string, unknown> = {
      ...input,
      channelId,
      conversation: { id: conversation._id },
      from: { ...input.from, id: conversation.botId, role: 'bot' },
      recipient: { id: conversation.userId, role: 'user' },
      timestamp: new Date(this.clock.now()).toISOString(),
      ...(replyToId === undefined ? {} : { replyToId }),
    };
    delete activity.id;
    delete activity.serviceUrl;
    return activity;
  }

  /** A stored activity as clients see it; one that cannot be shown becomes a notice. */
  private forClient(conversation: ConversationDoc, entry: StoredActivity): Record<string, unknown> {
    if (entry.activity !== null) return entry.activity;

    const fromBot = entry.direction === Direction.FromBot;
    return {
      type: 'message',
      id: entry.activityId,
      channelId,
      conversation: { id: conversation._id },
      from: fromBot
        ? { id: conversation.botId, role: 'bot' }
        : { id: conversation.userId, role: 'user' },
      timestamp: entry.createdAt.toISOString(),
      text: `This message cannot be shown: it could not be stored or opened securely (${entry.unreadable ?? ErrorCode.Internal}).`,
    };
  }

  private logUnsealable(stored: StoredActivity): void {
    if (stored.unreadable === undefined) return;
    this.options.logger.warn(
      { component: 'directline', code: stored.unreadable },
      'a bot activity could not be sealed and was not stored',
    );
  }
}

function activityIdOf(conversationId: string, seq: number): string {
  return `${conversationId}|${String(seq).padStart(7, '0')}`;
}
