/**
 * Analytics of recent chats: the first check an admin runs after a key's enforcement date, to
 * see which key protects the workspace's conversations and that they still open under it.
 *
 * Every query names the workspace, and every record read is filtered by it: an admin's
 * workspace is the only one whose conversations can appear, by listing or by key.
 */
import type { Collection, Db } from 'mongodb';
import { z } from 'zod';

import { type Clock, systemClock } from '../base/clock.js';
import { ByokError, ErrorCode } from '../base/errors.js';
import { type Logger, silentLogger } from '../base/log.js';
import type { OnKeyFailure } from '../bot/plugin/failures.js';
import {
  type ConversationDocument,
  transcriptCollections,
  type TranscriptDocument,
} from '../bot/plugin/transcript-store.js';
import type { Sealer } from '../sealing/types.js';
import { idSchema, parseInput } from '../tenancy/validation.js';
import { enforcementTotals, type KeyConfigList } from './enforcement.js';
import { checkReadable, type OpeningDeps, openMessages } from './opening.js';
import {
  clearFields,
  type ClearRecord,
  KeyTally,
  type Names,
  tallyConversations,
} from './tally.js';
import type { ConversationView, RecentChats } from './types.js';

/** A conversation key: the 64 hex digits the transcript store names a conversation by. */
export const conversationKeySchema = z.string().regex(/^[0-9a-f]{64}$/, 'a conversation key');

/** Input of {@link ChatAnalytics.recentChats}. */
export const recentChatsInput = z
  .object({
    workspaceId: idSchema,
    /** Start of the window; default 30 days before now. */
    since: z.date().optional(),
    /** Conversations to list, most recent first; default 20. */
    limit: z.number().int().min(1).max(100).optional(),
    /** How many of the most recent conversations to open for the readability check; default 5. */
    check: z.number().int().min(0).max(20).optional(),
  })
  .strict();
/** Input of {@link ChatAnalytics.recentChats}. */
export type RecentChatsInput = z.input<typeof recentChatsInput>;

/** Input of {@link ChatAnalytics.conversation}. */
export const conversationInput = z
  .object({
    workspaceId: idSchema,
    conversationKey: conversationKeySchema,
    /** Most recent records to return; default 200. */
    limit: z.number().int().min(1).max(500).optional(),
    /** Return message text and sender names; only for the workspace's own admins. */
    includeText: z.boolean().optional(),
  })
  .strict();
/** Input of {@link ChatAnalytics.conversation}. */
export type ConversationInput = z.input<typeof conversationInput>;

/** What {@link ChatAnalytics} reads from. */
export interface ChatAnalyticsOptions {
  db: Db;
  /** Opens records for the readability check and the conversation view. */
  sealer: Sealer;
  /** Names apps and bots; without it, names are null. */
  directory?: { listAppsWithBots(workspaceId: string): Promise<readonly AppNames[]> };
  /** The workspace's key configurations, for the enforcement totals; without it, none. */
  keyConfigs?: KeyConfigList;
  clock?: Clock;
  logger?: Logger;
  /** Told when records fail to open for a key reason; the host passes key health's reporter. */
  onKeyFailure?: OnKeyFailure;
  /** Most records one report reads (default 20 000); beyond it the oldest are not counted. */
  maxScan?: number;
  /** Records per conversation the readability check opens (default 20, the most recent). */
  checkDepth?: number;
}

/** The names {@link ChatAnalyticsOptions.directory} provides. */
export interface AppNames {
  id: string;
  name: string;
  bots: readonly { id: string; name: string }[];
}

const day = 86_400_000;

/** Chat analytics over the sealed transcript collections. One per process. */
export class ChatAnalytics {
  private readonly activities: Collection<TranscriptDocument>;
  private readonly conversations: Collection<ConversationDocument>;
  private readonly clock: Clock;
  private readonly opening: OpeningDeps;
  private readonly maxScan: number;
  private readonly checkDepth: number;

  constructor(private readonly options: ChatAnalyticsOptions) {
    this.activities = options.db.collection(transcriptCollections.activities);
    this.conversations = options.db.collection(transcriptCollections.conversations);
    this.clock = options.clock ?? systemClock;
    this.opening = {
      sealer: options.sealer,
      logger: (options.logger ?? silentLogger).child({ component: 'analytics' }),
      onKeyFailure: options.onKeyFailure,
    };
    this.maxScan = options.maxScan ?? 20_000;
    this.checkDepth = options.checkDepth ?? 20;
  }

  /**
   * The workspace's conversations in the window, most recent first, with counts and keys from
   * clear fields; the most recent `check` of them are opened to show they are still readable.
   */
  async recentChats(input: RecentChatsInput): Promise<RecentChats> {
    const query = parseInput(recentChatsInput, input, 'recent chats query');
    const { workspaceId } = query;
    const now = this.clock.now();
    const since = query.since ?? new Date(now - 30 * day);

    // Counts come from clear fields, newest first, so a cut-off scan misses only the oldest.
    const records = (await this.activities
      .find({ tenantId: workspaceId, at: { $gte: since } }, { projection: clearFields })
      .sort({ at: -1, _id: 1 })
      .limit(this.maxScan + 1)
      .toArray()) as ClearRecord[];
    const truncated = records.length > this.maxScan;
    const counted = records.slice(0, this.maxScan);
    const names = await this.namesOf(workspaceId);
    const listed = tallyConversations(counted, names).slice(0, query.limit ?? 20);
    const keys = new KeyTally();
    for (const record of counted) keys.add(record);

    // Readability: open the most recent records of the most recent conversations.
    const checkCount = query.check ?? 5;
    const conversations = [];
    for (const [index, summary] of listed.entries()) {
      if (index >= checkCount) {
        conversations.push({ ...summary, readable: null });
        continue;
      }
      const latest = await this.recordsOf(workspaceId, summary, this.checkDepth);
      conversations.push({ ...summary, readable: await checkReadable(this.opening, latest) });
    }

    return {
      workspaceId,
      since: since.toISOString(),
      generatedAt: new Date(now).toISOString(),
      conversations,
      keys: keys.list(),
      enforcement: await enforcementTotals(this.activities, this.options.keyConfigs, {
        workspaceId,
      }),
      truncated,
    };
  }

  /**
   * One conversation of the workspace with its most recent records, opened. A key of another
   * workspace's conversation is `NOT_FOUND`, exactly like a key that does not exist.
   */
  async conversation(input: ConversationInput): Promise<ConversationView> {
    const query = parseInput(conversationInput, input, 'conversation query');
    const { workspaceId } = query;
    const found = await this.conversations.findOne({
      _id: query.conversationKey,
      tenantId: workspaceId,
    });
    if (found === null) {
      throw new ByokError(ErrorCode.NotFound, 'no conversation with this key in the workspace');
    }

    const clear = (await this.activities
      .find(whereConversation(workspaceId, found), { projection: clearFields })
      .sort({ at: -1, _id: 1 })
      .limit(this.maxScan)
      .toArray()) as ClearRecord[];
    const [summary] = tallyConversations(clear, await this.namesOf(workspaceId));
    if (summary === undefined) {
      throw new ByokError(ErrorCode.NotFound, 'no conversation with this key in the workspace');
    }

    const limit = query.limit ?? 200;
    const latest = await this.recordsOf(workspaceId, found, limit + 1);
    const shown = latest.slice(0, limit).reverse();
    return {
      conversation: summary,
      messages: await openMessages(this.opening, shown, query.includeText ?? false),
      truncated: latest.length > limit,
    };
  }

  /** The most recent records of a conversation, envelopes included, newest first. */
  private recordsOf(
    workspaceId: string,
    conversation: Pick<ClearRecord, 'appId' | 'botId' | 'channelId' | 'conversationId'>,
    limit: number,
  ): Promise<TranscriptDocument[]> {
    return this.activities
      .find(whereConversation(workspaceId, conversation))
      .sort({ seq: -1, _id: -1 })
      .limit(limit)
      .toArray();
  }

  private async namesOf(workspaceId: string): Promise<Names> {
    const apps = new Map<string, string>();
    const bots = new Map<string, string>();
    for (const app of (await this.options.directory?.listAppsWithBots(workspaceId)) ?? []) {
      apps.set(app.id, app.name);
      for (const bot of app.bots) bots.set(bot.id, bot.name);
    }
    return { apps, bots };
  }
}

function whereConversation(
  workspaceId: string,
  c: Pick<ClearRecord, 'appId' | 'botId' | 'channelId' | 'conversationId'>,
) {
  return {
    tenantId: workspaceId,
    appId: c.appId,
    botId: c.botId,
    channelId: c.channelId,
    conversationId: c.conversationId,
  };
}
