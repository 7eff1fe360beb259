import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { ByokError } from '../../../src/base/errors.js';
import { disableCustomerKey, enableCustomerKey } from '../../support/customer-aws.js';
import {
  alice,
  type Platform,
  scheduledKey,
  startPlatform,
  workspaceWithCustomer,
} from './harness.js';

describe('key health', () => {
  let platform: Platform;

  beforeAll(async () => {
    platform = await startPlatform({ healthCheckTimeoutMs: 1_500 });
  });
  afterAll(async () => {
    await platform.close();
  });

  describe('when the customer disables and re-enables the key', () => {
    it('reports healthy, then access lost with the reason and fix, then healthy again, auditing each change', async () => {
      const { workspaceId, customer } = await workspaceWithCustomer(platform, 1);
      const id = await scheduledKey(platform, workspaceId, customer, 0);
      const { health } = platform.keys;
      expect(await health.get(workspaceId, id)).toMatchObject({
        status: 'unknown',
        checkedAt: null,
      });

      expect(await health.check(alice, workspaceId, id)).toMatchObject({
        status: 'healthy',
        reason: null,
      });
      await disableCustomerKey(customer.cmkArn);
      const lost = await health.check(alice, workspaceId, id);
      await enableCustomerKey(customer.cmkArn);
      const back = await health.check(alice, workspaceId, id);

      expect(lost).toMatchObject({ status: 'access_lost', reason: 'KEY_DISABLED' });
      expect(lost.fix).toMatch(/enable the key/i);
      expect(back.status).toBe('healthy');
      expect(await health.get(workspaceId, id)).toMatchObject({ status: 'healthy' });
      const changes = (await platform.keys.audit.list(workspaceId, id)).filter(
        (e) => e.action === 'key.health_changed',
      );
      expect(changes.map((e) => [e.details.from, e.details.to])).toEqual([
        ['access_lost', 'healthy'],
        ['healthy', 'access_lost'],
        ['unknown', 'healthy'],
      ]);
    });

    it('does not audit a check whose status did not change', async () => {
      const { workspaceId, customer } = await workspaceWithCustomer(platform, 1);
      const id = await scheduledKey(platform, workspaceId, customer, 0);

      await platform.keys.health.check(alice, workspaceId, id);
      await platform.keys.health.check(alice, workspaceId, id);

      const changes = (await platform.keys.audit.list(workspaceId, id)).filter(
        (e) => e.action === 'key.health_changed',
      );
      expect(changes).toHaveLength(1);
    });
  });

  describe('when one workspace loses its key during a scheduled round', () => {
    it('marks only that workspace and keeps checking the others', async () => {
      const broken = await workspaceWithCustomer(platform, 1);
      const fine = await workspaceWithCustomer(platform, 1);
      const brokenId = await scheduledKey(platform, broken.workspaceId, broken.customer, 0);
      const fineId = await scheduledKey(platform, fine.workspaceId, fine.customer, 0);
      await disableCustomerKey(broken.customer.cmkArn);

      await platform.keys.health.checkAll();

      expect((await platform.keys.health.get(broken.workspaceId, brokenId)).status).toBe(
        'access_lost',
      );
      expect((await platform.keys.health.get(fine.workspaceId, fineId)).status).toBe('healthy');
    });
  });

  describe('when KMS does not answer', () => {
    it('gives up after the check timeout and reports KMS unreachable', async () => {
      const { workspaceId, customer } = await workspaceWithCustomer(platform, 1);
      const id = await scheduledKey(platform, workspaceId, customer, 0);
      platform.faults.script('kms', 'DescribeKey', { hang: true });

      const result = await platform.keys.health.check(alice, workspaceId, id);

      expect(result).toMatchObject({ status: 'kms_unreachable', reason: 'KMS_UNAVAILABLE' });
      platform.faults.reset();
    });
  });

  describe('when an operation reports a key failure', () => {
    it('audits the failure and re-checks the key at once', async () => {
      const { workspaceId, customer } = await workspaceWithCustomer(platform, 1);
      const id = await scheduledKey(platform, workspaceId, customer, 0);
      await disableCustomerKey(customer.cmkArn);

      await platform.keys.reportKeyFailure(
        workspaceId,
        id,
        new ByokError('KEY_DISABLED', 'the key is disabled', {
          details: { awsCode: 'DisabledException', operation: 'Decrypt' },
        }),
      );

      const entries = await platform.keys.audit.list(workspaceId, id);
      expect(entries.find((e) => e.action === 'key.failure')).toMatchObject({
        outcome: 'failure',
        details: { code: 'KEY_DISABLED', awsCode: 'DisabledException' },
      });
      expect((await platform.keys.health.get(workspaceId, id)).status).toBe('access_lost');
    });

    it('re-checks a failing key at most every 30 seconds and audits a repeated failure once a minute', async () => {
      const { workspaceId, customer } = await workspaceWithCustomer(platform, 1);
      const id = await scheduledKey(platform, workspaceId, customer, 0);
      const failure = new ByokError('KMS_UNAVAILABLE', 'KMS did not answer');
      const checks = () =>
        platform.faults.requests('sts', 'AssumeRole').filter((r) => r.roleArn === customer.roleArn)
          .length;
      const before = checks();

      for (let i = 0; i < 5; i += 1) await platform.keys.reportKeyFailure(workspaceId, id, failure);
      const burst = checks() - before;
      platform.clock.advance(60_000);
      await platform.keys.reportKeyFailure(workspaceId, id, failure);

      expect(burst).toBe(1);
      expect(checks() - before).toBe(2);
      const failures = (await platform.keys.audit.list(workspaceId, id)).filter(
        (e) => e.action === 'key.failure',
      );
      expect(failures).toHaveLength(2);
    });

    it('ignores failures that say nothing about the key, such as a tampered record', async () => {
      const { workspaceId, customer } = await workspaceWithCustomer(platform, 1);
      const id = await scheduledKey(platform, workspaceId, customer, 0);

      await platform.keys.reportKeyFailure(
        workspaceId,
        id,
        new ByokError('DECRYPT_FAILED', 'opaque'),
      );

      expect(
        (await platform.keys.audit.list(workspaceId, id)).some((e) => e.action === 'key.failure'),
      ).toBe(false);
    });
  });
});
