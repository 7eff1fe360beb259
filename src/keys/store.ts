/**
 * Persistence of key configurations, with optimistic concurrency that holds on MongoDB and on
 * FerretDB alike. Every change names the version it was based on and first inserts a version
 * claim `<id>#<version + 1>`: a unique `_id` lets exactly one writer in, so two admins editing
 * at once cannot both apply; the second gets `CONFLICT` and reloads. The claim is needed
 * because FerretDB evaluates an update's filter and writes the document in separate steps, so
 * a conditional `findOneAndUpdate` alone lets two writers through (a unique insert does not).
 *
 * The one cross-document rule (a workspace has at most one scheduled configuration) is held
 * the same way: a claim document whose `_id` is the workspace id.
 */
import type { Collection, Db, UpdateFilter } from 'mongodb';

import { systemClock } from '../base/clock.js';
import { ByokError, ErrorCode, isByokError } from '../base/errors.js';
import { isDuplicateKey } from '../store/database.js';
import { type KeyConfigDoc, KeyPhase } from './model.js';
import { staleVersion } from './rules.js';

interface VersionClaimDoc {
  /** `<configuration id>#<version>`. */
  _id: string;
  keyConfigId: string;
  /** Wall-clock ms; a claim whose change never landed is stale after {@link staleClaimMs}. */
  claimedAt: number;
}

/** A writer that claimed a version and crashed before writing frees it after this long. */
const staleClaimMs = 60_000;

interface ActiveClaimDoc {
  /** The workspace id: unique, so only one configuration can hold the claim. */
  _id: string;
  keyConfigId: string;
}

/** Reads and writes key configurations, always scoped by workspace. */
export class KeyConfigStore {
  private readonly configs: Collection<KeyConfigDoc>;
  private readonly claims: Collection<ActiveClaimDoc>;
  private readonly versions: Collection<VersionClaimDoc>;

  constructor(db: Db) {
    this.configs = db.collection<KeyConfigDoc>('key_configs');
    this.claims = db.collection<ActiveClaimDoc>('key_active');
    this.versions = db.collection<VersionClaimDoc>('key_config_versions');
  }

  /** Creates the indexes the reads use. Idempotent. */
  async ensureIndexes(): Promise<void> {
    await this.configs.createIndex({ workspaceId: 1, createdAt: 1 });
    await this.configs.createIndex({ phase: 1 });
    await this.versions.createIndex({ keyConfigId: 1 });
  }

  /** Stores a new configuration. */
  async insert(doc: KeyConfigDoc): Promise<void> {
    await this.configs.insertOne(doc);
  }

  /** One configuration of a workspace, or `NOT_FOUND` (also for another workspace's id). */
  async get(workspaceId: string, id: string): Promise<KeyConfigDoc> {
    const doc = await this.configs.findOne({ _id: id, workspaceId });
    if (doc === null) throw new ByokError(ErrorCode.NotFound, 'key configuration not found');
    return doc;
  }

  /** The configurations of a workspace, oldest first. */
  async list(workspaceId: string): Promise<KeyConfigDoc[]> {
    return this.configs.find({ workspaceId }).sort({ createdAt: 1, _id: 1 }).toArray();
  }

  /** Every scheduled configuration of every workspace (for health checks and start-up). */
  async listScheduled(): Promise<KeyConfigDoc[]> {
    return this.configs.find({ phase: KeyPhase.Scheduled }).toArray();
  }

  /**
   * Applies `update` if the stored version is still `expectedVersion`, bumping the version.
   * Returns the new document, or throws `CONFLICT` when someone changed it in between.
   */
  async update(
    base: KeyConfigDoc,
    update: Pick<UpdateFilter<KeyConfigDoc>, '$set' | '$push'>,
    now: Date,
  ): Promise<KeyConfigDoc> {
    await this.claimVersion(base);
    const next = await this.configs.findOneAndUpdate(
      { _id: base._id, workspaceId: base.workspaceId, version: base.version },
      { ...update, $set: { ...update.$set, updatedAt: now }, $inc: { version: 1 } },
      { returnDocument: 'after' },
    );
    if (next === null) throw staleVersion();
    return next;
  }

  /**
   * Marks the rotation `jobId` as no longer running on its configuration: a versioned change
   * like any other (so it cannot overwrite an admin's concurrent change), retried on conflict.
   */
  async clearRotation(workspaceId: string, id: string, jobId: string): Promise<void> {
    for (let attempt = 0; attempt < 5; attempt += 1) {
      const doc = await this.configs.findOne({ _id: id, workspaceId });
      if (doc?.rotationJobId !== jobId) return;
      try {
        await this.update(doc, { $set: { rotationJobId: null } }, doc.updatedAt);
        return;
      } catch (error) {
        if (!isByokError(error, ErrorCode.Conflict)) throw error;
      }
    }
  }

  /** Inserts the claim on `base.version + 1`, or throws `CONFLICT` when another writer holds it. */
  private async claimVersion(base: KeyConfigDoc): Promise<void> {
    const claim: VersionClaimDoc = {
      _id: `${base._id}#${base.version + 1}`,
      keyConfigId: base._id,
      claimedAt: systemClock.now(),
    };
    for (let attempt = 0; attempt < 2; attempt += 1) {
      try {
        await this.versions.insertOne(claim);
        return;
      } catch (error) {
        if (!isDuplicateKey(error)) throw error;
      }
      // Free a claim whose writer crashed before its change landed, then try once more.
      const held = await this.versions.findOne({ _id: claim._id });
      const current = await this.configs.findOne({ _id: base._id });
      const stale = held !== null && held.claimedAt < claim.claimedAt - staleClaimMs;
      if (!stale || current?.version !== base.version) break;
      await this.versions.deleteOne({ _id: claim._id, claimedAt: held.claimedAt });
    }
    throw staleVersion();
  }

  /**
   * The workspace's scheduled configuration, if any. A claim left behind by a configuration
   * that is no longer scheduled (a crash between two writes) counts as no claim.
   */
  async findActive(workspaceId: string): Promise<KeyConfigDoc | null> {
    const claim = await this.claims.findOne({ _id: workspaceId });
    if (claim === null) return null;
    const doc = await this.configs.findOne({ _id: claim.keyConfigId, workspaceId });
    return doc?.phase === KeyPhase.Scheduled ? doc : null;
  }

  /**
   * Makes `keyConfigId` the workspace's scheduled configuration. `CONFLICT` when another
   * scheduled configuration holds the claim; a stale claim is taken over atomically.
   */
  async claimActive(workspaceId: string, keyConfigId: string): Promise<void> {
    const current = await this.claims.findOne({ _id: workspaceId });
    if (current === null) {
      try {
        await this.claims.insertOne({ _id: workspaceId, keyConfigId });
        return;
      } catch (error) {
        if (!isDuplicateKey(error)) throw error;
        throw anotherActive();
      }
    }
    if (current.keyConfigId === keyConfigId) return;

    const holder = await this.configs.findOne({ _id: current.keyConfigId, workspaceId });
    if (holder?.phase === KeyPhase.Scheduled) throw anotherActive(holder.name);
    // A stale claim: remove exactly it, then compete for the workspace like a first claim.
    await this.claims.deleteOne({ _id: workspaceId, keyConfigId: current.keyConfigId });
    try {
      await this.claims.insertOne({ _id: workspaceId, keyConfigId });
    } catch (error) {
      if (!isDuplicateKey(error)) throw error;
      throw anotherActive();
    }
  }

  /** Drops the claim if `keyConfigId` holds it. */
  async releaseActive(workspaceId: string, keyConfigId: string): Promise<void> {
    await this.claims.deleteOne({ _id: workspaceId, keyConfigId });
  }
}

function anotherActive(name?: string): ByokError {
  const which = name === undefined ? 'another configuration' : `"${name}"`;
  return new ByokError(
    ErrorCode.Conflict,
    `${which} is already scheduled for this workspace; rotate its key instead of adding a second one`,
    { details: { reason: 'another_configuration_scheduled' } },
  );
}
