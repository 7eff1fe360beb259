import { describe, expect, it } from 'vitest';

import { generatePolicies } from '../../../src/aws/policies.js';
import {
  allPassed,
  CheckId,
  type CheckResult,
  type Evidence,
  type Expectations,
  type KeyFacts,
  parsePolicy,
  runChecks,
} from '../../../src/customer/index.js';

const generated = generatePolicies({
  accountId: '111122223333',
  region: 'us-east-1',
  keyId: '1234abcd-12ab-34cd-56ef-1234567890ab',
  roleName: 'byok-role',
  serviceRoleArn: 'arn:aws:iam::999988887777:role/platform-service',
  externalId: 'ws-ext-0123456789',
});

const expect_: Expectations = {
  keyArn: generated.keyArn,
  roleArn: generated.roleArn,
  roleName: 'byok-role',
  externalId: 'ws-ext-0123456789',
  serviceRoleArn: 'arn:aws:iam::999988887777:role/platform-service',
  policyName: generated.policyName,
};

const enabledKey: KeyFacts = {
  arn: generated.keyArn,
  state: 'Enabled',
  spec: 'SYMMETRIC_DEFAULT',
  usage: 'ENCRYPT_DECRYPT',
};

interface Documents {
  iam?: unknown;
  trust?: unknown;
  keyPolicy?: unknown;
  key?: Partial<KeyFacts>;
  attached?: string[] | null;
}

/** The customer's set-up as generated, with the given pieces replaced. */
function evidence(changes: Documents = {}): Evidence {
  const attached = changes.attached === undefined ? [generated.policyName] : changes.attached;
  return {
    permissionPolicy: {
      ok: true,
      value: {
        name: generated.policyName,
        kind: 'file',
        policy: parsePolicy(changes.iam ?? generated.iamPolicy),
      },
    },
    attachedPolicies:
      attached === null
        ? null
        : { ok: true, value: attached.map((name) => ({ name, kind: 'managed' as const })) },
    trustPolicy: { ok: true, value: parsePolicy(changes.trust ?? generated.trustPolicy) },
    keyPolicy: { ok: true, value: parsePolicy(changes.keyPolicy ?? generated.keyPolicy) },
    key: { ok: true, value: { ...enabledKey, ...changes.key } },
  };
}

function failing(results: CheckResult[]): string[] {
  return results.filter((r) => r.status === 'fail').map((r) => r.id);
}

function check(results: CheckResult[], id: string): CheckResult {
  const found = results.find((r) => r.id === id);
  if (found === undefined) throw new Error(`no check ${id}`);
  return found;
}

const doc = (...Statement: object[]) => ({ Version: '2012-10-17', Statement });
const trustWith = (statement: object) =>
  doc({ Effect: 'Allow', Action: 'sts:AssumeRole', ...statement });

describe('runChecks', () => {
  describe('when the set-up is exactly what byok policy generates', () => {
    it('passes all eight checks', () => {
      const results = runChecks(expect_, evidence());
      expect(results.map((r) => [r.id, r.status])).toEqual(
        Object.values(CheckId).map((id) => [id, 'pass']),
      );
      expect(allPassed(results)).toBe(true);
    });
  });

  describe('when the IAM policy lacks actions', () => {
    it('fails only the policy check and names the missing actions', () => {
      const iam = doc({
        Effect: 'Allow',
        Action: ['kms:Encrypt', 'kms:Decrypt'],
        Resource: generated.keyArn,
      });
      const results = runChecks(expect_, evidence({ iam }));
      expect(failing(results)).toEqual([CheckId.PolicyAllowsKeyUse]);
      const result = check(results, CheckId.PolicyAllowsKeyUse);
      expect(result.found).toBe(
        `not allowed on ${generated.keyArn}: kms:GenerateDataKey, kms:DescribeKey`,
      );
      expect(result.fix).toContain('Allow kms:GenerateDataKey, kms:DescribeKey');
      expect(result.snippet).toEqual(generated.iamPolicy);
    });

    it('accepts kms:* on every key of the account instead', () => {
      const iam = doc({
        Effect: 'Allow',
        Action: 'kms:*',
        Resource: 'arn:aws:kms:*:111122223333:key/*',
      });
      expect(failing(runChecks(expect_, evidence({ iam })))).toEqual([]);
    });
  });

  describe('when the IAM policy grants another key', () => {
    it('fails the policy check', () => {
      const iam = doc({
        Effect: 'Allow',
        Action: 'kms:*',
        Resource: generated.keyArn.replace('1234abcd', 'ffffffff'),
      });
      expect(failing(runChecks(expect_, evidence({ iam })))).toEqual([CheckId.PolicyAllowsKeyUse]);
    });
  });

  describe('when the policy is not attached to the role', () => {
    it('fails the attachment check with the attach command', () => {
      const results = runChecks(expect_, evidence({ attached: ['ReadOnlyAccess'] }));
      expect(failing(results)).toEqual([CheckId.PolicyAttached]);
      const result = check(results, CheckId.PolicyAttached);
      expect(result.found).toBe('the role has only: ReadOnlyAccess');
      expect(result.fix).toContain(
        'aws iam attach-role-policy --role-name byok-role --policy-arn arn:aws:iam::111122223333:policy/byok-key-access',
      );
    });
  });

  describe('when the attached policies are unknown (offline without the list)', () => {
    it('skips the attachment check without failing the run', () => {
      const results = runChecks(expect_, evidence({ attached: null }));
      expect(check(results, CheckId.PolicyAttached).status).toBe('skip');
      expect(allPassed(results)).toBe(true);
    });
  });

  describe('when the trust policy expects another external ID', () => {
    it('fails the trust check and says which external ID to use', () => {
      const trust = trustWith({
        Principal: { AWS: expect_.serviceRoleArn },
        Condition: { StringEquals: { 'sts:ExternalId': 'someone-else' } },
      });
      const results = runChecks(expect_, evidence({ trust }));
      expect(failing(results)).toEqual([CheckId.TrustNamesPlatform]);
      const result = check(results, CheckId.TrustNamesPlatform);
      expect(result.found).toBe(
        'the trust policy expects external ID someone-else, not ws-ext-0123456789',
      );
      expect(result.fix).toContain('sts:ExternalId ws-ext-0123456789');
    });
  });

  describe('when the trust policy does not require an external ID', () => {
    it('fails the trust check even though the platform could assume the role', () => {
      const trust = trustWith({ Sid: 'Open', Principal: { AWS: [expect_.serviceRoleArn] } });
      const result = check(runChecks(expect_, evidence({ trust })), CheckId.TrustNamesPlatform);
      expect(result.status).toBe('fail');
      expect(result.found).toBe(
        'statement Open names the platform but does not require an external ID',
      );
    });
  });

  describe('when the trust policy trusts "*" instead of the platform role', () => {
    it('fails the trust check and asks to name the platform role', () => {
      const trust = trustWith({
        Principal: '*',
        Condition: { StringEquals: { 'sts:ExternalId': expect_.externalId } },
      });
      const result = check(runChecks(expect_, evidence({ trust })), CheckId.TrustNamesPlatform);
      expect(result.status).toBe('fail');
      expect(result.found).toContain('"*" or a whole account instead of naming');
      expect(result.snippet).toEqual(generated.trustPolicy);
    });
  });

  describe('when the trust policy names another role', () => {
    it('fails the trust check', () => {
      const trust = trustWith({
        Principal: { AWS: 'arn:aws:iam::999988887777:role/someone-else' },
        Condition: { StringEquals: { 'sts:ExternalId': expect_.externalId } },
      });
      const result = check(runChecks(expect_, evidence({ trust })), CheckId.TrustNamesPlatform);
      expect(result.found).toBe(`no statement allows sts:AssumeRole to ${expect_.serviceRoleArn}`);
    });
  });

  describe('when the trust policy also denies the platform', () => {
    it('fails the trust check naming the Deny', () => {
      const trust = doc(generated.trustPolicy.Statement[0]!, {
        Sid: 'Lockout',
        Effect: 'Deny',
        Principal: { AWS: '*' },
        Action: 'sts:*',
      });
      const result = check(runChecks(expect_, evidence({ trust })), CheckId.TrustNamesPlatform);
      expect(result.found).toBe('statement Lockout denies sts:AssumeRole to the platform');
    });
  });

  describe('when the key policy lacks the root account statement', () => {
    it('fails only the root statement check', () => {
      const keyPolicy = doc(generated.keyPolicyStatement);
      const results = runChecks(expect_, evidence({ keyPolicy }));
      expect(failing(results)).toEqual([CheckId.KeyPolicyRoot]);
      expect(check(results, CheckId.KeyPolicyRoot).snippet).toEqual(
        generated.keyPolicy.Statement[0],
      );
    });
  });

  describe('when the key policy gives the root account less than kms:*', () => {
    it('fails the root statement check', () => {
      const keyPolicy = doc(
        {
          Sid: 'RootReadOnly',
          Effect: 'Allow',
          Principal: { AWS: '111122223333' },
          Action: 'kms:Describe*',
          Resource: '*',
        },
        generated.keyPolicyStatement,
      );
      const result = check(runChecks(expect_, evidence({ keyPolicy })), CheckId.KeyPolicyRoot);
      expect(result.found).toContain(
        'statement RootReadOnly gives arn:aws:iam::111122223333:root less than kms:*',
      );
    });
  });

  describe('when the key policy has no statement for the role', () => {
    it('fails the role statement and key user checks', () => {
      const keyPolicy = doc(generated.keyPolicy.Statement[0]!);
      const results = runChecks(expect_, evidence({ keyPolicy }));
      expect(failing(results)).toEqual([CheckId.KeyPolicyRole, CheckId.RoleIsKeyUser]);
      expect(check(results, CheckId.KeyPolicyRole).snippet).toEqual(generated.keyPolicyStatement);
    });
  });

  describe('when the key policy names a deleted role by its unique id', () => {
    it('says the role was re-created', () => {
      const keyPolicy = doc(generated.keyPolicy.Statement[0]!, {
        ...generated.keyPolicyStatement,
        Principal: { AWS: 'AROAEXAMPLEID1234567' },
      });
      const result = check(runChecks(expect_, evidence({ keyPolicy })), CheckId.KeyPolicyRole);
      expect(result.found).toContain('names a deleted role by its unique id (AROA...)');
    });
  });

  describe('when the role statement allows only some actions', () => {
    it('passes the role statement check but fails the key user check', () => {
      const keyPolicy = doc(generated.keyPolicy.Statement[0]!, {
        ...generated.keyPolicyStatement,
        Action: ['kms:Decrypt', 'kms:DescribeKey'],
      });
      const results = runChecks(expect_, evidence({ keyPolicy }));
      expect(failing(results)).toEqual([CheckId.RoleIsKeyUser]);
      expect(check(results, CheckId.RoleIsKeyUser).found).toBe(
        'not allowed: kms:Encrypt, kms:GenerateDataKey',
      );
    });
  });

  describe('when the key policy denies the role an action', () => {
    it('fails the key user check naming the Deny', () => {
      const keyPolicy = doc(...generated.keyPolicy.Statement, {
        Sid: 'NoEncrypt',
        Effect: 'Deny',
        Principal: { AWS: generated.roleArn },
        Action: 'kms:Encrypt',
        Resource: '*',
      });
      const result = check(runChecks(expect_, evidence({ keyPolicy })), CheckId.RoleIsKeyUser);
      expect(result.found).toBe('kms:Encrypt is denied by statement NoEncrypt');
    });
  });

  describe('when the key is disabled or pending deletion', () => {
    it.each([
      ['Disabled', 'aws kms enable-key'],
      ['PendingDeletion', 'aws kms cancel-key-deletion'],
    ])('fails the enabled check for %s with the command that fixes it', (state, command) => {
      const results = runChecks(expect_, evidence({ key: { state } }));
      expect(failing(results)).toEqual([CheckId.KeyEnabled]);
      expect(check(results, CheckId.KeyEnabled).fix).toContain(command);
    });
  });

  describe('when the key is asymmetric', () => {
    it('fails the symmetric check and says the key must be replaced', () => {
      const results = runChecks(
        expect_,
        evidence({ key: { spec: 'RSA_2048', usage: 'SIGN_VERIFY' } }),
      );
      expect(failing(results)).toEqual([CheckId.KeySymmetric]);
      expect(check(results, CheckId.KeySymmetric).fix).toContain(
        'create a key with type Symmetric',
      );
    });
  });

  describe('when the key description is of another key', () => {
    it('fails the symmetric check naming both keys', () => {
      const other = generated.keyArn.replace('1234abcd', 'ffffffff');
      const result = check(
        runChecks(expect_, evidence({ key: { arn: other } })),
        CheckId.KeySymmetric,
      );
      expect(result.found).toBe(`the description is of ${other}, not ${generated.keyArn}`);
    });
  });

  describe('when a document could not be read', () => {
    it('fails the checks that need it with the AWS error code', () => {
      const broken: Evidence = {
        ...evidence(),
        keyPolicy: {
          ok: false,
          code: 'AccessDenied',
          reason: 'not authorized to kms:GetKeyPolicy',
        },
      };
      const results = runChecks(expect_, broken);
      expect(failing(results)).toEqual([
        CheckId.KeyPolicyRoot,
        CheckId.KeyPolicyRole,
        CheckId.RoleIsKeyUser,
      ]);
      expect(check(results, CheckId.KeyPolicyRoot).found).toBe(
        'the key policy could not be read: not authorized to kms:GetKeyPolicy (AccessDenied)',
      );
    });
  });
});
