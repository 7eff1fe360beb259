import { randomUUID } from 'node:crypto';

import {
  DetachRolePolicyCommand,
  GetPolicyVersionCommand,
  IAMClient,
  PutRolePolicyCommand,
  UpdateAssumeRolePolicyCommand,
} from '@aws-sdk/client-iam';
import { KMSClient, PutKeyPolicyCommand } from '@aws-sdk/client-kms';
import { afterAll, describe, expect, it } from 'vitest';

import {
  type PolicyDocument,
  policyJson,
  rootAccountStatement,
  trustPolicyFor,
} from '../../../src/aws/policies.js';
import { registerVerifyCommands } from '../../../src/cli/commands/verify.js';
import { CheckId, type CheckResult, verifyOnline } from '../../../src/customer/index.js';
import {
  disableCustomerKey,
  provisionCustomer,
  type ProvisionedCustomer,
  scheduleCustomerKeyDeletion,
} from '../../support/customer-aws.js';
import { runCommand } from '../../unit/policies/run-command.js';

const serviceRoleArn = 'arn:aws:iam::999988887777:role/platform-service';
const iam = new IAMClient({ region: 'us-east-1' });
const kms = new KMSClient({ region: 'us-east-1' });

afterAll(() => {
  iam.destroy();
  kms.destroy();
});

/** A customer set up the way the platform's guide says, with their own external ID. */
async function customer(options: { keySpec?: 'RSA_2048' } = {}) {
  const externalId = `ws-${randomUUID()}`;
  const provisioned = await provisionCustomer({ serviceRoleArn, externalId, ...options });
  return { ...provisioned, externalId };
}

function verify(c: ProvisionedCustomer & { externalId: string }, policyName = c.policyName) {
  return verifyOnline({
    roleName: c.roleName,
    keyArn: c.cmkArn,
    externalId: c.externalId,
    serviceRoleArn,
    policyName,
  });
}

function failing(results: CheckResult[]): string[] {
  return results.filter((r) => r.status !== 'pass').map((r) => r.id);
}

function check(results: CheckResult[], id: string): CheckResult {
  const result = results.find((r) => r.id === id);
  if (result === undefined) throw new Error(`no check ${id}`);
  return result;
}

describe('verifyOnline', () => {
  describe('when the customer followed the guide', () => {
    it('passes every check reading IAM from moto and KMS from local-kms', async () => {
      const results = await verify(await customer());
      expect(results.map((r) => [r.id, r.status])).toEqual(
        Object.values(CheckId).map((id) => [id, 'pass']),
      );
    });
  });

  describe('when the policy is detached from the role', () => {
    it('fails only the attachment check', async () => {
      const c = await customer();
      await iam.send(new DetachRolePolicyCommand({ RoleName: c.roleName, PolicyArn: c.policyArn }));

      const results = await verify(c);
      expect(failing(results)).toEqual([CheckId.PolicyAttached]);
      expect(check(results, CheckId.PolicyAttached).found).toBe('the role has no policies');
    });
  });

  describe('when the policy is an inline policy of the role', () => {
    it('reads it with GetRolePolicy and passes', async () => {
      const c = await customer();
      const version = await iam.send(
        new GetPolicyVersionCommand({ PolicyArn: c.policyArn, VersionId: 'v1' }),
      );
      await iam.send(new DetachRolePolicyCommand({ RoleName: c.roleName, PolicyArn: c.policyArn }));
      await iam.send(
        new PutRolePolicyCommand({
          RoleName: c.roleName,
          PolicyName: 'inline-key-use',
          PolicyDocument: decodeURIComponent(version.PolicyVersion?.Document ?? ''),
        }),
      );

      const results = await verify(c, 'inline-key-use');
      expect(failing(results)).toEqual([]);
      expect(check(results, CheckId.PolicyAttached).found).toBe('attached as an inline policy');
    });
  });

  describe('when the trust policy names another external ID', () => {
    it('fails only the trust check', async () => {
      const c = await customer();
      await iam.send(
        new UpdateAssumeRolePolicyCommand({
          RoleName: c.roleName,
          PolicyDocument: policyJson(trustPolicyFor(serviceRoleArn, 'someone-elses-id')),
        }),
      );

      const results = await verify(c);
      expect(failing(results)).toEqual([CheckId.TrustNamesPlatform]);
      expect(check(results, CheckId.TrustNamesPlatform).found).toBe(
        `the trust policy expects external ID someone-elses-id, not ${c.externalId}`,
      );
    });
  });

  describe('when the key policy loses the role statement', () => {
    it('fails the role statement and key user checks', async () => {
      const c = await customer();
      const onlyRoot: PolicyDocument = {
        Version: '2012-10-17',
        Statement: [rootAccountStatement('aws', c.accountId)],
      };
      await kms.send(
        new PutKeyPolicyCommand({
          KeyId: c.cmkArn,
          PolicyName: 'default',
          Policy: policyJson(onlyRoot),
        }),
      );

      const results = await verify(c);
      expect(failing(results)).toEqual([CheckId.KeyPolicyRole, CheckId.RoleIsKeyUser]);
      expect(check(results, CheckId.KeyPolicyRole).found).toBe(`no statement names ${c.roleArn}`);
    });
  });

  describe('when the key is disabled', () => {
    it('fails only the enabled check', async () => {
      const c = await customer();
      await disableCustomerKey(c.cmkArn);

      const results = await verify(c);
      expect(failing(results)).toEqual([CheckId.KeyEnabled]);
      expect(check(results, CheckId.KeyEnabled).found).toBe('KeyState is Disabled');
    });
  });

  describe('when the key is pending deletion', () => {
    it('fails the enabled check and says to cancel the deletion', async () => {
      const c = await customer();
      await scheduleCustomerKeyDeletion(c.cmkArn);

      const result = check(await verify(c), CheckId.KeyEnabled);
      expect(result.found).toBe('KeyState is PendingDeletion');
      expect(result.fix).toContain('aws kms cancel-key-deletion');
    });
  });

  describe('when the key is asymmetric', () => {
    it('fails only the symmetric check', async () => {
      const results = await verify(await customer({ keySpec: 'RSA_2048' }));
      expect(failing(results)).toEqual([CheckId.KeySymmetric]);
      expect(check(results, CheckId.KeySymmetric).found).toBe(
        'KeySpec RSA_2048, KeyUsage ENCRYPT_DECRYPT',
      );
    });
  });

  describe('when the role does not exist', () => {
    it('fails the IAM checks with NoSuchEntity and still checks the key', async () => {
      const c = await customer();
      const results = await verify({ ...c, roleName: `missing-${c.roleName}` });
      expect(check(results, CheckId.TrustNamesPlatform).found).toMatch(/\(NoSuchEntity\)$/);
      expect(check(results, CheckId.PolicyAttached).found).toMatch(/\(NoSuchEntity\)$/);
      expect(check(results, CheckId.KeyEnabled).status).toBe('pass');
    });
  });
});

describe('byok verify (online)', () => {
  const args = (c: ProvisionedCustomer & { externalId: string }) => [
    'verify',
    '--role-name',
    c.roleName,
    '--key-arn',
    c.cmkArn,
    '--external-id',
    c.externalId,
    '--policy-name',
    c.policyName,
  ];

  describe('when everything is in place', () => {
    it('prints eight passing checks and exits 0', async () => {
      const run = await runCommand(registerVerifyCommands, args(await customer()), serviceRoleArn);
      expect(run.err).toBe('');
      expect(run.out).toContain('8 checks: 8 passed, 0 failed');
      expect(run.exitCode).toBe(0);
    });
  });

  describe('when the key is disabled', () => {
    it('prints the failing check with its fix and exits 1', async () => {
      const c = await customer();
      await disableCustomerKey(c.cmkArn);

      const run = await runCommand(registerVerifyCommands, args(c), serviceRoleArn);
      expect(run.out).toContain(
        `FAIL  The key is enabled\n      KeyState is Disabled\n      fix: Enable it: aws kms enable-key --key-id ${c.cmkArn}`,
      );
      expect(run.exitCode).toBe(1);
    });
  });
});
