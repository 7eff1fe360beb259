/**
 * Rotation jobs in MongoDB: what a rotation moves, from which keys to which, and how far it
 * got. Progress is counted here so an admin page (and a restarted process) can read it; only
 * the process holding the job's lease writes to a running job.
 */
import type { Collection, Db } from 'mongodb';

import type { Actor } from './audit.js';

/** A rotation job as shown to admins. */
export interface RotationJob {
  id: string;
  workspaceId: string;
  keyConfigId: string;
  toCmkArn: string;
  /** CMKs whose data keys the job moves. */
  fromCmkArns: string[];
  status: 'running' | 'completed' | 'failed';
  /** Data keys the old CMKs wrapped when the job started. */
  total: number;
  moved: number;
  /** Data keys left behind: they stay readable through the retired key. */
  failed: number;
  /** The error code that stopped the job, if any. */
  error: string | null;
  startedBy: Actor;
  startedAt: string;
  updatedAt: string;
  finishedAt: string | null;
}

/** The stored job. */
export interface RotationJobDoc extends Omit<
  RotationJob,
  'id' | 'startedAt' | 'updatedAt' | 'finishedAt'
> {
  _id: string;
  toRoleArn: string;
  startedAt: Date;
  updatedAt: Date;
  finishedAt: Date | null;
}

/** Shapes a stored job for admins. */
export function toJob(doc: RotationJobDoc): RotationJob {
  return {
    id: doc._id,
    workspaceId: doc.workspaceId,
    keyConfigId: doc.keyConfigId,
    toCmkArn: doc.toCmkArn,
    fromCmkArns: doc.fromCmkArns,
    status: doc.status,
    total: doc.total,
    moved: doc.moved,
    failed: doc.failed,
    error: doc.error,
    startedBy: doc.startedBy,
    startedAt: doc.startedAt.toISOString(),
    updatedAt: doc.updatedAt.toISOString(),
    finishedAt: doc.finishedAt?.toISOString() ?? null,
  };
}

/** The rotation job collection. */
export class RotationJobs {
  private readonly jobs: Collection<RotationJobDoc>;

  constructor(db: Db) {
    this.jobs = db.collection<RotationJobDoc>('key_rotation_jobs');
  }

  /** Creates the indexes the reads use. Idempotent. */
  async ensureIndexes(): Promise<void> {
    await this.jobs.createIndex({ keyConfigId: 1, startedAt: -1 });
    await this.jobs.createIndex({ status: 1 });
  }

  async insert(job: RotationJobDoc): Promise<void> {
    await this.jobs.insertOne(job);
  }

  async get(jobId: string): Promise<RotationJobDoc | null> {
    return this.jobs.findOne({ _id: jobId });
  }

  /** The newest job of a configuration. */
  async latest(workspaceId: string, keyConfigId: string): Promise<RotationJobDoc | null> {
    return this.jobs
      .find({ workspaceId, keyConfigId })
      .sort({ startedAt: -1, _id: -1 })
      .limit(1)
      .next();
  }

  /** Ids of every job still running (or interrupted). */
  async running(): Promise<string[]> {
    const docs = await this.jobs.find({ status: 'running' }, { projection: { _id: 1 } }).toArray();
    return docs.map((d) => d._id);
  }

  /** Adds a batch's counts. Only the lease holder calls it. */
  async addProgress(
    jobId: string,
    moved: number,
    failed: number,
    now: Date,
  ): Promise<RotationJobDoc> {
    const next = await this.jobs.findOneAndUpdate(
      { _id: jobId },
      { $inc: { moved, failed }, $set: { updatedAt: now } },
      { returnDocument: 'after' },
    );
    if (next === null) throw new Error(`rotation job ${jobId} disappeared`);
    return next;
  }

  /** Ends a running job; null when it had already ended. */
  async finish(
    jobId: string,
    outcome: { status: 'completed' | 'failed'; error: string | null; failed?: number },
    now: Date,
  ): Promise<RotationJobDoc | null> {
    const { failed, ...rest } = outcome;
    return this.jobs.findOneAndUpdate(
      { _id: jobId, status: 'running' },
      {
        $set: {
          ...rest,
          ...(failed === undefined ? {} : { failed }),
          finishedAt: now,
          updatedAt: now,
        },
      },
      { returnDocument: 'after' },
    );
  }
}
