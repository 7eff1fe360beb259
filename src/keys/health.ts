/**
 * Key health: every scheduled configuration's key is checked on a schedule and whenever an
 * operation with it fails. A check assumes the role afresh, describes the key and round-trips
 * a probe value, so it notices a changed trust policy, key policy or key state. The status
 * (healthy, access lost with its reason, KMS unreachable) is stored per configuration and
 * every change of it is audited.
 *
 * Checks are isolated: each runs with its own timeout and its failure is caught, so one
 * workspace losing its key never delays or stops another's checks, nor anything else.
 */
import type { Collection, Db } from 'mongodb';

import type { EncryptionContext } from '../aws/key-provider.js';
import type { Clock } from '../base/clock.js';
import { ByokError, ErrorCode, toByokError } from '../base/errors.js';
import type { Logger } from '../base/log.js';
import type { TenancyDirectory } from '../tenancy/directory.js';
import { type Actor, AuditAction, type AuditLog, systemActor } from './audit.js';
import type { AwsKeyAccess, KeyTarget } from './aws-access.js';
import { fixFor } from './fixes.js';
import type { KeyConfigDoc } from './model.js';
import type { KeyConfigStore } from './store.js';
import { checkKeyState, probeRoundTrip } from './test-configuration.js';

/** What a key's health can be. */
export const HealthStatus = {
  Unknown: 'unknown',
  Healthy: 'healthy',
  AccessLost: 'access_lost',
  KmsUnreachable: 'kms_unreachable',
} as const;
export type HealthStatus = (typeof HealthStatus)[keyof typeof HealthStatus];

/** A key configuration's health as stored and shown. */
export interface KeyHealth {
  keyConfigId: string;
  workspaceId: string;
  status: HealthStatus;
  /** The error code behind a non-healthy status (`KEY_DISABLED`, `KMS_UNAVAILABLE`, ...). */
  reason: string | null;
  awsCode: string | null;
  message: string | null;
  fix: string | null;
  checkedAt: string | null;
  changedAt: string | null;
}

interface HealthDoc extends Omit<KeyHealth, 'keyConfigId' | 'checkedAt' | 'changedAt'> {
  _id: string;
  checkedAt: Date | null;
  changedAt: Date | null;
}

/** What {@link KeyHealthMonitor} needs. */
export interface KeyHealthDeps {
  db: Db;
  store: KeyConfigStore;
  directory: TenancyDirectory;
  access: AwsKeyAccess;
  audit: AuditLog;
  clock: Clock;
  logger: Logger;
  serviceRoleArn: string;
  encryptionContext: (tenantId: string) => EncryptionContext;
  /** Seconds between scheduled rounds (BYOK_HEALTH_INTERVAL_SECONDS, default 900). */
  intervalSeconds?: number;
  /** Longest one key's check may take before it counts as KMS unreachable (default 20 s). */
  checkTimeoutMs?: number;
}

const accessCodes: ReadonlySet<string> = new Set<string>([
  ErrorCode.RoleTrustNotConfigured,
  ErrorCode.KeyAccessDenied,
  ErrorCode.KeyDisabled,
  ErrorCode.KeyPendingDeletion,
  ErrorCode.KeyNotFound,
  ErrorCode.KeyUnusable,
]);
const unreachableCodes: ReadonlySet<string> = new Set<string>([
  ErrorCode.KmsUnavailable,
  ErrorCode.KmsThrottled,
  ErrorCode.StsUnavailable,
]);
/** Checks run at once in a scheduled round. */
const roundConcurrency = 4;
/** A key failure is audited at most this often per key and code, so a busy bot cannot flood. */
const failureAuditIntervalMs = 60_000;
/** Failures re-check a key at most this often, so failing traffic cannot hammer KMS. */
const failureCheckIntervalMs = 30_000;

/** Watches the keys of every workspace. */
export class KeyHealthMonitor {
  private readonly health: Collection<HealthDoc>;
  private readonly inFlight = new Map<string, Promise<KeyHealth>>();
  private readonly lastFailureAudit = new Map<string, number>();
  private readonly lastFailureCheck = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;
  private readonly log: Logger;

  constructor(private readonly deps: KeyHealthDeps) {
    this.health = deps.db.collection<HealthDoc>('key_health');
    this.log = deps.logger.child({ component: 'key-health' });
  }

  /** Starts the scheduled rounds. The timer does not keep the process alive. */
  start(): void {
    if (this.timer !== undefined) return;
    const ms = (this.deps.intervalSeconds ?? 900) * 1000;
    this.timer = setInterval(() => void this.checkAll(), ms);
    this.timer.unref();
  }

  /** Stops the scheduled rounds; checks already running finish on their own. */
  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Checks every scheduled configuration, a few at a time. Never throws. */
  async checkAll(): Promise<void> {
    let configs: KeyConfigDoc[];
    try {
      configs = await this.deps.store.listScheduled();
    } catch (error) {
      this.log.warn({ err: error }, 'health round could not list the keys');
      return;
    }
    for (let i = 0; i < configs.length; i += roundConcurrency) {
      await Promise.allSettled(
        configs
          .slice(i, i + roundConcurrency)
          .map((doc) => this.checkDoc(doc, systemActor('health-monitor'))),
      );
    }
  }

  /** Checks one configuration now (the "check now" action) and returns its health. */
  async check(actor: Actor, workspaceId: string, keyConfigId: string): Promise<KeyHealth> {
    return this.checkDoc(await this.deps.store.get(workspaceId, keyConfigId), actor);
  }

  /** The stored health of a configuration (`unknown` before its first check). */
  async get(workspaceId: string, keyConfigId: string): Promise<KeyHealth> {
    await this.deps.store.get(workspaceId, keyConfigId);
    const doc = await this.health.findOne({ _id: keyConfigId, workspaceId });
    return doc === null ? unknownHealth(workspaceId, keyConfigId) : toHealth(doc);
  }

  /**
   * Called by any operation that failed with a tenant key: records the failure, audits it and
   * re-checks the key. Never throws, so callers may fire and forget it.
   */
  async reportKeyFailure(
    tenantId: string,
    keyConfigId: string | null,
    error: unknown,
  ): Promise<KeyHealth | null> {
    if (keyConfigId === null) return null;
    try {
      const failure = toByokError(error);
      if (!accessCodes.has(failure.code) && !unreachableCodes.has(failure.code)) return null;
      const doc = await this.deps.store.get(tenantId, keyConfigId);

      const throttleKey = `${keyConfigId}/${failure.code}`;
      const last = this.lastFailureAudit.get(throttleKey) ?? 0;
      if (this.deps.clock.now() - last >= failureAuditIntervalMs) {
        if (this.lastFailureAudit.size > 10_000) this.lastFailureAudit.clear();
        this.lastFailureAudit.set(throttleKey, this.deps.clock.now());
        await this.deps.audit.record({
          workspaceId: tenantId,
          keyConfigId,
          actor: systemActor('key-use'),
          action: AuditAction.KeyFailure,
          outcome: 'failure',
          details: {
            code: failure.code,
            awsCode: failure.details?.awsCode ?? null,
            operation: failure.details?.operation ?? null,
          },
        });
      }
      const lastCheck = this.lastFailureCheck.get(keyConfigId) ?? Number.NEGATIVE_INFINITY;
      if (this.deps.clock.now() - lastCheck < failureCheckIntervalMs) {
        return await this.get(tenantId, keyConfigId);
      }
      if (this.lastFailureCheck.size > 10_000) this.lastFailureCheck.clear();
      this.lastFailureCheck.set(keyConfigId, this.deps.clock.now());
      return await this.checkDoc(doc, systemActor('key-use'));
    } catch (failure) {
      this.log.warn({ err: failure, keyConfigId }, 'key failure could not be recorded');
      return null;
    }
  }

  /** One check per key at a time; concurrent callers share it. */
  private checkDoc(doc: KeyConfigDoc, actor: Actor): Promise<KeyHealth> {
    const running = this.inFlight.get(doc._id);
    if (running !== undefined) return running;
    const check = this.runCheck(doc, actor).finally(() => this.inFlight.delete(doc._id));
    this.inFlight.set(doc._id, check);
    return check;
  }

  private async runCheck(doc: KeyConfigDoc, actor: Actor): Promise<KeyHealth> {
    const { externalId } = await this.deps.directory.getWorkspace(doc.workspaceId);
    const target: KeyTarget = {
      tenantId: doc.workspaceId,
      cmkArn: doc.cmkArn,
      roleArn: doc.roleArn,
      externalId,
    };
    let failure: ByokError | null = null;
    try {
      await withTimeout(this.probe(target), this.deps.checkTimeoutMs ?? 20_000);
    } catch (error) {
      failure = toByokError(error);
    }
    return this.save(doc, actor, failure, target);
  }

  private async probe(target: KeyTarget): Promise<void> {
    await this.deps.access.assumeRole(target);
    const provider = this.deps.access.provider(target);
    checkKeyState(await provider.describe());
    await probeRoundTrip(provider, this.deps.encryptionContext(target.tenantId));
  }

  private async save(
    doc: KeyConfigDoc,
    actor: Actor,
    failure: ByokError | null,
    target: KeyTarget,
  ): Promise<KeyHealth> {
    const now = new Date(this.deps.clock.now());
    const status =
      failure === null
        ? HealthStatus.Healthy
        : accessCodes.has(failure.code)
          ? HealthStatus.AccessLost
          : HealthStatus.KmsUnreachable;
    const awsCode = failure?.details?.awsCode;
    const fields = {
      workspaceId: doc.workspaceId,
      status,
      reason: failure?.code ?? null,
      awsCode: typeof awsCode === 'string' ? awsCode : null,
      message:
        failure === null
          ? null
          : failure.fault === 'internal'
            ? 'the check failed unexpectedly'
            : failure.message,
      fix:
        failure === null
          ? null
          : fixFor(failure, { ...target, serviceRoleArn: this.deps.serviceRoleArn }),
      checkedAt: now,
    };

    const before = await this.health.findOneAndUpdate(
      { _id: doc._id },
      { $set: fields, $setOnInsert: { changedAt: now } },
      { upsert: true, returnDocument: 'before' },
    );
    const changed = before === null || before.status !== status || before.reason !== fields.reason;
    if (changed && before !== null)
      await this.health.updateOne({ _id: doc._id }, { $set: { changedAt: now } });
    if (changed) {
      if (failure !== null)
        this.log.warn(
          { keyConfigId: doc._id, workspaceId: doc.workspaceId, code: failure.code },
          'key health changed',
        );
      await this.deps.audit.record({
        workspaceId: doc.workspaceId,
        keyConfigId: doc._id,
        actor,
        action: AuditAction.HealthChanged,
        outcome: failure === null ? 'success' : 'failure',
        details: {
          from: before?.status ?? HealthStatus.Unknown,
          to: status,
          reason: fields.reason,
          awsCode: fields.awsCode,
        },
      });
    }
    return toHealth({
      _id: doc._id,
      ...fields,
      changedAt: before === null || changed ? now : (before.changedAt ?? now),
    });
  }
}

function unknownHealth(workspaceId: string, keyConfigId: string): KeyHealth {
  return {
    keyConfigId,
    workspaceId,
    status: HealthStatus.Unknown,
    reason: null,
    awsCode: null,
    message: null,
    fix: null,
    checkedAt: null,
    changedAt: null,
  };
}

function toHealth(doc: HealthDoc): KeyHealth {
  const { _id, checkedAt, changedAt, ...rest } = doc;
  return {
    keyConfigId: _id,
    ...rest,
    checkedAt: checkedAt?.toISOString() ?? null,
    changedAt: changedAt?.toISOString() ?? null,
  };
}

async function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      reject(
        new ByokError(ErrorCode.KmsUnavailable, `the key check did not finish within ${ms} ms`, {
          details: { awsCode: 'Timeout' },
        }),
      );
    }, ms);
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
