/**
 * A botbuilder `TranscriptStore` that keeps every activity sealed in MongoDB. The whole
 * activity JSON (text, attachments, cards, entities, channel data, value) is one envelope;
 * only what analytics needs stays in the clear: time, channel, conversation id, direction,
 * activity type, workspace, app, bot and key provenance.
 *
 * Writes are idempotent on (conversation, activity id): the `_id` is a digest of both, and a
 * retry of the same activity stores nothing twice. Every write is awaited, so once
 * `logActivity` resolves the database has acknowledged the record.
 */
import { randomUUID } from 'node:crypto';

import type { Activity, PagedResult, TranscriptInfo, TranscriptStore } from 'botbuilder';
import { Binary, type Collection, type Db, type Filter } from 'mongodb';
import { z } from 'zod';

import { type Clock, systemClock } from '../../base/clock.js';
import { ByokError, ErrorCode } from '../../base/errors.js';
import type { Provenance, Sealer, SealScope } from '../../sealing/types.js';
import { insertOnce } from '../../store/database.js';
import { acknowledgedWrites, type BotOwner, ownerFields, recordIdOf } from './owner.js';

/** Whether an activity came from the user (or channel) or was sent by the bot. */
export type Direction = 'incoming' | 'outgoing';

/** One stored activity. Everything but the envelope is safe to read without a key. */
export interface TranscriptDocument extends BotOwner {
  _id: string;
  channelId: string;
  conversationId: string;
  direction: Direction;
  type: string;
  at: Date;
  /** Logging order: a hybrid clock (ms × 1000 + counter), tie-broken by `_id`. */
  seq: number;
  provenance: Provenance;
  envelope: Binary;
}

/** One conversation that has a transcript, for `listTranscripts`. */
export interface ConversationDocument extends BotOwner {
  _id: string;
  channelId: string;
  conversationId: string;
  created: Date;
  seq: number;
}

/** Collection names, exported so tests and analytics read the same ones. */
export const transcriptCollections = {
  activities: 'bot_transcripts',
  conversations: 'bot_transcript_conversations',
} as const;

/** Options of {@link SealedTranscriptStore}. */
export interface SealedTranscriptStoreOptions {
  db: Db;
  sealer: Sealer;
  owner: BotOwner;
  clock?: Clock;
  /** Activities or conversations per page; default 20, as in the SDK's memory store. */
  pageSize?: number;
}

const tokenSchema = z.object({ s: z.number().int().nonnegative(), i: z.string().max(128) });

/** The sealed transcript store of one bot. Construct one per bot; they are cheap. */
export class SealedTranscriptStore implements TranscriptStore {
  readonly owner: BotOwner;
  private readonly activities: Collection<TranscriptDocument>;
  private readonly conversations: Collection<ConversationDocument>;
  private readonly sealer: Sealer;
  private readonly clock: Clock;
  private readonly pageSize: number;
  private lastSeq = 0;

  constructor(options: SealedTranscriptStoreOptions) {
    this.owner = ownerFields(options.owner);
    this.activities = options.db.collection(transcriptCollections.activities, acknowledgedWrites);
    this.conversations = options.db.collection(
      transcriptCollections.conversations,
      acknowledgedWrites,
    );
    this.sealer = options.sealer;
    this.clock = options.clock ?? systemClock;
    this.pageSize = options.pageSize ?? 20;
  }

  /** Creates the indexes the queries below rely on. Idempotent. */
  static async ensureIndexes(db: Db): Promise<void> {
    await db
      .collection(transcriptCollections.activities)
      .createIndex({ tenantId: 1, botId: 1, channelId: 1, conversationId: 1, seq: 1, _id: 1 });
    await db
      .collection(transcriptCollections.conversations)
      .createIndex({ tenantId: 1, botId: 1, channelId: 1, seq: 1, _id: 1 });
  }

  /**
   * Seals and stores one activity, resolving once the database acknowledged it. An activity
   * without an id gets a random one (such writes cannot be deduplicated). Throws the sealer's
   * `ByokError` when the key is unusable; nothing is written then.
   */
  async logActivity(activity: Activity): Promise<void> {
    const channelId = requireText(activity.channelId, 'activity.channelId');
    const conversationId = requireText(
      (activity as Partial<Activity>).conversation?.id,
      'activity.conversation.id',
    );
    const type = requireText(activity.type, 'activity.type');
    const activityId = activity.id ?? `generated:${randomUUID()}`;
    const at = timeOf(activity, this.clock);
    const dedupKey = dedupKeyOf(type, activityId, at);
    const _id = recordIdOf(this.owner.botId, channelId, conversationId, dedupKey);

    const json = Buffer.from(JSON.stringify({ ...activity, id: activityId }), 'utf8');
    const sealed = await this.sealer.seal(this.scopeOf(_id), json);
    json.fill(0);

    const seq = this.nextSeq();
    const document: TranscriptDocument = {
      _id,
      ...this.owner,
      channelId,
      conversationId,
      direction: directionOf(activity),
      type,
      at,
      seq,
      provenance: sealed.provenance,
      envelope: new Binary(sealed.envelope),
    };
    await insertOnce(this.activities, document);
    await insertOnce(this.conversations, {
      _id: recordIdOf(this.owner.botId, channelId, conversationId),
      ...this.owner,
      channelId,
      conversationId,
      created: at,
      seq,
    });
  }

  /**
   * A page of a conversation's activities in logging order, opened. `continuationToken` is
   * the token of the previous page; an empty token in the result means there is no next page.
   */
  async getTranscriptActivities(
    channelId: string,
    conversationId: string,
    continuationToken?: string,
    startDate?: Date,
  ): Promise<PagedResult<Activity>> {
    const filter: Filter<TranscriptDocument> = {
      ...this.owner,
      channelId: requireText(channelId, 'channelId'),
      conversationId: requireText(conversationId, 'conversationId'),
      ...afterToken(continuationToken),
      ...(startDate === undefined ? {} : { at: { $gte: startDate } }),
    };
    const documents = await this.activities
      .find(filter)
      .sort({ seq: 1, _id: 1 })
      .limit(this.pageSize + 1)
      .toArray();

    const page = documents.slice(0, this.pageSize);
    const items: Activity[] = [];
    for (const document of page) items.push(await this.openActivity(document));
    return { items, continuationToken: nextToken(documents, page) };
  }

  /** A page of the conversations of a channel that have a transcript, oldest first. */
  async listTranscripts(
    channelId: string,
    continuationToken?: string,
  ): Promise<PagedResult<TranscriptInfo>> {
    const filter: Filter<ConversationDocument> = {
      ...this.owner,
      channelId: requireText(channelId, 'channelId'),
      ...afterToken(continuationToken),
    };
    const documents = await this.conversations
      .find(filter)
      .sort({ seq: 1, _id: 1 })
      .limit(this.pageSize + 1)
      .toArray();

    const page = documents.slice(0, this.pageSize);
    const items = page.map((d) => ({
      channelId: d.channelId,
      id: d.conversationId,
      created: d.created,
    }));
    return { items, continuationToken: nextToken(documents, page) };
  }

  /** Deletes a conversation's transcript: its activities, then its entry in the list. */
  async deleteTranscript(channelId: string, conversationId: string): Promise<void> {
    const where = {
      ...this.owner,
      channelId: requireText(channelId, 'channelId'),
      conversationId: requireText(conversationId, 'conversationId'),
    };
    await this.activities.deleteMany(where);
    await this.conversations.deleteMany(where);
  }

  private async openActivity(document: TranscriptDocument): Promise<Activity> {
    const json = await this.sealer.open(
      this.scopeOf(document._id),
      Buffer.from(document.envelope.buffer),
    );
    const activity = JSON.parse(json.toString('utf8')) as Activity;
    json.fill(0);
    return reviveDates(activity);
  }

  private scopeOf(recordId: string): SealScope {
    return transcriptScopeOf(this.owner, recordId);
  }

  private nextSeq(): number {
    this.lastSeq = Math.max(this.lastSeq + 1, this.clock.now() * 1000);
    return this.lastSeq;
  }
}

/**
 * Where a stored activity's envelope is bound: readers that open transcript records outside
 * this store (analytics) must use exactly this scope, or every record fails to open.
 */
export function transcriptScopeOf(owner: BotOwner, recordId: string): SealScope {
  return {
    ...ownerFields(owner),
    collection: transcriptCollections.activities,
    recordId,
    field: 'activity',
  };
}

/** The activity's own time when it has a valid one, else now. */
function timeOf(activity: Activity, clock: Clock): Date {
  const stamped =
    activity.timestamp === undefined ? Number.NaN : new Date(activity.timestamp).getTime();
  return new Date(Number.isNaN(stamped) ? clock.now() : stamped);
}

/**
 * What makes two writes "the same activity": its id, except that updates and deletions of an
 * activity are separate events of their own, told apart by their time.
 */
function dedupKeyOf(type: string, id: string, at: Date): string {
  const isEdit = type === 'messageUpdate' || type === 'messageDelete';
  return isEdit ? `${id}#${type}@${at.getTime()}` : id;
}

/** Bots send with `from.role` 'bot' (or 'skill'); everything else reached the bot. */
function directionOf(activity: Activity): Direction {
  const role = (activity as Partial<Activity>).from?.role;
  return role === 'bot' || role === 'skill' ? 'outgoing' : 'incoming';
}

function requireText(value: unknown, name: string): string {
  if (typeof value === 'string' && value.length > 0 && value.length <= 512) return value;
  throw new ByokError(
    ErrorCode.BadInput,
    `${name} must be a non-empty string of at most 512 characters`,
  );
}

function afterToken(token: string | undefined): Record<string, unknown> {
  if (token === undefined || token === '') return {};
  const decoded = tokenSchema.safeParse(parseToken(token));
  if (!decoded.success) {
    throw new ByokError(ErrorCode.BadInput, 'continuationToken is not a token this store issued');
  }
  const { s, i } = decoded.data;
  return { $or: [{ seq: { $gt: s } }, { seq: s, _id: { $gt: i } }] };
}

function parseToken(token: string): unknown {
  try {
    return JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
}

function nextToken(fetched: readonly { _id: string; seq: number }[], page: readonly unknown[]) {
  const last = fetched[page.length - 1];
  if (fetched.length <= page.length || last === undefined) return '';
  return Buffer.from(JSON.stringify({ s: last.seq, i: last._id }), 'utf8').toString('base64url');
}

function reviveDates(activity: Activity): Activity {
  const revived = { ...activity };
  if (typeof activity.timestamp === 'string') revived.timestamp = new Date(activity.timestamp);
  if (typeof activity.localTimestamp === 'string') {
    revived.localTimestamp = new Date(activity.localTimestamp);
  }
  return revived;
}
