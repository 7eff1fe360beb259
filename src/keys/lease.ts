/**
 * A lease on a background job, so that of several host processes exactly one runs it. The
 * lease is a document whose `_id` is the job id: taking it is an insert, which the database's
 * unique `_id` makes atomic on MongoDB and FerretDB alike (a conditional update is not atomic
 * on FerretDB). The holder renews it while working; a lease not renewed for its duration
 * belongs to a process that died, and may be taken over.
 */
import type { Collection, Db } from 'mongodb';

import type { Clock } from '../base/clock.js';
import { isDuplicateKey } from '../store/database.js';

interface LeaseDoc {
  _id: string;
  owner: string;
  /** Wall-clock ms until which the owner holds the lease. */
  until: number;
}

/** The outcome of {@link JobLeases.take}. */
export type LeaseAttempt = { taken: true } | { taken: false; retryInMs: number };

/** Leases of one kind of job. */
export class JobLeases {
  private readonly leases: Collection<LeaseDoc>;

  /**
   * @param owner - this process's id.
   * @param clock - wall clock: a lease measures whether a process is alive.
   */
  constructor(
    db: Db,
    collection: string,
    private readonly owner: string,
    private readonly clock: Clock,
    private readonly durationMs = 60_000,
  ) {
    this.leases = db.collection<LeaseDoc>(collection);
  }

  /** Takes the lease of `jobId`, or says when it may be free. */
  async take(jobId: string): Promise<LeaseAttempt> {
    const now = this.clock.now();
    if (await this.insert(jobId, now)) return { taken: true };

    const held = await this.leases.findOne({ _id: jobId });
    if (held === null) {
      return (await this.insert(jobId, now))
        ? { taken: true }
        : this.busy(now + this.durationMs, now);
    }
    if (held.owner === this.owner)
      return (await this.renew(jobId)) ? { taken: true } : this.busy(now, now);
    if (held.until >= now) return this.busy(held.until, now);

    // The holder stopped renewing: remove exactly its lease, then compete for a fresh one.
    await this.leases.deleteOne({ _id: jobId, owner: held.owner, until: held.until });
    return (await this.insert(jobId, now))
      ? { taken: true }
      : this.busy(now + this.durationMs, now);
  }

  /** Extends this process's lease; false when it is no longer ours. */
  async renew(jobId: string): Promise<boolean> {
    const result = await this.leases.updateOne(
      { _id: jobId, owner: this.owner },
      { $set: { until: this.clock.now() + this.durationMs } },
    );
    return result.matchedCount === 1;
  }

  /** Gives the lease up (after finishing, or when stopping). */
  async release(jobId: string): Promise<void> {
    await this.leases.deleteOne({ _id: jobId, owner: this.owner });
  }

  private async insert(jobId: string, now: number): Promise<boolean> {
    try {
      await this.leases.insertOne({ _id: jobId, owner: this.owner, until: now + this.durationMs });
      return true;
    } catch (error) {
      if (isDuplicateKey(error)) return false;
      throw error;
    }
  }

  private busy(until: number, now: number): LeaseAttempt {
    return { taken: false, retryInMs: Math.max(1_000, until - now + 1_000) };
  }
}
