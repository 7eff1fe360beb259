/**
 * The shape of one line of the verification checklist, shared by the IAM and the key checks.
 */
import type { PolicyDocument, PolicyStatement } from '../aws/policies.js';
import type { Fetched } from './evidence.js';
import type { AccessDecision } from './policy-document.js';

/** Stable ids of the checks, in the order they run. */
export const CheckId = {
  PolicyAllowsKeyUse: 'iam-policy-allows-key-use',
  PolicyAttached: 'iam-policy-attached',
  TrustNamesPlatform: 'trust-policy-names-platform',
  KeyPolicyRoot: 'key-policy-root-statement',
  KeyPolicyRole: 'key-policy-role-statement',
  RoleIsKeyUser: 'role-is-key-user',
  KeyEnabled: 'key-enabled',
  KeySymmetric: 'key-symmetric',
} as const;
export type CheckId = (typeof CheckId)[keyof typeof CheckId];

/** Pass, fail, or skipped because the evidence was not given (offline only). */
export type CheckStatus = 'pass' | 'fail' | 'skip';

/** One line of the checklist. */
export interface CheckResult {
  id: CheckId;
  title: string;
  status: CheckStatus;
  /** What was found, in a sentence. */
  found: string;
  /** What to change; present when the check did not pass. */
  fix?: string;
  /** The JSON to paste for the fix, when there is one. */
  snippet?: PolicyDocument | PolicyStatement;
}

/** True when no check failed (skipped checks are reported but do not fail the run). */
export function allPassed(results: readonly CheckResult[]): boolean {
  return results.every((r) => r.status !== 'fail');
}

/** A failed check whose evidence could not be read. */
export function unreadable(
  id: CheckId,
  title: string,
  what: string,
  fetched: Extract<Fetched<unknown>, { ok: false }>,
  fix: string,
): CheckResult {
  return { id, title, status: 'fail', found: `${what}: ${fetched.reason} (${fetched.code})`, fix };
}

/**
 * One sentence for the actions a policy refuses: the denied ones with the statement that
 * denies them, then the ones no statement allows (`where` says on what, e.g. " on <key ARN>").
 */
export function describeRefusals(
  refused: readonly (AccessDecision & { action: string })[],
  where: string,
): string {
  const parts = refused
    .filter((r) => r.decision === 'denied')
    .map((r) => `${r.action} is denied by statement ${r.by.join(', ')}`);
  const missing = refused.filter((r) => r.decision === 'not-allowed');
  if (missing.length > 0) {
    const undecided = [...new Set(missing.flatMap((r) => r.undecided))];
    const hint =
      undecided.length > 0
        ? ` (statement ${undecided.join(', ')} has conditions this check cannot evaluate)`
        : '';
    parts.push(`not allowed${where}: ${missing.map((r) => r.action).join(', ')}${hint}`);
  }
  return parts.join('; ');
}
