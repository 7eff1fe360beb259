import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { EnvelopeSealer } from '../../../src/sealing/sealer.js';
import type { SealScope } from '../../../src/sealing/types.js';
import { disableCustomerKey, provisionCustomer } from '../../support/customer-aws.js';
import {
  alice,
  draftKey,
  type Platform,
  scheduledKey,
  serviceRoleArn,
  startPlatform,
  workspaceWithCustomer,
} from './harness.js';

describe('key rotation', () => {
  let platform: Platform;
  let stopAfterFirstBatch = false;

  beforeAll(async () => {
    platform = await startPlatform({
      rotationBatchSize: 2,
      onRotationProgress: () => {
        if (!stopAfterFirstBatch) return;
        stopAfterFirstBatch = false;
        // The process "goes down" after its first batch: the job stops between batches.
        void platform.keys.rotation.stop();
      },
    });
  });
  afterAll(async () => {
    await platform.close();
  });

  async function openAll(
    sealer: EnvelopeSealer,
    sealed: { scope: SealScope; envelope: Buffer; text: string }[],
  ) {
    return Promise.all(
      sealed.map(async (s) => (await sealer.open(s.scope, s.envelope)).toString() === s.text),
    );
  }

  describe('when the process restarts in the middle of moving the data keys', () => {
    it('resumes in a new instance, moves every data key to the new CMK and every record still opens', async () => {
      const { workspaceId, externalId, appIds, botIds, customer } = await workspaceWithCustomer(
        platform,
        5,
      );
      const id = await scheduledKey(platform, workspaceId, customer, 0);
      const sealed = await Promise.all(
        appIds.map(async (appId, i) => {
          const scope = {
            tenantId: workspaceId,
            appId,
            botId: botIds[i] ?? '',
            collection: 'transcripts',
            recordId: `r${i}`,
            field: 'text',
          };
          const text = `record ${i} of the old key`;
          const { envelope, provenance } = await platform.sealer.seal(scope, Buffer.from(text));
          expect(provenance.keyRef).toBe(customer.cmkArn);
          return { scope, envelope, text };
        }),
      );
      const next = await provisionCustomer({ serviceRoleArn, externalId });
      const wrappedBy = (keyRef: string) =>
        platform.vault.countWrappedBy({ tenantId: workspaceId, keyConfigId: id, keyRef });

      stopAfterFirstBatch = true;
      const started = await platform.keys.rotation.start(alice, workspaceId, id, {
        cmkArn: next.cmkArn,
        roleArn: next.roleArn,
      });
      await platform.keys.rotation.idle();

      expect(started.job).toMatchObject({
        status: 'running',
        total: 5,
        toCmkArn: next.cmkArn,
        fromCmkArns: [customer.cmkArn],
      });
      expect(started.config).toMatchObject({
        cmkArn: next.cmkArn,
        roleArn: next.roleArn,
        state: 'enforced',
        retiredKeys: [{ cmkArn: customer.cmkArn }],
      });
      const interrupted = await platform.keys.rotation.latest(workspaceId, id);
      expect(interrupted).toMatchObject({ status: 'running', moved: 2, failed: 0 });
      expect(await wrappedBy(customer.cmkArn)).toBe(3);
      await expect(
        platform.keys.rotation.start(alice, workspaceId, id, { cmkArn: next.cmkArn }),
      ).rejects.toMatchObject({
        code: 'CONFLICT',
        details: { reason: 'rotation_running' },
      });

      // A new process: data sealed before still opens (some keys moved, some not), new data uses the new key.
      const second = await platform.restart({ rotationBatchSize: 2 });
      expect(await openAll(second.sealer, sealed)).toEqual([true, true, true, true, true]);
      const fresh = await second.sealer.seal(
        { ...sealed[0]!.scope, recordId: 'after-rotation' },
        Buffer.from('new'),
      );
      expect(fresh.provenance.keyRef).toBe(next.cmkArn);

      expect(await second.keys.resumeRotationJobs()).toEqual([started.job.id]);
      await second.keys.rotation.idle();

      expect(await second.keys.rotation.latest(workspaceId, id)).toMatchObject({
        status: 'completed',
        total: 5,
        moved: 5,
        failed: 0,
      });
      expect(await wrappedBy(customer.cmkArn)).toBe(0);
      expect(await wrappedBy(next.cmkArn)).toBe(6);
      const third = await platform.restart();
      expect(await openAll(third.sealer, sealed)).toEqual([true, true, true, true, true]);
      expect((await third.keys.configs.get(workspaceId, id)).rotationJobId).toBeNull();
      const actions = (await third.keys.audit.list(workspaceId, id)).map((e) => e.action);
      expect(actions).toContain('key.rotation_started');
      expect(actions[0]).toBe('key.rotation_finished');
    });
  });

  describe('when the new key fails its test', () => {
    it('refuses the rotation with the failing step and leaves the configuration as it was', async () => {
      const { workspaceId, externalId, customer } = await workspaceWithCustomer(platform, 1);
      const id = await scheduledKey(platform, workspaceId, customer, 0);
      const broken = await provisionCustomer({ serviceRoleArn, externalId });
      await disableCustomerKey(broken.cmkArn);

      const refused = platform.keys.rotation.start(alice, workspaceId, id, {
        cmkArn: broken.cmkArn,
        roleArn: broken.roleArn,
      });

      await expect(refused).rejects.toMatchObject({
        code: 'CONFLICT',
        details: {
          reason: 'rotation_test_failed',
          test: {
            passed: false,
            steps: [{ status: 'pass' }, { status: 'fail', code: 'KEY_DISABLED' }, {}, {}, {}],
          },
        },
      });
      expect(await platform.keys.configs.get(workspaceId, id)).toMatchObject({
        cmkArn: customer.cmkArn,
        retiredKeys: [],
        rotationJobId: null,
      });
      expect(await platform.keys.rotation.latest(workspaceId, id)).toBeNull();
    });
  });

  describe('when the configuration was never proceeded', () => {
    it('refuses to rotate and points to changing the key instead', async () => {
      const { workspaceId, customer } = await workspaceWithCustomer(platform, 1);
      const created = await draftKey(platform, workspaceId, customer, 22, 'Draft');

      await expect(
        platform.keys.rotation.start(alice, workspaceId, created.id, { cmkArn: customer.cmkArn }),
      ).rejects.toMatchObject({
        details: { reason: 'not_scheduled' },
      });
    });
  });
});
