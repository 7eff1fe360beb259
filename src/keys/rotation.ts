/**
 * Key rotation. The new CMK is tested first with the same five steps; when it passes, the
 * configuration switches to it at once (new data keys are wrapped by it) and the old CMK is
 * kept as retired, so data keys it still wraps stay readable. A background job then rewraps
 * those data keys under the new CMK, batch by batch. Records are never touched: only the
 * wrapped data keys change.
 *
 * The job lives in MongoDB with its progress, so it survives a restart: a new process calls
 * {@link RotationService.resume} and the job continues (see `rotation-runner.ts`).
 */
import { z } from 'zod';

import { toByokError } from '../base/errors.js';
import { randomId } from '../tenancy/ids.js';
import { parseInput } from '../tenancy/validation.js';
import { type Actor, AuditAction } from './audit.js';
import { type KeyConfig, type KeyConfigDoc, KeyPhase } from './model.js';
import { type RotationJob, type RotationJobDoc, toJob } from './rotation-jobs.js';
import { RotationRunner, type RotationRunnerDeps } from './rotation-runner.js';
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

/** Starts, runs, resumes and reports rotations. */
export class RotationService {
  private readonly runner: RotationRunner;

  constructor(
    private readonly keys: KeyServiceDeps,
    private readonly configs: KeyConfigService,
    deps: RotationRunnerDeps,
  ) {
    this.runner = new RotationRunner(keys, deps);
  }

  /** Creates the indexes the reads use. Idempotent. */
  async ensureIndexes(): Promise<void> {
    await this.runner.jobs.ensureIndexes();
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
      startedAt: now,
      updatedAt: now,
      finishedAt: null,
    };
    job.total = await this.runner.remaining(job);
    await this.runner.jobs.insert(job);
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
      await this.runner.finish(job._id, 'failed', toByokError(error).code);
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
    this.runner.launch(job._id);
    return { config: await this.configs.view(next), job: toJob(job) };
  }

  /** The latest rotation job of a configuration, or null. */
  async latest(workspaceId: string, id: string): Promise<RotationJob | null> {
    await this.keys.store.get(workspaceId, id);
    const doc = await this.runner.jobs.latest(workspaceId, id);
    return doc === null ? null : toJob(doc);
  }

  /** Resumes every unfinished job (call once at start-up); returns their ids. */
  resume(): Promise<string[]> {
    return this.runner.resume();
  }

  /** Stops running jobs after their current batch and frees their leases. */
  stop(): Promise<void> {
    return this.runner.stop();
  }

  /** Resolves when no job of this process is running; for shutdown and tests. */
  idle(): Promise<void> {
    return this.runner.idle();
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
}
