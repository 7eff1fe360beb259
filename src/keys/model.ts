/**
 * The key configuration as stored and as shown, and the rules that derive its state. The
 * state is never stored as "enforced": it follows from the enforcement date and the clock, so
 * no timer has to flip it and every host process agrees on it.
 */
import type { Actor } from './audit.js';

/** A stored phase; `enforced` is derived from it and the date. */
export const KeyPhase = { Draft: 'draft', Tested: 'tested', Scheduled: 'scheduled' } as const;
export type KeyPhase = (typeof KeyPhase)[keyof typeof KeyPhase];

/** What an admin sees: draft -> tested -> scheduled -> enforced. */
export const KeyState = { ...KeyPhase, Enforced: 'enforced' } as const;
export type KeyState = (typeof KeyState)[keyof typeof KeyState];

/** The five Test Configuration steps, in order. */
export const TestStepId = {
  AssumeRole: 'assume_role',
  DescribeKey: 'describe_key',
  GenerateDataKey: 'generate_data_key',
  DecryptDataKey: 'decrypt_data_key',
  EncryptDecryptProbe: 'encrypt_decrypt_probe',
} as const;
export type TestStepId = (typeof TestStepId)[keyof typeof TestStepId];

/** One step's outcome: what failed, the AWS error code, and what the admin should change. */
export interface TestStep {
  id: TestStepId;
  title: string;
  status: 'pass' | 'fail' | 'skipped';
  /** The project's error code of a failure (`KEY_DISABLED`, ...). */
  code: string | null;
  /** The AWS error code behind it, when AWS answered (`AccessDeniedException`, ...). */
  awsCode: string | null;
  message: string | null;
  /** An action the admin can take to make the step pass. */
  fix: string | null;
}

/** One run of Test Configuration, stored on the configuration and in the audit trail. */
export interface TestResult {
  id: string;
  at: string;
  passed: boolean;
  cmkArn: string;
  roleArn: string;
  steps: TestStep[];
}

/** A CMK the configuration used before a rotation; old data keys may still be wrapped by it. */
export interface RetiredKey {
  cmkArn: string;
  roleArn: string;
  retiredAt: string;
}

/** The stored document. */
export interface KeyConfigDoc {
  _id: string;
  workspaceId: string;
  name: string;
  provider: 'aws';
  cmkArn: string;
  roleArn: string;
  /** YYYY-MM-DD; enforcement starts at 00:00 UTC of that day. */
  enforcementDate: string;
  phase: KeyPhase;
  lastTest: TestResult | null;
  /** Apps and bots left on the platform default key; everything else is selected. */
  deselectedAppIds: string[];
  deselectedBotIds: string[];
  retiredKeys: RetiredKey[];
  /** The rotation job currently moving data keys, if any. */
  rotationJobId: string | null;
  /** Bumped by every change; updates name the version they were based on. */
  version: number;
  createdBy: Actor;
  createdAt: Date;
  updatedAt: Date;
  proceededAt: Date | null;
}

/** The configuration as returned by the API and the CLI. */
export interface KeyConfig {
  id: string;
  workspaceId: string;
  name: string;
  provider: 'aws';
  cmkArn: string;
  roleArn: string;
  /** The workspace's external ID, to paste into the role's trust policy. */
  externalId: string;
  /** The platform principal the trust policy must name. */
  serviceRoleArn: string;
  enforcementDate: string;
  state: KeyState;
  lastTest: TestResult | null;
  retiredKeys: RetiredKey[];
  rotationJobId: string | null;
  version: number;
  createdBy: Actor;
  createdAt: string;
  updatedAt: string;
  proceededAt: string | null;
}

/** Milliseconds since the epoch at which a YYYY-MM-DD date starts in UTC. */
export function startOfDay(date: string): number {
  return Date.parse(`${date}T00:00:00.000Z`);
}

/** Today's date in UTC as YYYY-MM-DD. */
export function utcToday(now: number): string {
  return new Date(now).toISOString().slice(0, 10);
}

/** The state of a configuration at time `now`. */
export function stateAt(
  doc: Pick<KeyConfigDoc, 'phase' | 'enforcementDate'>,
  now: number,
): KeyState {
  if (doc.phase === KeyPhase.Scheduled && startOfDay(doc.enforcementDate) <= now) {
    return KeyState.Enforced;
  }
  return doc.phase;
}

/** Shapes a stored document for admins. */
export function toKeyConfig(
  doc: KeyConfigDoc,
  now: number,
  workspace: { externalId: string; serviceRoleArn: string },
): KeyConfig {
  return {
    id: doc._id,
    workspaceId: doc.workspaceId,
    name: doc.name,
    provider: doc.provider,
    cmkArn: doc.cmkArn,
    roleArn: doc.roleArn,
    externalId: workspace.externalId,
    serviceRoleArn: workspace.serviceRoleArn,
    enforcementDate: doc.enforcementDate,
    state: stateAt(doc, now),
    lastTest: doc.lastTest,
    retiredKeys: doc.retiredKeys,
    rotationJobId: doc.rotationJobId,
    version: doc.version,
    createdBy: doc.createdBy,
    createdAt: doc.createdAt.toISOString(),
    updatedAt: doc.updatedAt.toISOString(),
    proceededAt: doc.proceededAt?.toISOString() ?? null,
  };
}
