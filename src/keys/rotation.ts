/**
 * Key rotation. The new CMK is tested first with the same five steps; when it passes, the
 * configuration switches to it at once (new data keys are wrapped by it) and the old CMK is
 * kept as retired, so data keys it still wraps stay readable. A background job then rewraps
 * those data keys under the new CMK, batch by batch. Records are never touched: only the
 * wrapped data keys change.
 *
 * The job lives in MongoDB with its progress, so it survives a restart: a new process calls
 * {@link RotationService.resume}, which runs the rewrap again; the rewrap selects only data
 * keys still wrapped by an old key, so it continues where the last run stopped. A lease
 * (owner and expiry, renewed every batch) keeps two processes from running the same job.
 */
import type { Collection, Db } from 'mongodb';
import { z } from 'zod';

import { type Clock, systemClock } from '../base/clock.js';
import { ErrorCode, toByokError } from '../base/errors.js';
import type { Logger } from '../base/log.js';
import { rewrapDataKeys } from '../sealing/rewrap.js';
import type { KeyBinding } from '../sealing/types.js';
import type { KeyVault } from '../store/key-vault.js';
import { randomBase62, randomId } from '../tenancy/ids.js';
import { parseInput } from '../tenancy/validation.js';
import { type Actor, AuditAction, systemActor } from './audit.js';
import type { AwsKeyAccess, KeyTarget } from './aws-access.js';
import { type KeyConfig, type KeyConfigDoc, KeyPhase } from './model.js';
import { checkArns, checkVersion, RefusalReason, refused, versionSchema } from './rules.js';
import type { KeyConfigService, KeyServiceDeps } from './service.js';

/** Body of a rotation: the new key (and role, if it changes too). */
export const rotateSchema = z
  .object({
    cmkArn: z.string().min(1).max(2048),
    roleArn: z.string().min(1).max(2048).optional(),
    version: versionSchema,
  })
  .strict();

/** A rotation job as stored and shown. */
export interface RotationJob {
  id: string;
  workspaceId: string;
  keyConfigId: string;
  toCmkArn: string;
  /** CMKs whose data keys the job moves. */
  fromCmkArns: string[];
  status: 'running' | 'completed' | 'failed';
  total: number;
  moved: number;
  failed: number;
  /** The error code that stopped the job, if any. */
  error: string | null;
  startedBy: Actor;
  startedAt: string;
  updatedAt: string;
  finishedAt: string | null;
}

interface RotationJobDoc extends Omit<
  RotationJob,
  'id' | 'startedAt' | 'updatedAt' | 'finishedAt'
> {
  _id: string;
  toRoleArn: string;
  leaseOwner: string | null;
  leaseUntil: number;
  startedAt: Date;
  updatedAt: Date;
  finishedAt: Date | null;
}

/** What {@link RotationService} needs besides the shared key services. */
export interface RotationDeps {
  db: Db;
  access: AwsKeyAccess;
  /** The key vault whose data keys are rewrapped. */
  vault: KeyVault;
  logger: Logger;
  /** Data keys per batch (default 50). */
  batchSize?: number;
  /** Called after each batch's progress is stored; for progress displays and tests. */
  onProgress?: (job: RotationJob) => void | Promise<void>;
  /** Wall clock for leases (default the system clock): a lease is about a live process. */
  leaseClock?: Clock;
}

const leaseMs = 60_000;

/** Thrown from the progress callback to stop a rewrap between batches. */
class Stopped extends Error {}

/** Starts, runs, resumes and reports rotations. */
export class RotationService {
  private readonly jobs: Collection<RotationJobDoc>;
  private readonly owner = `host_${randomBase62(12)}`;
  private readonly running = new Map<string, { abort: AbortController; done: Promise<void> }>();
  private readonly leaseClock: Clock;
  private readonly log: Logger;

  constructor(
    private readonly keys: KeyServiceDeps,
    private readonly configs: KeyConfigService,
    private readonly deps: RotationDeps,
  ) {
    this.jobs = deps.db.collection<RotationJobDoc>('key_rotation_jobs');
    this.leaseClock = deps.leaseClock ?? systemClock;
    this.log = deps.logger.child({ component: 'key-rotation' });
  }

  /** Creates the indexes the reads use. Idempotent. */
  async ensureIndexes(): Promise<void> {
    await this.jobs.createIndex({ keyConfigId: 1, startedAt: -1 });
    await this.jobs.createIndex({ status: 1 });
  }

  /**
   * Tests the new key, switches the configuration to it and starts moving data keys. Refused
   * (409) unless the configuration is scheduled or enforced, while a rotation runs, for the
   * current key, or when the new key fails its test (`details.test` holds the steps).
   */
  async start(
    actor: Actor,
    workspaceId: string,
    id: string,
    input: unknown,
  ): Promise<{ config: KeyConfig; job: RotationJob }> {
    const body = parseInput(rotateSchema, input, 'rotation');
    const doc = await this.keys.store.get(workspaceId, id);
    checkVersion(doc, body.version);
    const roleArn = body.roleArn ?? doc.roleArn;
    const { cmk, roleArn: role } = checkArns(body.cmkArn, roleArn);
    await this.configs.refuseAudited(actor, doc, { action: 'rotate', toCmkArn: cmk.arn }, () => {
      this.checkRotatable(doc, cmk.arn, role);
    });

    const workspace = await this.keys.directory.getWorkspace(workspaceId);
    const test = await this.keys.tester.run({
      tenantId: workspaceId,
      cmkArn: cmk.arn,
      roleArn: role,
      externalId: workspace.externalId,
    });
    if (!test.passed) {
      await this.keys.audit.record({
        workspaceId,
        keyConfigId: id,
        actor,
        action: AuditAction.RotationRefused,
        outcome: 'refused',
        details: {
          toCmkArn: cmk.arn,
          testId: test.id,
          steps: test.steps.map((s) => ({ id: s.id, status: s.status, code: s.code })),
        },
      });
      throw refused(
        RefusalReason.RotationTestFailed,
        'the new key failed Test Configuration; fix the failing step and rotate again',
        { test },
      );
    }

    const now = new Date(this.keys.clock.now());
    const retiredKeys =
      doc.cmkArn === cmk.arn
        ? doc.retiredKeys
        : [
            ...doc.retiredKeys,
            { cmkArn: doc.cmkArn, roleArn: doc.roleArn, retiredAt: now.toISOString() },
          ];
    const job: RotationJobDoc = {
      _id: randomId('rot'),
      workspaceId,
      keyConfigId: id,
      toCmkArn: cmk.arn,
      toRoleArn: role,
      fromCmkArns: [...new Set(retiredKeys.map((k) => k.cmkArn))].filter((arn) => arn !== cmk.arn),
      status: 'running',
      total: 0,
      moved: 0,
      failed: 0,
      error: null,
      startedBy: actor,
      leaseOwner: null,
      leaseUntil: 0,
      startedAt: now,
      updatedAt: now,
      finishedAt: null,
    };
    job.total = await this.remaining(job);
    await this.jobs.insertOne(job);
    let next: KeyConfigDoc;
    try {
      next = await this.keys.store.update(
        doc,
        {
          $set: {
            cmkArn: cmk.arn,
            roleArn: role,
            retiredKeys,
            rotationJobId: job._id,
            lastTest: test,
          },
        },
        now,
      );
    } catch (error) {
      await this.finish(job._id, 'failed', toByokError(error).code);
      throw error;
    }

    await this.keys.audit.record({
      workspaceId,
      keyConfigId: id,
      actor,
      action: AuditAction.RotationStarted,
      outcome: 'success',
      details: {
        jobId: job._id,
        fromCmkArn: doc.cmkArn,
        toCmkArn: cmk.arn,
        toRoleArn: role,
        testId: test.id,
      },
    });
    this.keys.onChange(workspaceId);
    this.launch(job._id);
    return { config: await this.configs.view(next), job: toJob(job) };
  }

  /** The latest rotation job of a configuration, or null. */
  async latest(workspaceId: string, id: string): Promise<RotationJob | null> {
    await this.keys.store.get(workspaceId, id);
    const doc = await this.jobs
      .find({ workspaceId, keyConfigId: id })
      .sort({ startedAt: -1, _id: -1 })
      .limit(1)
      .next();
    return doc === null ? null : toJob(doc);
  }

  /** Resumes every unfinished job whose lease is free (call once at start-up). */
  async resume(): Promise<string[]> {
    const unfinished = await this.jobs
      .find({ status: 'running', leaseUntil: { $lt: this.leaseClock.now() } })
      .toArray();
    for (const job of unfinished) this.launch(job._id);
    return unfinished.map((j) => j._id);
  }

  /** Stops running jobs after their current batch and frees their leases. */
  async stop(): Promise<void> {
    for (const { abort } of this.running.values()) abort.abort();
    await this.idle();
  }

  /** Resolves when no job of this process is running; for shutdown and tests. */
  async idle(): Promise<void> {
    await Promise.all([...this.running.values()].map((r) => r.done));
  }

  private checkRotatable(doc: KeyConfigDoc, cmkArn: string, roleArn: string): void {
    if (doc.phase !== KeyPhase.Scheduled) {
      throw refused(
        RefusalReason.NotScheduled,
        'only a scheduled or enforced configuration is rotated; before proceeding, change the key instead',
      );
    }
    if (doc.rotationJobId !== null) {
      throw refused(
        RefusalReason.RotationRunning,
        'a rotation is still moving data keys; wait until it finishes',
        { jobId: doc.rotationJobId },
      );
    }
    if (doc.cmkArn === cmkArn && doc.roleArn === roleArn && doc.retiredKeys.length === 0) {
      throw refused(RefusalReason.SameKey, 'the configuration already uses this key');
    }
  }

  private launch(jobId: string): void {
    if (this.running.has(jobId)) return;
    const abort = new AbortController();
    const done = this.run(jobId, abort.signal)
      .catch((error: unknown) => {
        this.log.error({ err: error, jobId }, 'rotation job stopped by an error');
      })
      .finally(() => this.running.delete(jobId));
    this.running.set(jobId, { abort, done });
  }

  /**
   * Runs a job with the sealing layer's rewrap primitive, once per retired key. The primitive
   * only selects data keys still wrapped by the old key, so running it again after a restart
   * continues where the last run stopped; the stored counts carry over.
   */
  private async run(jobId: string, signal: AbortSignal): Promise<void> {
    let job = await this.claim(jobId);
    if (job === null) return;
    const current = job;
    const config = await this.keys.store.get(job.workspaceId, job.keyConfigId);
    const { externalId } = await this.keys.directory.getWorkspace(job.workspaceId);
    const target = (cmkArn: string, roleArn: string): KeyTarget => ({
      tenantId: current.workspaceId,
      cmkArn,
      roleArn,
      externalId,
    });
    const to: KeyBinding = {
      provider: this.deps.access.provider(target(job.toCmkArn, job.toRoleArn)),
      keyConfigId: job.keyConfigId,
      keyName: config.name,
    };

    try {
      for (const cmkArn of job.fromCmkArns) {
        const retired = config.retiredKeys.find((k) => k.cmkArn === cmkArn);
        const from = this.deps.access.provider(target(cmkArn, retired?.roleArn ?? job.toRoleArn));
        let reported = { moved: 0, failed: 0 };
        await rewrapDataKeys({
          vault: this.deps.vault,
          tenantId: job.workspaceId,
          keyConfigId: job.keyConfigId,
          from: { provider: from },
          to,
          batchSize: this.deps.batchSize ?? 50,
          clock: this.keys.clock,
          onProgress: async (p) => {
            const delta = { moved: p.moved - reported.moved, failed: p.failed - reported.failed };
            reported = { moved: p.moved, failed: p.failed };
            job = await this.progress(current._id, delta.moved, delta.failed);
            await this.deps.onProgress?.(toJob(job));
            if (signal.aborted) throw new Stopped();
          },
        });
      }
      const left = await this.remaining(job);
      await this.finish(
        jobId,
        left === 0 ? 'completed' : 'failed',
        left === 0 ? null : ErrorCode.DecryptFailed,
        left,
      );
    } catch (error) {
      if (error instanceof Stopped) {
        await this.jobs.updateOne(
          { _id: jobId, leaseOwner: this.owner },
          { $set: { leaseOwner: null, leaseUntil: 0 } },
        );
        return;
      }
      const failure = toByokError(error);
      this.log.warn({ jobId, code: failure.code }, 'rotation job failed');
      await this.finish(jobId, 'failed', failure.code);
    }
  }

  private async claim(jobId: string): Promise<RotationJobDoc | null> {
    const now = this.leaseClock.now();
    return this.jobs.findOneAndUpdate(
      {
        _id: jobId,
        status: 'running',
        $or: [{ leaseUntil: { $lt: now } }, { leaseOwner: this.owner }],
      },
      { $set: { leaseOwner: this.owner, leaseUntil: now + leaseMs } },
      { returnDocument: 'after' },
    );
  }

  /** Data keys the old keys still wrap. */
  private async remaining(
    job: Pick<RotationJobDoc, 'workspaceId' | 'keyConfigId' | 'fromCmkArns'>,
  ): Promise<number> {
    let left = 0;
    for (const keyRef of job.fromCmkArns) {
      left += await this.deps.vault.countWrappedBy({
        tenantId: job.workspaceId,
        keyConfigId: job.keyConfigId,
        keyRef,
      });
    }
    return left;
  }

  private async progress(jobId: string, moved: number, failed: number): Promise<RotationJobDoc> {
    const next = await this.jobs.findOneAndUpdate(
      { _id: jobId, leaseOwner: this.owner },
      {
        $set: {
          updatedAt: new Date(this.keys.clock.now()),
          leaseUntil: this.leaseClock.now() + leaseMs,
        },
        $inc: { moved, failed },
      },
      { returnDocument: 'after' },
    );
    if (next === null) throw new Stopped('the rotation job lease was taken by another process');
    return next;
  }

  /** Ends a job; `failed`, when given, replaces the running count with what is left over. */
  private async finish(
    jobId: string,
    status: 'completed' | 'failed',
    error: string | null,
    failed?: number,
  ): Promise<void> {
    const now = new Date(this.keys.clock.now());
    const ended = {
      status,
      error,
      finishedAt: now,
      updatedAt: now,
      leaseOwner: null,
      leaseUntil: 0,
    };
    const job = await this.jobs.findOneAndUpdate(
      { _id: jobId, status: 'running', leaseOwner: { $in: [this.owner, null] } },
      { $set: failed === undefined ? ended : { ...ended, failed } },
      { returnDocument: 'after' },
    );
    if (job === null) return;
    await this.keys.store.clearRotation(job.workspaceId, job.keyConfigId, jobId);
    await this.keys.audit.record({
      workspaceId: job.workspaceId,
      keyConfigId: job.keyConfigId,
      actor: systemActor('key-rotation'),
      action: AuditAction.RotationFinished,
      outcome: status === 'completed' ? 'success' : 'failure',
      details: { jobId, status, total: job.total, moved: job.moved, failed: job.failed, error },
    });
    this.keys.onChange(job.workspaceId);
  }
}

function toJob(doc: RotationJobDoc): RotationJob {
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
