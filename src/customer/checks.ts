/**
 * The verification checklist: eight checks over the customer's IAM policy, role trust policy,
 * key policy and key, each answering pass or fail with what was found and what to change. The
 * checks are pure; the online and offline collectors gather their {@link Evidence}.
 */
import type { CheckResult } from './check-result.js';
import type { Evidence, Expectations } from './evidence.js';
import { checkPolicyAllowsKeyUse, checkPolicyAttached, checkTrustPolicy } from './iam-checks.js';
import {
  checkKeyEnabled,
  checkKeyPolicyRole,
  checkKeyPolicyRoot,
  checkKeySymmetric,
  checkRoleIsKeyUser,
} from './key-checks.js';

/** Runs every check; the result has one entry per check id, in order. */
export function runChecks(expect: Expectations, evidence: Evidence): CheckResult[] {
  return [
    checkPolicyAllowsKeyUse(expect, evidence),
    checkPolicyAttached(expect, evidence),
    checkTrustPolicy(expect, evidence),
    checkKeyPolicyRoot(expect, evidence),
    checkKeyPolicyRole(expect, evidence),
    checkRoleIsKeyUser(expect, evidence),
    checkKeyEnabled(expect, evidence),
    checkKeySymmetric(expect, evidence),
  ];
}
