/**
 * Runs rotation jobs in the background. A job rewraps, with the sealing layer's rewrap
 * primitive, every data key of the configuration that a retired CMK still wraps. The primitive
 * selects only data keys still wrapped by the old key, so running a job again after a crash
 * or a stop simply continues; the stored counts carry over. A lease keeps two processes from
 * running one job at once.
 */
import type { Db } from 'mongodb';

import { type Clock, systemClock } from '../base/clock.js';
import { ErrorCode, toByokError } from '../base/errors.js';
import type { Logger } from '../base/log.js';
import { rewrapDataKeys } from '../sealing/rewrap.js';
import type { KeyBinding } from '../sealing/types.js';
import type { KeyVault } from '../store/key-vault.js';
import { randomBase62 } from '../tenancy/ids.js';
import { AuditAction, systemActor } from './audit.js';
import type { AwsKeyAccess, KeyTarget } from './aws-access.js';
import { JobLeases } from './lease.js';
import { type RotationJob, type RotationJobDoc, RotationJobs, toJob } from './rotation-jobs.js';
import type { KeyServiceDeps } from './service.js';

/** What {@link RotationRunner} needs besides the shared key services. */
export interface RotationRunnerDeps {
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

/** Thrown from the progress callback to stop a rewrap between batches. */
class Stopped extends Error {}

/** Runs, resumes and stops rotation jobs of this process. */
export class RotationRunner {
  readonly jobs: RotationJobs;
  private readonly leases: JobLeases;
  private readonly running = new Map<string, { abort: AbortController; done: Promise<void> }>();
  private readonly retries = new Map<string, NodeJS.Timeout>();
  private stopped = false;
  private readonly log: Logger;

  constructor(
    private readonly keys: KeyServiceDeps,
    private readonly deps: RotationRunnerDeps,
  ) {
    this.jobs = new RotationJobs(deps.db);
    const owner = `host_${randomBase62(12)}`;
    this.leases = new JobLeases(
      deps.db,
      'key_rotation_leases',
      owner,
      deps.leaseClock ?? systemClock,
    );
    this.log = deps.logger.child({ component: 'key-rotation' });
  }

  /** Data keys the retired CMKs of a job still wrap. */
  async remaining(
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

  /** Starts a job in the background unless this process already runs it. */
  launch(jobId: string): void {
    if (this.stopped || this.running.has(jobId)) return;
    const abort = new AbortController();
    const done = this.run(jobId, abort.signal)
      .catch((error: unknown) => {
        this.log.error({ err: error, jobId }, 'rotation job stopped by an error');
      })
      .finally(() => this.running.delete(jobId));
    this.running.set(jobId, { abort, done });
  }

  /** Launches every unfinished job; ones leased by a live process are retried when free. */
  async resume(): Promise<string[]> {
    this.stopped = false;
    const ids = await this.jobs.running();
    for (const id of ids) this.launch(id);
    return ids;
  }

  /** Stops this process's jobs after their current batch and frees their leases. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const timer of this.retries.values()) clearTimeout(timer);
    this.retries.clear();
    for (const { abort } of this.running.values()) abort.abort();
    await this.idle();
  }

  /** Resolves when no job of this process is running. */
  async idle(): Promise<void> {
    await Promise.all([...this.running.values()].map((r) => r.done));
  }

  /** Ends a job, frees its configuration for the next rotation and audits the outcome. */
  async finish(
    jobId: string,
    status: 'completed' | 'failed',
    error: string | null,
    failed?: number,
  ): Promise<void> {
    const outcome = failed === undefined ? { status, error } : { status, error, failed };
    const job = await this.jobs.finish(jobId, outcome, new Date(this.keys.clock.now()));
    await this.leases.release(jobId);
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

  private async run(jobId: string, signal: AbortSignal): Promise<void> {
    const lease = await this.leases.take(jobId);
    if (!lease.taken) {
      this.retryLater(jobId, lease.retryInMs);
      return;
    }
    const job = await this.jobs.get(jobId);
    if (job?.status !== 'running') {
      await this.leases.release(jobId);
      return;
    }

    try {
      await this.rewrapAll(job, signal);
      const left = await this.remaining(job);
      await this.finish(
        jobId,
        left === 0 ? 'completed' : 'failed',
        left === 0 ? null : ErrorCode.DecryptFailed,
        left,
      );
    } catch (error) {
      if (error instanceof Stopped) {
        await this.leases.release(jobId);
        return;
      }
      const failure = toByokError(error);
      this.log.warn({ jobId, code: failure.code }, 'rotation job failed');
      await this.finish(jobId, 'failed', failure.code);
    }
  }

  /** Rewraps the data keys of every retired CMK of the job under its new CMK. */
  private async rewrapAll(job: RotationJobDoc, signal: AbortSignal): Promise<void> {
    const config = await this.keys.store.get(job.workspaceId, job.keyConfigId);
    const { externalId } = await this.keys.directory.getWorkspace(job.workspaceId);
    const target = (cmkArn: string, roleArn: string): KeyTarget => ({
      tenantId: job.workspaceId,
      cmkArn,
      roleArn,
      externalId,
    });
    const to: KeyBinding = {
      provider: this.deps.access.provider(target(job.toCmkArn, job.toRoleArn)),
      keyConfigId: job.keyConfigId,
      keyName: config.name,
    };

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
          const now = new Date(this.keys.clock.now());
          const next = await this.jobs.addProgress(
            job._id,
            p.moved - reported.moved,
            p.failed - reported.failed,
            now,
          );
          reported = { moved: p.moved, failed: p.failed };
          if (!(await this.leases.renew(job._id)))
            throw new Stopped('the lease passed to another process');
          await this.deps.onProgress?.(toJob(next));
          if (signal.aborted) throw new Stopped('stopped');
        },
      });
    }
  }

  /** Tries a job again once its lease may be free; at most one pending retry per job. */
  private retryLater(jobId: string, ms: number): void {
    if (this.stopped || this.retries.has(jobId)) return;
    const timer = setTimeout(() => {
      this.retries.delete(jobId);
      this.launch(jobId);
    }, ms);
    timer.unref();
    this.retries.set(jobId, timer);
  }
}
