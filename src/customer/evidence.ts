/**
 * What the verification checklist looks at, gathered either online (the customer's AWS
 * account) or offline (JSON files). Both collectors produce the same {@link Evidence}, so the
 * checks are pure functions with one source of truth for the rules.
 */
import type { Policy } from './policy-document.js';

/** Something read from AWS or a file: the value, or why it could not be read. */
export type Fetched<T> =
  | { ok: true; value: T }
  | {
      ok: false;
      /** The AWS error code (NoSuchEntity, AccessDenied, NotFoundException, ...) or FileError. */
      code: string;
      /** What went wrong, for the person running the check. */
      reason: string;
    };

/** Wraps a value as successfully read. */
export function found<T>(value: T): Fetched<T> {
  return { ok: true, value };
}

/** Records why something could not be read. */
export function missing<T>(code: string, reason: string): Fetched<T> {
  return { ok: false, code, reason };
}

/** The role's permissions policy the platform relies on. */
export interface PermissionPolicy {
  name: string;
  /** ARN of a managed policy; absent for inline policies and files. */
  arn?: string;
  kind: 'managed' | 'inline' | 'file';
  policy: Policy;
}

/** A policy attached to the role (managed) or embedded in it (inline). */
export interface AttachedPolicy {
  name: string;
  arn?: string;
  kind: 'managed' | 'inline';
}

/** What DescribeKey says, reduced to the facts the checks need. */
export interface KeyFacts {
  arn: string;
  /** KeyState: Enabled, Disabled, PendingDeletion, PendingImport, Unavailable, ... */
  state: string;
  spec: string;
  usage: string;
}

/** What the platform expects to find, from the admin's key configuration. */
export interface Expectations {
  /** The CMK ARN entered in the key configuration. */
  keyArn: string;
  /** The role ARN (resolved from the role name online, or derived from the key's account). */
  roleArn: string;
  roleName: string;
  /** The workspace's external ID shown in the console. */
  externalId: string;
  /** The platform's service role that assumes the customer's role. */
  serviceRoleArn: string;
  /** Name of the permissions policy to check. */
  policyName: string;
}

/** Everything the checks look at. */
export interface Evidence {
  /** The permissions policy named in {@link Expectations.policyName}. */
  permissionPolicy: Fetched<PermissionPolicy>;
  /** Policies attached to or embedded in the role; `null` when unknown (offline, not given). */
  attachedPolicies: Fetched<readonly AttachedPolicy[]> | null;
  trustPolicy: Fetched<Policy>;
  keyPolicy: Fetched<Policy>;
  key: Fetched<KeyFacts>;
}
