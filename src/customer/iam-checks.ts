/**
 * The IAM side of the checklist: the permissions policy, its attachment to the role, and the
 * role's trust policy.
 */
import { iamPolicyFor, requiredKmsCalls, trustPolicyFor } from '../aws/policies.js';
import { CheckId, type CheckResult, describeRefusals, unreadable } from './check-result.js';
import type { Evidence, Expectations } from './evidence.js';
import {
  coversAction,
  decide,
  evaluateConditions,
  principalMatch,
  type Statement,
} from './policy-document.js';
import { managedPolicyArn } from './target.js';

/** The named permissions policy allows the four KMS calls on the key. */
export function checkPolicyAllowsKeyUse(expect: Expectations, evidence: Evidence): CheckResult {
  const id = CheckId.PolicyAllowsKeyUse;
  const title = `IAM policy ${expect.policyName} allows the four KMS actions on the key`;
  const snippet = iamPolicyFor(expect.keyArn);
  const fetched = evidence.permissionPolicy;
  if (!fetched.ok) {
    const fix = `Create the policy ${expect.policyName} with the document below.`;
    return { ...unreadable(id, title, 'the policy could not be read', fetched, fix), snippet };
  }

  const results = requiredKmsCalls.map((action) => ({
    action,
    ...decide(fetched.value.policy, { action, resource: expect.keyArn }),
  }));
  const failing = results.filter((r) => r.decision !== 'allowed');
  if (failing.length === 0) {
    return { id, title, status: 'pass', found: `allows ${requiredKmsCalls.join(', ')}` };
  }

  const found = describeRefusals(failing, ` on ${expect.keyArn}`);
  const actions = failing.map((r) => r.action).join(', ');
  return {
    id,
    title,
    status: 'fail',
    found,
    fix: `Allow ${actions} with Resource ${expect.keyArn}, as in the document below.`,
    snippet,
  };
}

/** The permissions policy is attached to (or embedded in) the role. */
export function checkPolicyAttached(expect: Expectations, evidence: Evidence): CheckResult {
  const id = CheckId.PolicyAttached;
  const title = `IAM policy ${expect.policyName} is attached to role ${expect.roleName}`;
  const attached = evidence.attachedPolicies;
  if (attached === null) {
    return {
      id,
      title,
      status: 'skip',
      found: 'no list of the role’s policies was given',
      fix: 'Give the output of `aws iam list-attached-role-policies` to check this offline.',
    };
  }

  const fix = `Attach it: aws iam attach-role-policy --role-name ${expect.roleName} --policy-arn ${managedPolicyArn(expect.roleArn, expect.policyName)}`;
  if (!attached.ok) {
    return unreadable(id, title, 'the role’s policies could not be listed', attached, fix);
  }

  const match = attached.value.find((p) => p.name === expect.policyName);
  if (match !== undefined) {
    return {
      id,
      title,
      status: 'pass',
      found: `attached as ${match.kind === 'inline' ? 'an inline' : 'a managed'} policy`,
    };
  }
  const others = attached.value.map((p) => p.name);
  const found =
    others.length === 0 ? 'the role has no policies' : `the role has only: ${others.join(', ')}`;
  return { id, title, status: 'fail', found, fix };
}

const assumeRole = 'sts:AssumeRole';

function requiresExternalId(statement: Statement): boolean {
  return statement.conditions.some((c) => c.key.toLowerCase() === 'sts:externalid');
}

/**
 * The trust policy names the platform's service role (not `*`, not a whole account) and
 * requires the workspace's external ID, which is what keeps another platform customer from
 * pointing the platform at this role.
 */
export function checkTrustPolicy(expect: Expectations, evidence: Evidence): CheckResult {
  const id = CheckId.TrustNamesPlatform;
  const title =
    'Trust policy lets the platform’s service role assume the role with the external ID';
  const snippet = trustPolicyFor(expect.serviceRoleArn, expect.externalId);
  const fixAll = `Set the role’s trust policy to the document below (Principal AWS ${expect.serviceRoleArn}, Condition StringEquals sts:ExternalId ${expect.externalId}).`;
  const fetched = evidence.trustPolicy;
  if (!fetched.ok) {
    return { ...unreadable(id, title, 'the role could not be read', fetched, fixAll), snippet };
  }

  const platform = expect.serviceRoleArn;
  const context = { 'sts:ExternalId': expect.externalId, 'aws:PrincipalArn': platform };
  const request = { action: assumeRole, resource: expect.roleArn, principal: platform, context };
  const decision = decide(fetched.value, request);
  if (decision.decision === 'denied') {
    const found = `statement ${decision.by.join(', ')} denies ${assumeRole} to the platform`;
    return { id, title, status: 'fail', found, fix: 'Remove that Deny.', snippet };
  }

  const allows = fetched.value.statements.filter(
    (s) => s.effect === 'Allow' && coversAction(s, assumeRole),
  );
  const naming = allows.filter((s) => principalMatch(s, platform) === 'named');
  const guarded = naming.filter(requiresExternalId);
  const passing = guarded.filter((s) => evaluateConditions(s, context) === 'true');
  if (passing.length > 0) {
    const labels = passing.map((s) => s.label).join(', ');
    const found = `statement ${labels} names ${platform} and requires the external ID`;
    return { id, title, status: 'pass', found };
  }

  if (naming.length === 0) {
    const loose = allows.filter((s) => principalMatch(s, platform) !== 'none');
    const found =
      loose.length > 0
        ? `statement ${loose.map((s) => s.label).join(', ')} allows ${assumeRole} to "*" or a whole account instead of naming ${platform}`
        : `no statement allows ${assumeRole} to ${platform}`;
    return { id, title, status: 'fail', found, fix: fixAll, snippet };
  }

  if (guarded.length === 0) {
    const labels = naming.map((s) => s.label).join(', ');
    return {
      id,
      title,
      status: 'fail',
      found: `statement ${labels} names the platform but does not require an external ID`,
      fix: `Add Condition StringEquals sts:ExternalId ${expect.externalId} to it.`,
      snippet,
    };
  }

  const expected = guarded.flatMap((s) =>
    s.conditions.filter((c) => c.key.toLowerCase() === 'sts:externalid').flatMap((c) => c.values),
  );
  const undecided = guarded.filter((s) => evaluateConditions(s, context) === 'unknown');
  const found =
    undecided.length > 0
      ? `statement ${undecided.map((s) => s.label).join(', ')} has conditions besides the external ID that this check cannot evaluate`
      : `the trust policy expects external ID ${expected.join(' or ')}, not ${expect.externalId}`;
  return {
    id,
    title,
    status: 'fail',
    found,
    fix: `Require exactly Condition StringEquals sts:ExternalId ${expect.externalId} (the external ID shown in the console).`,
    snippet,
  };
}
