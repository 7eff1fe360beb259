import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';

import type { TestStep } from '../../../src/keys/model.js';
import {
  disableCustomerKey,
  provisionCustomer,
  scheduleCustomerKeyDeletion,
} from '../../support/customer-aws.js';
import {
  alice,
  dayPlus,
  type Platform,
  serviceRoleArn,
  startPlatform,
  workspaceWithCustomer,
} from './harness.js';

type Setup = Awaited<ReturnType<typeof workspaceWithCustomer>>;

describe('Test Configuration', () => {
  let platform: Platform;

  beforeAll(async () => {
    platform = await startPlatform();
  });
  afterAll(async () => {
    await platform.close();
  });
  beforeEach(() => {
    platform.faults.reset();
  });

  async function runTest(setup: Setup, cmkArn = setup.customer.cmkArn) {
    const { configs } = platform.keys;
    const created = await configs.create(alice, setup.workspaceId, {
      name: 'Key under test',
      cmkArn,
      roleArn: setup.customer.roleArn,
      enforcementDate: dayPlus(1),
    });
    const tested = await configs.test(alice, setup.workspaceId, created.id);
    return { id: created.id, config: tested, steps: tested.lastTest?.steps ?? [] };
  }

  function statuses(steps: TestStep[]): string[] {
    return steps.map((s) => s.status);
  }

  describe('when the trust policy does not accept the external ID', () => {
    it('fails step 1 with ROLE_TRUST_NOT_CONFIGURED, names principal and external ID, and skips the rest', async () => {
      const setup = await workspaceWithCustomer(platform);
      platform.faults.script('sts', 'AssumeRole', {
        error: 'AccessDenied',
        message: 'not authorized to perform sts:AssumeRole',
      });

      const { id, config, steps } = await runTest(setup);

      expect(statuses(steps)).toEqual(['fail', 'skipped', 'skipped', 'skipped', 'skipped']);
      expect(steps[0]).toMatchObject({
        code: 'ROLE_TRUST_NOT_CONFIGURED',
        awsCode: 'AccessDenied',
      });
      expect(steps[0]?.fix).toContain(serviceRoleArn);
      expect(steps[0]?.fix).toContain(`sts:ExternalId = ${setup.externalId}`);
      expect(config.state).toBe('draft');
      expect(platform.faults.count('kms')).toBe(0);
      await expect(
        platform.keys.configs.proceed(alice, setup.workspaceId, id),
      ).rejects.toMatchObject({
        code: 'CONFLICT',
        details: { reason: 'test_required' },
      });
    });
  });

  describe('when the customer disabled the key', () => {
    it('fails step 2 with KEY_DISABLED and says to enable the key', async () => {
      const setup = await workspaceWithCustomer(platform);
      await disableCustomerKey(setup.customer.cmkArn);

      const { steps } = await runTest(setup);

      expect(statuses(steps)).toEqual(['pass', 'fail', 'skipped', 'skipped', 'skipped']);
      expect(steps[1]).toMatchObject({ id: 'describe_key', code: 'KEY_DISABLED' });
      expect(steps[1]?.fix).toMatch(/enable the key/i);
    });
  });

  describe('when the key is pending deletion', () => {
    it('fails step 2 with KEY_PENDING_DELETION and says to cancel the deletion', async () => {
      const setup = await workspaceWithCustomer(platform);
      await scheduleCustomerKeyDeletion(setup.customer.cmkArn);

      const { steps } = await runTest(setup);

      expect(steps[1]).toMatchObject({ status: 'fail', code: 'KEY_PENDING_DELETION' });
      expect(steps[1]?.fix).toMatch(/cancel the scheduled deletion/i);
    });
  });

  describe('when the key policy lacks the statement for the role', () => {
    it('fails with KEY_ACCESS_DENIED, the AWS code, and says which statement to add', async () => {
      const setup = await workspaceWithCustomer(platform);
      platform.faults.script('kms', 'GenerateDataKey', { error: 'AccessDeniedException' });

      const { steps } = await runTest(setup);

      expect(statuses(steps)).toEqual(['pass', 'pass', 'fail', 'skipped', 'skipped']);
      expect(steps[2]).toMatchObject({
        code: 'KEY_ACCESS_DENIED',
        awsCode: 'AccessDeniedException',
      });
      expect(steps[2]?.fix).toContain(
        `key policy of ${setup.customer.cmkArn} must allow ${setup.customer.roleArn}`,
      );
    });

    it('reports a refused Decrypt at step 4', async () => {
      const setup = await workspaceWithCustomer(platform);
      platform.faults.script('kms', 'Decrypt', { error: 'AccessDeniedException' });

      const { steps } = await runTest(setup);

      expect(statuses(steps)).toEqual(['pass', 'pass', 'pass', 'fail', 'skipped']);
      expect(steps[3]?.code).toBe('KEY_ACCESS_DENIED');
    });
  });

  describe('when the ARN names another region than the key is in', () => {
    it('fails at DescribeKey with KEY_NOT_FOUND and a fix that points at the region', async () => {
      const setup = await workspaceWithCustomer(platform);
      const wrongRegion = setup.customer.cmkArn.replace(
        `:${setup.customer.region}:`,
        ':eu-west-1:',
      );

      const { steps } = await runTest(setup, wrongRegion);

      expect(statuses(steps)).toEqual(['pass', 'fail', 'skipped', 'skipped', 'skipped']);
      expect(steps[1]).toMatchObject({ code: 'KEY_NOT_FOUND', awsCode: 'NotFoundException' });
      expect(steps[1]?.fix).toMatch(/region/);
    });

    it('fails when DescribeKey answers with a key of another region', async () => {
      const setup = await workspaceWithCustomer(platform);
      const otherRegionArn = setup.customer.cmkArn.replace(
        `:${setup.customer.region}:`,
        ':eu-west-1:',
      );
      platform.faults.script('kms', 'DescribeKey', {
        json: {
          KeyMetadata: {
            KeyId: setup.customer.keyId,
            Arn: otherRegionArn,
            Enabled: true,
            KeyState: 'Enabled',
            KeySpec: 'SYMMETRIC_DEFAULT',
            KeyUsage: 'ENCRYPT_DECRYPT',
          },
        },
      });

      const { steps } = await runTest(setup);

      expect(steps[1]).toMatchObject({ status: 'fail', code: 'KEY_UNUSABLE' });
      expect(steps[1]?.message).toContain('eu-west-1');
      expect(steps[1]?.fix).toContain('eu-west-1');
    });
  });

  describe('when the key is asymmetric', () => {
    it('fails step 2 and asks for a symmetric encryption key', async () => {
      const setup = await workspaceWithCustomer(platform);
      const rsa = await provisionCustomer({
        serviceRoleArn,
        externalId: setup.externalId,
        keySpec: 'RSA_2048',
      });

      const { steps } = await runTest({ ...setup, customer: rsa });

      expect(steps[1]).toMatchObject({ status: 'fail', code: 'KEY_UNUSABLE' });
      expect(steps[1]?.fix).toContain('SYMMETRIC_DEFAULT');
    });
  });

  describe('when a test fails and then passes after the customer fixed it', () => {
    it('stores each result, audits both, and only the passing one allows proceeding', async () => {
      const setup = await workspaceWithCustomer(platform);
      platform.faults.script('sts', 'AssumeRole', { error: 'AccessDenied' });
      const { id } = await runTest(setup);

      const retested = await platform.keys.configs.test(alice, setup.workspaceId, id);
      const proceeded = await platform.keys.configs.proceed(alice, setup.workspaceId, id);

      expect(retested.lastTest?.passed).toBe(true);
      expect(proceeded.state).toBe('scheduled');
      const tests = (await platform.keys.audit.list(setup.workspaceId, id)).filter(
        (e) => e.action === 'key.tested',
      );
      expect(tests.map((e) => e.outcome)).toEqual(['success', 'failure']);
      expect(tests[1]?.details).toMatchObject({
        passed: false,
        steps: [{ id: 'assume_role', code: 'ROLE_TRUST_NOT_CONFIGURED' }, {}, {}, {}, {}],
      });
    });
  });
});
