/**
 * A botbuilder `Storage` for conversation and user state (dialog state included) that keeps
 * every item sealed in MongoDB. Keys such as `webchat/conversations/<id>/` name users and
 * conversations, so they are hashed into the `_id` and never stored; the item JSON is one
 * envelope; only owner, eTag, time and key provenance stay in the clear.
 *
 * Optimistic concurrency follows the SDK's memory storage: an item written with no eTag or
 * `'*'` overwrites (last writer wins); one written with an eTag replaces only a stored item
 * with that same eTag (or creates a missing one), else the write fails with `CONFLICT`.
 *
 * A conditional update alone cannot decide between two writers holding the same eTag, since
 * FerretDB lets both through (see `claimOnce`). So a writer with an eTag first claims it by
 * inserting a document named by item and eTag into a claims collection. Exactly one of the
 * writers holding that eTag gets the claim and goes on to the conditional write; the others
 * fail with `CONFLICT` at once. The winner releases the claim after its write is acknowledged;
 * a later writer with the same eTag then finds the item changed, so eTags stay single-use. A
 * claim left by a writer that died is taken over after {@link staleClaimMs}. A forced (`'*'`)
 * write does not claim: when it races a conditional write, either may end up stored.
 */
import { randomUUID } from 'node:crypto';

import type { Storage, StoreItem, StoreItems } from 'botbuilder';
import { Binary, type Collection, type Db } from 'mongodb';
import { z } from 'zod';

import { type Clock, systemClock } from '../../base/clock.js';
import { ByokError, ErrorCode } from '../../base/errors.js';
import type { Provenance, Sealer, SealScope } from '../../sealing/types.js';
import { claimOnce } from '../../store/claims.js';
import { isDuplicateKey } from '../../store/database.js';
import { acknowledgedWrites, type BotOwner, ownerFields, recordIdOf } from './owner.js';

/** One stored state item. */
export interface StateDocument extends BotOwner {
  _id: string;
  eTag: string;
  updatedAt: Date;
  provenance: Provenance;
  envelope: Binary;
}

/** A writer's claim on the eTag it replaces; present only while that write is under way. */
export interface StateClaimDocument {
  /** Digest of the item id and the expected eTag (eTags are caller input of any length). */
  _id: string;
  at: Date;
  /** Names this claim, so only its writer (or a takeover of exactly it) removes it. */
  token: string;
}

/** The collection state items live in. */
export const stateCollection = 'bot_state';

/** The collection of eTag claims of writes under way. */
export const stateClaimCollection = 'bot_state_claims';

/** A claim older than this belongs to a writer that died; another writer may take it over. */
export const staleClaimMs = 60_000;

/** Options of {@link SealedStorage}. */
export interface SealedStorageOptions {
  db: Db;
  sealer: Sealer;
  owner: BotOwner;
  clock?: Clock;
}

const keysSchema = z.array(z.string().min(1).max(1024)).max(100);

function conflict(): ByokError {
  return new ByokError(ErrorCode.Conflict, 'Storage: error writing state due to eTag conflict');
}

/** The sealed state storage of one bot. Pass it to `ConversationState` and `UserState`. */
export class SealedStorage implements Storage {
  readonly owner: BotOwner;
  private readonly items: Collection<StateDocument>;
  private readonly claims: Collection<StateClaimDocument>;
  private readonly sealer: Sealer;
  private readonly clock: Clock;

  constructor(options: SealedStorageOptions) {
    this.owner = ownerFields(options.owner);
    this.items = options.db.collection(stateCollection, acknowledgedWrites);
    this.claims = options.db.collection(stateClaimCollection, acknowledgedWrites);
    this.sealer = options.sealer;
    this.clock = options.clock ?? systemClock;
  }

  /** Reads and opens the items that exist; missing keys are absent from the result. */
  async read(keys: string[]): Promise<StoreItems> {
    const wanted = parseKeys(keys);
    const idToKey = new Map(wanted.map((key) => [this.idOf(key), key]));
    const documents = await this.items
      .find({ _id: { $in: [...idToKey.keys()] }, ...this.owner })
      .toArray();

    const result: StoreItems = {};
    for (const document of documents) {
      const key = idToKey.get(document._id);
      if (key === undefined) continue;
      const json = await this.sealer.open(
        this.scopeOf(document._id),
        Buffer.from(document.envelope.buffer),
      );
      const item = JSON.parse(json.toString('utf8')) as StoreItem;
      json.fill(0);
      result[key] = { ...item, eTag: document.eTag };
    }
    return result;
  }

  /** Seals and writes each item; resolves once the database acknowledged every write. */
  async write(changes: StoreItems): Promise<void> {
    const entries = Object.entries<StoreItem>(parseChanges(changes));
    parseKeys(entries.map(([key]) => key));
    for (const [key, item] of entries) await this.writeOne(key, item);
  }

  /** Deletes the items; missing keys are ignored. */
  async delete(keys: string[]): Promise<void> {
    const ids = parseKeys(keys).map((key) => this.idOf(key));
    await this.items.deleteMany({ _id: { $in: ids }, ...this.owner });
  }

  private async writeOne(key: string, item: StoreItem): Promise<void> {
    const _id = this.idOf(key);
    const { eTag: expected, ...state } = item;
    const json = Buffer.from(JSON.stringify(state), 'utf8');
    const sealed = await this.sealer.seal(this.scopeOf(_id), json);
    json.fill(0);

    const fields = {
      ...this.owner,
      eTag: randomUUID(),
      updatedAt: new Date(this.clock.now()),
      provenance: sealed.provenance,
      envelope: new Binary(sealed.envelope),
    };
    if (typeof expected !== 'string' || expected === '' || expected === '*') {
      await this.items
        .updateOne({ _id }, { $set: fields }, { upsert: true })
        .catch(async (e: unknown) => {
          // Two concurrent first writes: the loser overwrites, as `'*'` asks.
          if (!isDuplicateKey(e)) throw e;
          await this.items.updateOne({ _id }, { $set: fields });
        });
      return;
    }

    const claim = await this.claimETag(_id, expected);
    if (claim === null) throw conflict();
    try {
      await this.replace(_id, expected, fields);
    } finally {
      await this.claims.deleteOne({ _id: claim._id, token: claim.token });
    }
  }

  /** Replaces the item if it still has the `expected` eTag, or creates it if it is missing. */
  private async replace(
    _id: string,
    expected: string,
    fields: Omit<StateDocument, '_id'>,
  ): Promise<void> {
    const replaced = await this.items.updateOne({ _id, eTag: expected }, { $set: fields });
    if (replaced.matchedCount === 1) return;
    if ((await this.items.countDocuments({ _id }, { limit: 1 })) > 0) throw conflict();

    try {
      await this.items.insertOne({ _id, ...fields });
    } catch (error) {
      if (isDuplicateKey(error)) throw conflict();
      throw error;
    }
  }

  /**
   * Claims the write that replaces `eTag` on item `_id`: the claim, or null when another
   * writer holds it. A stale claim (its writer died) is removed, then claimed like a free one.
   */
  private async claimETag(_id: string, eTag: string): Promise<StateClaimDocument | null> {
    const now = this.clock.now();
    const claim = { _id: recordIdOf(_id, eTag), at: new Date(now), token: randomUUID() };
    const { _id: claimId, ...fields } = claim;
    if (await claimOnce(this.claims, claimId, fields)) return claim;

    const held = await this.claims.findOne({ _id: claimId });
    if (held === null || held.at.getTime() > now - staleClaimMs) return null;
    await this.claims.deleteOne({ _id: claimId, token: held.token });
    return (await claimOnce(this.claims, claimId, fields)) ? claim : null;
  }

  private idOf(key: string): string {
    return recordIdOf(this.owner.tenantId, this.owner.botId, key);
  }

  private scopeOf(recordId: string): SealScope {
    return { ...this.owner, collection: stateCollection, recordId, field: 'state' };
  }
}

function parseKeys(keys: unknown): string[] {
  const parsed = keysSchema.safeParse(keys);
  if (parsed.success) return parsed.data;
  throw new ByokError(ErrorCode.BadInput, 'storage keys must be 1 to 100 non-empty strings');
}

function parseChanges(changes: unknown): StoreItems {
  if (typeof changes === 'object' && changes !== null && !Array.isArray(changes)) {
    return changes;
  }
  throw new ByokError(ErrorCode.BadInput, 'storage changes must be an object of items by key');
}
