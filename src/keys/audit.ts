/**
 * The key audit trail: one document per configuration change, test, selection change,
 * proceed, rotation, health change and key failure, including refused attempts. The trail is
 * append-only: this module only ever inserts, and nothing in the code base updates or deletes
 * its documents. Details hold safe facts only (ARNs, dates, step results, error codes), never
 * tokens, passwords or key material.
 */
import { type Collection, type Db, type Filter, ObjectId } from 'mongodb';
import { z } from 'zod';

import type { Clock } from '../base/clock.js';
import { parseInput } from '../tenancy/validation.js';

/** Who did something: an admin (API/console), a platform operator (CLI) or the platform itself. */
export interface Actor {
  kind: 'admin' | 'operator' | 'system';
  /** Admin id, operator name or component name. */
  id: string;
  /** What a reader of the trail sees: an e-mail, `cli:<user>` or `health-monitor`. */
  label: string;
}

/** Every action the trail records. */
export const AuditAction = {
  KeyCreated: 'key.created',
  KeyUpdated: 'key.updated',
  KeyChangeRefused: 'key.change_refused',
  KeyTested: 'key.tested',
  SelectionChanged: 'key.selection_changed',
  KeyProceeded: 'key.proceeded',
  RotationStarted: 'key.rotation_started',
  RotationRefused: 'key.rotation_refused',
  RotationFinished: 'key.rotation_finished',
  HealthChanged: 'key.health_changed',
  KeyFailure: 'key.failure',
} as const;
export type AuditAction = (typeof AuditAction)[keyof typeof AuditAction];

/** How an audited action ended. */
export type AuditOutcome = 'success' | 'failure' | 'refused';

/** One entry of the trail as stored and as returned. */
export interface AuditEntry {
  id: string;
  workspaceId: string;
  keyConfigId: string | null;
  at: string;
  actor: Actor;
  action: AuditAction;
  outcome: AuditOutcome;
  details: Record<string, unknown>;
}

interface AuditDoc extends Omit<AuditEntry, 'id' | 'at'> {
  _id: string;
  at: Date;
}

/** What a caller passes to {@link AuditLog.record}. */
export type AuditInput = Omit<AuditEntry, 'id' | 'at' | 'details'> & {
  details?: Record<string, unknown>;
};

/** Query of {@link AuditLog.list}: newest first, paged backwards with `before` (an ISO time). */
export const auditQuerySchema = z
  .object({
    limit: z.coerce.number().int().min(1).max(500).default(100),
    before: z.iso.datetime().optional(),
  })
  .strict();

/** The platform itself, as the actor of scheduled checks and background jobs. */
export const systemActor = (component: string): Actor => ({
  kind: 'system',
  id: component,
  label: component,
});

/** Appends to and reads the audit trail. */
export class AuditLog {
  private readonly entries: Collection<AuditDoc>;

  constructor(
    db: Db,
    private readonly clock: Clock,
  ) {
    this.entries = db.collection<AuditDoc>('key_audit');
  }

  /** Creates the indexes the reads use. Idempotent. */
  async ensureIndexes(): Promise<void> {
    await this.entries.createIndex({ workspaceId: 1, at: -1 });
    await this.entries.createIndex({ workspaceId: 1, keyConfigId: 1, at: -1 });
  }

  /** Appends one entry and returns it. */
  async record(input: AuditInput): Promise<AuditEntry> {
    const doc: AuditDoc = {
      // ObjectIds grow within a process, so entries written in one millisecond keep their order.
      _id: `aud_${new ObjectId().toHexString()}`,
      workspaceId: input.workspaceId,
      keyConfigId: input.keyConfigId,
      at: new Date(this.clock.now()),
      actor: input.actor,
      action: input.action,
      outcome: input.outcome,
      details: input.details ?? {},
    };
    await this.entries.insertOne(doc);
    return toEntry(doc);
  }

  /** The trail of a workspace, or of one of its keys, newest first. */
  async list(
    workspaceId: string,
    keyConfigId: string | null,
    query: unknown = {},
  ): Promise<AuditEntry[]> {
    const { limit, before } = parseInput(auditQuerySchema, query, 'audit query');
    const filter: Filter<AuditDoc> = { workspaceId };
    if (keyConfigId !== null) filter.keyConfigId = keyConfigId;
    if (before !== undefined) filter.at = { $lt: new Date(before) };

    const docs = await this.entries.find(filter).sort({ at: -1, _id: -1 }).limit(limit).toArray();
    return docs.map(toEntry);
  }
}

function toEntry(doc: AuditDoc): AuditEntry {
  const { _id, at, ...rest } = doc;
  return { id: _id, at: at.toISOString(), ...rest };
}
