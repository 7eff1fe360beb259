/**
 * The KMS side of the checklist: the key policy's root account and role statements, the role
 * as a key user, and the key's state and type.
 */
import { arnAccount, iamArn } from '../aws/arn.js';
import { keyUserStatement, requiredKmsCalls, rootAccountStatement } from '../aws/policies.js';
import { CheckId, type CheckResult, unreadable } from './check-result.js';
import { describeRefusals } from './check-result.js';
import type { Evidence, Expectations } from './evidence.js';
import { coversAction, coversResource, decide, principalMatch } from './policy-document.js';

const unreadableKeyPolicyFix = (keyArn: string) =>
  `Check the key ARN ${keyArn} and that your credentials may call kms:GetKeyPolicy.`;

/** The key policy lets the key's account manage it through IAM ("Enable IAM User Permissions"). */
export function checkKeyPolicyRoot(expect: Expectations, evidence: Evidence): CheckResult {
  const id = CheckId.KeyPolicyRoot;
  const title = 'Key policy has the root account statement';
  const { partition, accountId: account } = arnAccount(expect.keyArn);
  const rootArn = iamArn(partition, account, 'root');
  const snippet = rootAccountStatement(partition, account);
  const fetched = evidence.keyPolicy;
  if (!fetched.ok) {
    const fix = unreadableKeyPolicyFix(expect.keyArn);
    return unreadable(id, title, 'the key policy could not be read', fetched, fix);
  }

  const forRoot = fetched.value.statements.filter(
    (s) =>
      s.effect === 'Allow' &&
      s.principal?.not === false &&
      s.principal.aws.some((p) => p === rootArn || p === account),
  );
  const complete = forRoot.filter(
    (s) =>
      coversAction(s, 'kms:*') && coversResource(s, expect.keyArn) && s.conditions.length === 0,
  );
  if (complete.length > 0) {
    const found = `statement ${complete.map((s) => s.label).join(', ')} allows kms:* to ${rootArn}`;
    return { id, title, status: 'pass', found };
  }

  const found =
    forRoot.length > 0
      ? `statement ${forRoot.map((s) => s.label).join(', ')} gives ${rootArn} less than kms:* on the key, or only under conditions`
      : `no statement allows kms:* to ${rootArn}`;
  return {
    id,
    title,
    status: 'fail',
    found,
    fix: 'Add the statement below to the key policy; without it IAM policies cannot grant use of the key and the account can lose control of it.',
    snippet,
  };
}

/** The key policy names the role itself as a principal. */
export function checkKeyPolicyRole(expect: Expectations, evidence: Evidence): CheckResult {
  const id = CheckId.KeyPolicyRole;
  const title = `Key policy has a statement for role ${expect.roleName}`;
  const snippet = keyUserStatement(expect.roleArn);
  const fetched = evidence.keyPolicy;
  if (!fetched.ok) {
    const fix = unreadableKeyPolicyFix(expect.keyArn);
    return unreadable(id, title, 'the key policy could not be read', fetched, fix);
  }

  const statements = fetched.value.statements;
  const naming = statements.filter(
    (s) => s.effect === 'Allow' && principalMatch(s, expect.roleArn) === 'named',
  );
  if (naming.length > 0) {
    const found = `statement ${naming.map((s) => s.label).join(', ')} names ${expect.roleArn}`;
    return { id, title, status: 'pass', found };
  }

  // AWS replaces a principal by its unique id (AROA...) when the role is deleted; a role
  // re-created with the same name is then no longer covered by the statement.
  const orphaned = statements.filter((s) =>
    s.principal?.aws.some((p) => /^AROA[A-Z0-9]+$/.test(p)),
  );
  const found =
    orphaned.length > 0
      ? `statement ${orphaned.map((s) => s.label).join(', ')} names a deleted role by its unique id (AROA...), not ${expect.roleArn}`
      : `no statement names ${expect.roleArn}`;
  return {
    id,
    title,
    status: 'fail',
    found,
    fix: 'Add the statement below to the key policy (aws kms put-key-policy --policy-name default).',
    snippet,
  };
}

/** The key policy allows the role the four KMS calls, with no Deny in the way. */
export function checkRoleIsKeyUser(expect: Expectations, evidence: Evidence): CheckResult {
  const id = CheckId.RoleIsKeyUser;
  const title = `Role ${expect.roleName} is a key user (the key policy allows the four actions)`;
  const fetched = evidence.keyPolicy;
  if (!fetched.ok) {
    const fix = unreadableKeyPolicyFix(expect.keyArn);
    return unreadable(id, title, 'the key policy could not be read', fetched, fix);
  }

  const results = requiredKmsCalls.map((action) => ({
    action,
    ...decide(fetched.value, { action, resource: expect.keyArn, principal: expect.roleArn }),
  }));
  const failing = results.filter((r) => r.decision !== 'allowed');
  if (failing.length === 0) {
    return { id, title, status: 'pass', found: `allowed ${requiredKmsCalls.join(', ')}` };
  }

  const found = describeRefusals(failing, '');
  return {
    id,
    title,
    status: 'fail',
    found,
    fix: `Allow ${failing.map((r) => r.action).join(', ')} to ${expect.roleArn} without conditions, as in the statement below, and remove any Deny that covers the role.`,
    snippet: keyUserStatement(expect.roleArn),
  };
}

const stateFixes = (keyArn: string): Readonly<Record<string, string>> => ({
  Disabled: `Enable it: aws kms enable-key --key-id ${keyArn}`,
  PendingDeletion: `Cancel the deletion, then enable it: aws kms cancel-key-deletion --key-id ${keyArn} && aws kms enable-key --key-id ${keyArn}`,
  PendingImport: 'Import the key material, or use a key with AWS-generated material.',
});

/** The key is in the Enabled state. */
export function checkKeyEnabled(expect: Expectations, evidence: Evidence): CheckResult {
  const id = CheckId.KeyEnabled;
  const title = 'The key is enabled';
  const fetched = evidence.key;
  if (!fetched.ok) {
    const fix = `Check the key ARN ${expect.keyArn} and that your credentials may call kms:DescribeKey.`;
    return unreadable(id, title, 'the key could not be described', fetched, fix);
  }

  const { state } = fetched.value;
  if (state === 'Enabled') return { id, title, status: 'pass', found: 'KeyState is Enabled' };
  const fix = stateFixes(expect.keyArn)[state] ?? 'Use a key in the Enabled state.';
  return { id, title, status: 'fail', found: `KeyState is ${state}`, fix };
}

/** The key is the one configured, and a symmetric encryption key. */
export function checkKeySymmetric(expect: Expectations, evidence: Evidence): CheckResult {
  const id = CheckId.KeySymmetric;
  const title = 'The key is a symmetric encryption key (SYMMETRIC_DEFAULT, ENCRYPT_DECRYPT)';
  const fetched = evidence.key;
  if (!fetched.ok) {
    const fix = `Check the key ARN ${expect.keyArn}.`;
    return unreadable(id, title, 'the key could not be described', fetched, fix);
  }

  const { arn, spec, usage } = fetched.value;
  if (arn !== expect.keyArn) {
    const found = `the description is of ${arn}, not ${expect.keyArn}`;
    return { id, title, status: 'fail', found, fix: 'Describe the key that is configured.' };
  }
  const found = `KeySpec ${spec}, KeyUsage ${usage}`;
  if (spec === 'SYMMETRIC_DEFAULT' && usage === 'ENCRYPT_DECRYPT') {
    return { id, title, status: 'pass', found };
  }
  return {
    id,
    title,
    status: 'fail',
    found,
    fix: 'A key’s type cannot change: create a key with type Symmetric and usage Encrypt and decrypt, and use its ARN.',
  };
}
