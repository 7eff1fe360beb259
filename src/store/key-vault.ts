/**
 * The key vault: wrapped data keys (DEKs) in MongoDB, one document per DEK, plus the rule
 * "one active DEK per tenant, app and key".
 *
 * That rule has to hold across processes on FerretDB, which has no partial unique indexes, no
 * transactions, and (measured on 1.24 with SQLite) no atomic read-modify-write either: two
 * concurrent `updateOne({ _id, v: 0 }, { $set: { v: 1 } })` both match, and concurrent `$inc`s
 * lose updates. The one write it does arbitrate is an insert against a unique `_id`.
 *
 * So "active" is decided by inserts only. Each slot (tenant, app, key configuration, wrapping
 * key) has a chain of pointer documents with `_id` = slot + generation. Creating a DEK inserts
 * the DEK, then the pointer of the next generation; of two processes racing, exactly one
 * pointer insert succeeds, and the loser deletes its own DEK and uses the winner's. A pointer
 * whose DEK was retired or moved to another key is stale: the next create supersedes it with
 * the following generation, again by insert. The DEK is written before its pointer, so a
 * pointer never names a missing DEK; a crash in between leaves an unreferenced DEK that
 * nothing uses.
 *
 * Updates of a DEK (rewrap, retire) are single-document `$set`s that write the wrapped key and
 * its key reference together, so a DEK is always consistent; their "only if still wrapped by"
 * filter is exact on MongoDB and best effort on FerretDB (see `compareAndSetWrapped`).
 *
 * No document here holds a plaintext key: only the wrapped form and non-secret facts.
 */
import { Binary, type Collection, type Db, type Filter } from 'mongodb';

import type { EncryptionContext, ProviderKind } from '../aws/key-provider.js';
import { ByokError, ErrorCode } from '../base/errors.js';
import { isDuplicateKey, toDatabaseError } from './database.js';

/** Lifecycle of a DEK: active DEKs may seal; retired ones only open. */
export const DekState = { Active: 'active', Retired: 'retired' } as const;
export type DekState = (typeof DekState)[keyof typeof DekState];

/** A wrapped data key as stored. */
export interface DataKeyRecord {
  /** The DEK id, as written into every envelope it seals. */
  _id: string;
  tenantId: string;
  appId: string;
  provider: ProviderKind;
  /** The key configuration whose key wraps this DEK; null for the platform default key. */
  keyConfigId: string | null;
  /** The wrapping key: CMK ARN or `local:<id>`. */
  keyRef: string;
  wrapped: Buffer;
  /** The context the DEK was wrapped with (informational: callers recompute it). */
  encryptionContext: EncryptionContext;
  state: DekState;
  createdAt: Date;
  rewrappedAt?: Date;
  retiredAt?: Date;
}

/** The slot that has at most one active DEK. */
export interface ActiveSlot {
  tenantId: string;
  appId: string;
  keyConfigId: string | null;
  keyRef: string;
}

/** Which DEKs a rewrap moves. */
export interface WrappedByQuery {
  tenantId: string;
  keyConfigId: string | null;
  keyRef: string;
}

/** A rewrap of one DEK: applied only while it is still wrapped by `fromKeyRef`. */
export interface RewrapChange {
  fromKeyRef: string;
  wrapped: Buffer;
  keyRef: string;
  provider: ProviderKind;
  keyConfigId: string | null;
  at: Date;
}

/** What the sealing and rotation code needs from a key vault; MongoDB or a test double. */
export interface KeyVault {
  /** The active DEK of a slot, or null when there is none (or it was retired or moved). */
  findActive(slot: ActiveSlot): Promise<DataKeyRecord | null>;
  /**
   * Stores `record` as the slot's active DEK unless another process got there first; then
   * `record` is discarded and the winner returned with `created: false`.
   */
  createActive(record: DataKeyRecord): Promise<{ record: DataKeyRecord; created: boolean }>;
  /** One DEK by id, whatever its state. */
  get(dekId: string): Promise<DataKeyRecord | null>;
  /** DEKs wrapped by one key, in id order after `afterId`, at most `limit`. */
  listWrappedBy(
    query: WrappedByQuery,
    afterId: string | null,
    limit: number,
  ): Promise<DataKeyRecord[]>;
  /** How many DEKs one key wraps. */
  countWrappedBy(query: WrappedByQuery): Promise<number>;
  /**
   * Applies a rewrap when the DEK is still wrapped by `change.fromKeyRef`; false when it is
   * gone or wrapped otherwise. The wrapped key and its key reference are written together, so
   * the DEK stays consistent whatever happens. On MongoDB the check and the write are atomic;
   * on FerretDB two concurrent calls may both succeed, which is harmless when they write the
   * same DEK wrapped for the same key (two runs of one rotation): both count it as moved.
   */
  compareAndSetWrapped(dekId: string, change: RewrapChange): Promise<boolean>;
  /** Stops a DEK from sealing new values; it still opens old ones. */
  retire(dekId: string, at: Date): Promise<boolean>;
}

interface DataKeyDocument extends Omit<DataKeyRecord, 'wrapped'> {
  wrapped: Binary;
}

interface ActivePointer extends ActiveSlot {
  /** The slot and the generation, as a JSON array: unique per generation of a slot. */
  _id: string;
  /** The slot alone, as a JSON array, to find its newest generation. */
  slot: string;
  generation: number;
  dekId: string;
  createdAt: Date;
}

/** Collection names; tests may pick their own. */
export interface KeyVaultCollections {
  keys?: string;
  active?: string;
}

/** How often createActive retries when pointers change under it before reporting a conflict. */
const maxSettleAttempts = 5;

/** The key vault in MongoDB (or FerretDB). */
export class MongoKeyVault implements KeyVault {
  private readonly keys: Collection<DataKeyDocument>;
  private readonly active: Collection<ActivePointer>;

  constructor(db: Db, names: KeyVaultCollections = {}) {
    this.keys = db.collection<DataKeyDocument>(names.keys ?? 'keyVault');
    this.active = db.collection<ActivePointer>(names.active ?? 'keyVaultActive');
  }

  /** Creates the indexes the vault's queries need; safe to run at every start. */
  async ensureIndexes(): Promise<void> {
    await guard(async () => {
      await this.keys.createIndex(
        { tenantId: 1, keyConfigId: 1, keyRef: 1, _id: 1 },
        { name: 'by_wrapping_key' },
        undefined,
      );
      await this.active.createIndex({ slot: 1, generation: -1 }, { name: 'by_slot' }, undefined);
    });
  }

  async findActive(slot: ActiveSlot): Promise<DataKeyRecord | null> {
    const pointer = await this.newestPointer(slotId(slot));
    if (pointer === null) return null;

    const record = await this.get(pointer.dekId);
    return record !== null && isActiveIn(record, slot) ? record : null;
  }

  async createActive(record: DataKeyRecord): Promise<{ record: DataKeyRecord; created: boolean }> {
    const slot: ActiveSlot = record;
    const id = slotId(slot);
    await guard(() => this.keys.insertOne(toDocument(record)));

    for (let attempt = 0; attempt < maxSettleAttempts; attempt++) {
      // A good DEK already holds the slot: use it and discard ours.
      const current = await this.newestPointer(id);
      if (current !== null) {
        const holder = await this.get(current.dekId);
        if (holder !== null && isActiveIn(holder, slot)) {
          await guard(() => this.keys.deleteOne({ _id: record._id }));
          return { record: holder, created: false };
        }
      }

      // The slot is empty or stale: claim its next generation. Only one insert can win.
      const generation = current === null ? 0 : current.generation + 1;
      try {
        await this.active.insertOne({
          _id: JSON.stringify([id, generation]),
          slot: id,
          generation,
          dekId: record._id,
          tenantId: slot.tenantId,
          appId: slot.appId,
          keyConfigId: slot.keyConfigId,
          keyRef: slot.keyRef,
          createdAt: record.createdAt,
        });
        return { record, created: true };
      } catch (error) {
        if (!isDuplicateKey(error)) throw toDatabaseError(error);
      }
    }

    await guard(() => this.keys.deleteOne({ _id: record._id }));
    throw new ByokError(
      ErrorCode.Conflict,
      'the active data key kept changing while a new one was created; try again',
    );
  }

  async get(dekId: string): Promise<DataKeyRecord | null> {
    const document = await guard(() => this.keys.findOne({ _id: dekId }));
    return document === null ? null : fromDocument(document);
  }

  async listWrappedBy(
    query: WrappedByQuery,
    afterId: string | null,
    limit: number,
  ): Promise<DataKeyRecord[]> {
    const filter: Filter<DataKeyDocument> = { ...query };
    if (afterId !== null) filter._id = { $gt: afterId };
    const documents = await guard(() =>
      this.keys.find(filter).sort({ _id: 1 }).limit(limit).toArray(),
    );
    return documents.map(fromDocument);
  }

  async countWrappedBy(query: WrappedByQuery): Promise<number> {
    return guard(() => this.keys.countDocuments({ ...query }));
  }

  async compareAndSetWrapped(dekId: string, change: RewrapChange): Promise<boolean> {
    const result = await guard(() =>
      this.keys.updateOne(
        { _id: dekId, keyRef: change.fromKeyRef },
        {
          $set: {
            wrapped: new Binary(change.wrapped),
            keyRef: change.keyRef,
            provider: change.provider,
            keyConfigId: change.keyConfigId,
            rewrappedAt: change.at,
          },
        },
      ),
    );
    return result.matchedCount === 1;
  }

  async retire(dekId: string, at: Date): Promise<boolean> {
    const result = await guard(() =>
      this.keys.updateOne(
        { _id: dekId, state: DekState.Active },
        { $set: { state: DekState.Retired, retiredAt: at } },
      ),
    );
    // The slot's pointer now names a retired DEK: the next create supersedes it.
    return result.matchedCount === 1;
  }

  private newestPointer(slot: string): Promise<ActivePointer | null> {
    return guard(() => this.active.find({ slot }).sort({ generation: -1 }).limit(1).next());
  }
}

/**
 * The id of a slot: a JSON array, so no id can run into the next. The sealer keys its memory of
 * active DEKs by the same id.
 */
export function slotId(slot: ActiveSlot): string {
  return JSON.stringify([slot.tenantId, slot.appId, slot.keyConfigId, slot.keyRef]);
}

function isActiveIn(record: DataKeyRecord, slot: ActiveSlot): boolean {
  return (
    record.state === DekState.Active &&
    record.tenantId === slot.tenantId &&
    record.appId === slot.appId &&
    record.keyConfigId === slot.keyConfigId &&
    record.keyRef === slot.keyRef
  );
}

function toDocument(record: DataKeyRecord): DataKeyDocument {
  return { ...record, wrapped: new Binary(record.wrapped) };
}

function fromDocument(document: DataKeyDocument): DataKeyRecord {
  if (!(document.wrapped instanceof Binary)) {
    throw new ByokError(ErrorCode.Internal, `data key ${document._id} has no wrapped key`);
  }
  return { ...document, wrapped: Buffer.from(document.wrapped.value()) };
}

async function guard<T>(operation: () => Promise<T>): Promise<T> {
  try {
    return await operation();
  } catch (error) {
    throw toDatabaseError(error);
  }
}
