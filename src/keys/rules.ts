/**
 * The rules that decide whether a key configuration may change, in one place so the API, the
 * CLI and the console read the same reasons. Every refusal is `CONFLICT` with a stable
 * `details.reason` the console can branch on, and a message an admin can act on.
 */
import { z } from 'zod';

import { type KmsKeyArn, parseIamRoleArn, parseKmsKeyArn } from '../aws/arn.js';
import { ByokError, ErrorCode } from '../base/errors.js';
import { type KeyConfigDoc, KeyPhase, KeyState, stateAt, utcToday } from './model.js';

/** Stable reasons for refused key changes. */
export const RefusalReason = {
  Enforced: 'enforced',
  TestRequired: 'test_required',
  AlreadyScheduled: 'already_scheduled',
  NotScheduled: 'not_scheduled',
  EnforcementDatePassed: 'enforcement_date_passed',
  RotationRunning: 'rotation_running',
  RotationTestFailed: 'rotation_test_failed',
  SameKey: 'same_key',
} as const;
export type RefusalReason = (typeof RefusalReason)[keyof typeof RefusalReason];

/** A refusal with its reason. */
export function refused(
  reason: RefusalReason,
  message: string,
  details: Record<string, unknown> = {},
): ByokError {
  return new ByokError(ErrorCode.Conflict, message, { details: { reason, ...details } });
}

/** A calendar date written YYYY-MM-DD that exists (no 2026-02-30). */
export const dateSchema = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'a date written YYYY-MM-DD')
  .refine((v) => {
    const ms = Date.parse(`${v}T00:00:00.000Z`);
    return !Number.isNaN(ms) && new Date(ms).toISOString().startsWith(v);
  }, 'a calendar date that exists');

/** The optional `version` a change is based on; omitted means "whatever is stored now". */
export const versionSchema = z.number().int().min(1).optional();

/** Refuses an enforcement date before today (UTC). */
export function checkEnforcementDate(date: string, now: number): void {
  const today = utcToday(now);
  if (date < today) {
    throw new ByokError(
      ErrorCode.BadInput,
      `the enforcement date ${date} is in the past; choose today (${today}, UTC) or later`,
      { details: { issues: [{ path: 'enforcementDate', message: 'today or later (UTC)' }] } },
    );
  }
}

/**
 * Parses both ARNs and checks they fit together: the role and the key must be in the same
 * partition and account, because the role is the customer's key user in their own account.
 */
export function checkArns(cmkArn: unknown, roleArn: unknown): { cmk: KmsKeyArn; roleArn: string } {
  const cmk = parseKmsKeyArn(cmkArn);
  const role = parseIamRoleArn(roleArn);
  if (cmk.partition !== role.partition) {
    throw new ByokError(
      ErrorCode.InvalidArn,
      `the key is in partition ${cmk.partition} but the role in ${role.partition}; both must be in the same partition`,
      { details: { field: 'partition', reason: 'partition_mismatch' } },
    );
  }
  if (cmk.accountId !== role.accountId) {
    throw new ByokError(
      ErrorCode.InvalidArn,
      `the key belongs to account ${cmk.accountId} but the role to ${role.accountId}; use a role of the key's account`,
      { details: { field: 'account', reason: 'account_mismatch' } },
    );
  }
  return { cmk, roleArn: role.arn };
}

/** Refuses a stale `version`. */
export function checkVersion(doc: KeyConfigDoc, expected: number | undefined): void {
  if (expected === undefined || expected === doc.version) return;
  throw staleVersion(doc.version);
}

/** The refusal of a change based on a version that is no longer the stored one. */
export function staleVersion(currentVersion?: number): ByokError {
  return new ByokError(
    ErrorCode.Conflict,
    'the key configuration was changed by someone else in the meantime; reload it and try again',
    {
      details: {
        reason: 'version_mismatch',
        ...(currentVersion === undefined ? {} : { currentVersion }),
      },
    },
  );
}

/**
 * Refuses any change but rotation and selection once the configuration is enforced: from the
 * enforcement date, data is sealed under the CMK and changing it underneath would strand it.
 */
export function checkEditable(doc: KeyConfigDoc, now: number, fields: readonly string[]): void {
  if (stateAt(doc, now) !== KeyState.Enforced) return;
  throw refused(
    RefusalReason.Enforced,
    `the key configuration is enforced since ${doc.enforcementDate}; from that date only the key ` +
      `can be rotated and the app and bot selection changed (refused: ${fields.join(', ')})`,
    { fields },
  );
}

/** Refuses to proceed unless the latest test passed and the date is still ahead. */
export function checkProceed(doc: KeyConfigDoc, now: number): void {
  if (doc.phase === KeyPhase.Scheduled) {
    throw refused(RefusalReason.AlreadyScheduled, 'the key configuration is already scheduled');
  }
  if (doc.phase !== KeyPhase.Tested || doc.lastTest?.passed !== true) {
    throw refused(
      RefusalReason.TestRequired,
      'run Test Configuration and make all five steps pass before proceeding',
    );
  }
  if (doc.enforcementDate < utcToday(now)) {
    throw refused(
      RefusalReason.EnforcementDatePassed,
      `the enforcement date ${doc.enforcementDate} has passed; choose today or a later date, test again and proceed`,
    );
  }
}

/** Refuses a selection change before a test has passed. */
export function checkSelectable(doc: KeyConfigDoc): void {
  if (doc.phase !== KeyPhase.Draft) return;
  throw refused(
    RefusalReason.TestRequired,
    'run Test Configuration and make all five steps pass before choosing apps and bots',
  );
}
