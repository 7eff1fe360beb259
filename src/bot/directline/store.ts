/**
 * Where the host's Direct Line channel keeps its conversations and their activity streams, so
 * that every host process on the database serves every conversation. Each activity is sealed
 * as a whole (text, attachments, cards and names); only the owner, direction, type, sequence
 * number and time stay in the clear.
 *
 * Watermarks must never skip an activity, even with several processes writing one conversation
 * and no transactions. So the sequence number is allocated by the insert itself: a writer reads
 * the highest number, inserts the next one under a unique `_id`, and on a duplicate-key error
 * reads again. A number is only ever taken when every lower one already exists, so a reader
 * that saw sequence `n` has seen everything up to `n` and no lower number can appear later.
 */
import { randomUUID } from 'node:crypto';

import { Binary, type Collection, type Db } from 'mongodb';

import type { Clock } from '../../base/clock.js';
import { ByokError, ErrorCode, Fault, isByokError } from '../../base/errors.js';
import type { DataOwner, Provenance, Sealed, Sealer, SealScope } from '../../sealing/types.js';
import { isDuplicateKey } from '../../store/database.js';

/** Who sent an activity: the user through the channel, or the bot through the connector. */
export const Direction = { FromUser: 'in', FromBot: 'out' } as const;
export type Direction = (typeof Direction)[keyof typeof Direction];

/** A Direct Line conversation: which bot it talks to and as which user. */
export interface ConversationDoc {
  _id: string;
  tenantId: string;
  appId: string;
  botId: string;
  userId: string;
  createdAt: Date;
  /** Set once by whichever process sent the bot its `conversationUpdate`. */
  startedAt: Date | null;
}

/** One entry of a conversation's activity stream. The activity itself is only in `sealed`. */
interface ActivityDoc {
  /** `<conversationId>:<seq>`; unique, which is what makes `seq` allocation safe. */
  _id: string;
  conversationId: string;
  seq: number;
  /** The activity id clients see; repeated when the bot updates an activity. */
  activityId: string;
  tenantId: string;
  appId: string;
  botId: string;
  direction: Direction;
  type: string;
  createdAt: Date;
  /** Binds the envelope to this conversation; random, so it can be chosen before `seq`. */
  sealedRecordId: string;
  sealed?: Binary;
  provenance?: Provenance;
  /** Why the activity could not be sealed; it was then not stored at all, only its place. */
  sealFailure?: ErrorCode;
  /** The bot deleted the activity: its envelope is gone, its number stays taken. */
  deleted?: true;
}

/** An opened activity with its position in the stream. */
export interface StoredActivity {
  seq: number;
  activityId: string;
  direction: Direction;
  createdAt: Date;
  /** Null when the activity could not be sealed or cannot be opened now; see `unreadable`. */
  activity: Record<string, unknown> | null;
  /** The error code that kept the activity from being stored or opened. */
  unreadable?: ErrorCode;
}

/** The collection the sealed activities live in (also part of every seal scope). */
export const activitiesCollection = 'directline_activities';
const conversationsCollection = 'directline_conversations';

/** Writers retry on a taken sequence number; this bounds one append under heavy contention. */
const maxAppendAttempts = 64;
/** Most activities one poll returns; the client asks again from the new watermark. */
const pageSize = 100;

/** The Direct Line conversations and their sealed activity streams in MongoDB. */
export class DirectLineStore {
  private readonly conversations: Collection<ConversationDoc>;
  private readonly activities: Collection<ActivityDoc>;

  constructor(
    db: Db,
    private readonly sealer: Sealer,
    private readonly clock: Clock,
  ) {
    this.conversations = db.collection<ConversationDoc>(conversationsCollection);
    this.activities = db.collection<ActivityDoc>(activitiesCollection);
  }

  /** Creates the indexes the stream reads rely on. Idempotent. */
  async ensureIndexes(): Promise<void> {
    // Uniqueness of `seq` comes from `_id`; this index serves the range reads.
    await this.activities.createIndex({ conversationId: 1, seq: 1 });
    await this.activities.createIndex({ conversationId: 1, activityId: 1 });
  }

  /** Records a new conversation of `owner`'s bot with `userId`. */
  async createConversation(
    conversationId: string,
    owner: Required<DataOwner>,
    userId: string,
  ): Promise<ConversationDoc> {
    const doc: ConversationDoc = {
      _id: conversationId,
      tenantId: owner.tenantId,
      appId: owner.appId,
      botId: owner.botId,
      userId,
      createdAt: new Date(this.clock.now()),
      startedAt: null,
    };
    await this.conversations.insertOne(doc);
    return doc;
  }

  /** The conversation, or `NOT_FOUND`. */
  async getConversation(conversationId: string): Promise<ConversationDoc> {
    const doc = await this.conversations.findOne({ _id: conversationId });
    if (doc === null) {
      throw new ByokError(ErrorCode.NotFound, 'the conversation does not exist');
    }
    return doc;
  }

  /** Marks the conversation started; true only for the one caller that did it first. */
  async markStarted(conversationId: string): Promise<boolean> {
    const result = await this.conversations.updateOne(
      { _id: conversationId, startedAt: null },
      { $set: { startedAt: new Date(this.clock.now()) } },
    );
    return result.modifiedCount === 1;
  }

  /**
   * Seals `activity` and appends it to the conversation's stream. `activityId` is called with
   * the allocated sequence number unless an id is given (an update repeats the original id).
   *
   * When the owner's key cannot be used (revoked, disabled, KMS unreachable) nothing of the
   * activity is written: only its place in the stream and the error code, so the user learns
   * that a message exists but could not be stored securely.
   */
  async append(
    conversation: ConversationDoc,
    direction: Direction,
    activity: Record<string, unknown>,
    activityId: string | ((seq: number) => string),
  ): Promise<StoredActivity> {
    const sealedRecordId = `${conversation._id}/${randomUUID()}`;
    const sealed = await this.trySeal(conversation, sealedRecordId, activity);

    for (let attempt = 0; attempt < maxAppendAttempts; attempt += 1) {
      const seq = (await this.lastSeq(conversation._id)) + 1;
      const id = typeof activityId === 'string' ? activityId : activityId(seq);
      const createdAt = new Date(this.clock.now());
      const doc: ActivityDoc = {
        _id: `${conversation._id}:${String(seq).padStart(10, '0')}`,
        conversationId: conversation._id,
        seq,
        activityId: id,
        tenantId: conversation.tenantId,
        appId: conversation.appId,
        botId: conversation.botId,
        direction,
        type: typeof activity.type === 'string' ? activity.type.slice(0, 64) : 'unknown',
        createdAt,
        sealedRecordId,
        ...('failure' in sealed
          ? { sealFailure: sealed.failure }
          : { sealed: new Binary(sealed.envelope), provenance: sealed.provenance }),
      };
      try {
        await this.activities.insertOne(doc);
      } catch (error) {
        if (isDuplicateKey(error)) continue;
        throw error;
      }
      return 'failure' in sealed
        ? { seq, activityId: id, direction, createdAt, activity: null, unreadable: sealed.failure }
        : { seq, activityId: id, direction, createdAt, activity: { ...activity, id } };
    }
    throw new ByokError(ErrorCode.Conflict, 'the conversation is too busy; try again');
  }

  /** Activities after `watermark`, oldest first, opened; at most one page. */
  async listAfter(
    conversation: ConversationDoc,
    watermark: number,
  ): Promise<{ activities: StoredActivity[]; watermark: number }> {
    const docs = await this.activities
      .find({ conversationId: conversation._id, seq: { $gt: watermark } })
      .sort({ seq: 1 })
      .limit(pageSize)
      .toArray();

    const activities: StoredActivity[] = [];
    for (const doc of docs) {
      if (doc.deleted === true) continue;
      activities.push(await this.open(conversation, doc));
    }
    const last = docs.at(-1);
    return { activities, watermark: last === undefined ? watermark : last.seq };
  }

  /** Whether the conversation has an activity with this id. */
  async hasActivity(conversationId: string, activityId: string): Promise<boolean> {
    const doc = await this.activities.findOne(
      { conversationId, activityId },
      { projection: { _id: 1 } },
    );
    return doc !== null;
  }

  /** Drops the envelopes of every entry with `activityId`; true when there was one. */
  async delete(conversationId: string, activityId: string): Promise<boolean> {
    const result = await this.activities.updateMany(
      { conversationId, activityId },
      { $set: { deleted: true }, $unset: { sealed: '', provenance: '' } },
    );
    return result.matchedCount > 0;
  }

  private async trySeal(
    conversation: ConversationDoc,
    recordId: string,
    activity: Record<string, unknown>,
  ): Promise<Sealed | { failure: ErrorCode }> {
    const plaintext = Buffer.from(JSON.stringify(activity), 'utf8');
    try {
      return await this.sealer.seal(this.scope(conversation, recordId), plaintext);
    } catch (error) {
      if (!isKeyUnavailable(error)) throw error;
      return { failure: error.code };
    } finally {
      plaintext.fill(0);
    }
  }

  private async open(conversation: ConversationDoc, doc: ActivityDoc): Promise<StoredActivity> {
    const entry = {
      seq: doc.seq,
      activityId: doc.activityId,
      direction: doc.direction,
      createdAt: doc.createdAt,
    };
    if (doc.sealed === undefined) {
      return { ...entry, activity: null, unreadable: doc.sealFailure ?? ErrorCode.Internal };
    }

    const scope = this.scope(conversation, doc.sealedRecordId);
    let plaintext: Buffer;
    try {
      plaintext = await this.sealer.open(scope, Buffer.from(doc.sealed.buffer));
    } catch (error) {
      if (!isByokError(error)) throw error;
      return { ...entry, activity: null, unreadable: error.code };
    }
    try {
      const activity = JSON.parse(plaintext.toString('utf8')) as Record<string, unknown>;
      return { ...entry, activity: { ...activity, id: doc.activityId } };
    } finally {
      plaintext.fill(0);
    }
  }

  private async lastSeq(conversationId: string): Promise<number> {
    const last = await this.activities.findOne(
      { conversationId },
      { sort: { seq: -1 }, projection: { seq: 1 } },
    );
    return last?.seq ?? 0;
  }

  private scope(conversation: ConversationDoc, recordId: string): SealScope {
    return {
      tenantId: conversation.tenantId,
      appId: conversation.appId,
      botId: conversation.botId,
      collection: activitiesCollection,
      recordId,
      field: 'activity',
    };
  }
}

/** Key and dependency failures: the owner's key cannot be used right now. */
function isKeyUnavailable(error: unknown): error is ByokError {
  return (
    isByokError(error) && (error.fault === Fault.TenantConfig || error.fault === Fault.Dependency)
  );
}
