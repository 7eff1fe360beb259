import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { startOfDay } from '../../../src/keys/model.js';
import { provisionCustomer } from '../../support/customer-aws.js';
import {
  alice,
  dayPlus,
  draftKey,
  type Platform,
  scheduledKey,
  serviceRoleArn,
  startPlatform,
  workspaceWithCustomer,
} from './harness.js';

const bob = { kind: 'admin', id: 'adm_bob', label: 'bob@example.com' } as const;

describe('enforcement-date rules', () => {
  let platform: Platform;

  beforeAll(async () => {
    platform = await startPlatform();
  });
  afterAll(async () => {
    await platform.close();
  });

  describe('when a configuration is created with a date in the past', () => {
    it('is refused as bad input and nothing is stored', async () => {
      const { workspaceId, customer } = await workspaceWithCustomer(platform, 1);

      await expect(
        platform.keys.configs.create(alice, workspaceId, {
          name: 'Late',
          cmkArn: customer.cmkArn,
          roleArn: customer.roleArn,
          enforcementDate: dayPlus(-1),
        }),
      ).rejects.toMatchObject({ code: 'BAD_INPUT' });
      expect(await platform.keys.configs.list(workspaceId)).toEqual([]);
    });

    it('accepts today (UTC)', async () => {
      const { workspaceId, customer } = await workspaceWithCustomer(platform, 1);

      const created = await platform.keys.configs.create(alice, workspaceId, {
        name: 'Today',
        cmkArn: customer.cmkArn,
        roleArn: customer.roleArn,
        enforcementDate: dayPlus(0),
      });

      expect(created.enforcementDate).toBe(dayPlus(0));
    });
  });

  describe('when the key, role or date change before the enforcement date', () => {
    it('accepts the change, sends a scheduled configuration back to draft and requires a new test', async () => {
      const { workspaceId, customer, externalId } = await workspaceWithCustomer(platform, 1);
      const id = await scheduledKey(platform, workspaceId, customer, 5);
      const second = await provisionCustomer({ serviceRoleArn, externalId });

      const changed = await platform.keys.configs.update(alice, workspaceId, id, {
        cmkArn: second.cmkArn,
        roleArn: second.roleArn,
      });

      expect(changed).toMatchObject({ state: 'draft', cmkArn: second.cmkArn });
      await expect(platform.keys.configs.proceed(alice, workspaceId, id)).rejects.toMatchObject({
        details: { reason: 'test_required' },
      });
      await platform.keys.configs.test(alice, workspaceId, id);
      const moved = await platform.keys.configs.update(alice, workspaceId, id, {
        enforcementDate: dayPlus(3),
      });
      expect(moved.state).toBe('draft');
      await platform.keys.configs.test(alice, workspaceId, id);
      expect((await platform.keys.configs.proceed(alice, workspaceId, id)).state).toBe('scheduled');
    });

    it('keeps the test valid when only the name changes', async () => {
      const { workspaceId, customer } = await workspaceWithCustomer(platform, 1);
      const id = await scheduledKey(platform, workspaceId, customer, 5);

      const renamed = await platform.keys.configs.update(alice, workspaceId, id, {
        name: 'Renamed key',
      });

      expect(renamed).toMatchObject({ name: 'Renamed key', state: 'scheduled' });
    });
  });

  describe('when the enforcement date has been reached', () => {
    it('refuses changes of key, role, date and name with 409 and a clear reason, and audits the refusal', async () => {
      const { workspaceId, customer, externalId, appIds, botIds } = await workspaceWithCustomer(
        platform,
        2,
      );
      const id = await scheduledKey(platform, workspaceId, customer, 1);
      const second = await provisionCustomer({ serviceRoleArn, externalId });
      platform.clock.set(startOfDay(dayPlus(1)) + 60_000);

      for (const change of [
        { cmkArn: second.cmkArn },
        { roleArn: second.roleArn },
        { enforcementDate: dayPlus(9) },
        { name: 'New name' },
      ]) {
        await expect(
          platform.keys.configs.update(alice, workspaceId, id, change),
        ).rejects.toMatchObject({
          code: 'CONFLICT',
          message: expect.stringMatching(
            /enforced since .* only the key can be rotated and the app and bot selection changed/,
          ),
          details: { reason: 'enforced' },
        });
      }
      const stored = await platform.keys.configs.get(workspaceId, id);
      expect(stored).toMatchObject({
        state: 'enforced',
        cmkArn: customer.cmkArn,
        name: 'Production key',
      });
      const refusals = (await platform.keys.audit.list(workspaceId, id)).filter(
        (e) => e.action === 'key.change_refused',
      );
      expect(refusals).toHaveLength(4);
      expect(refusals[0]).toMatchObject({
        outcome: 'refused',
        details: { reason: 'enforced', fields: ['name'] },
      });

      // Selection may still change.
      const selection = await platform.keys.selection.put(alice, workspaceId, id, {
        selectedAppIds: [appIds[0]],
        selectedBotIds: [botIds[0]],
      });
      expect(Object.fromEntries(selection.apps.map((a) => [a.id, a.selected]))).toEqual({
        [appIds[0] ?? '']: true,
        [appIds[1] ?? '']: false,
      });
      platform.clock.set(Date.UTC(2026, 2, 10, 12));
    });

    it('refuses to proceed when the date passed while the configuration waited', async () => {
      const { workspaceId, customer } = await workspaceWithCustomer(platform, 1);
      const created = await draftKey(platform, workspaceId, customer, 1, 'Waiting');
      await platform.keys.configs.test(alice, workspaceId, created.id);
      platform.clock.set(startOfDay(dayPlus(2)));

      await expect(
        platform.keys.configs.proceed(alice, workspaceId, created.id),
      ).rejects.toMatchObject({ details: { reason: 'enforcement_date_passed' } });
      platform.clock.set(Date.UTC(2026, 2, 10, 12));
    });
  });

  describe('when two admins change the same configuration at once', () => {
    it('applies exactly one change and refuses the other as a version conflict', async () => {
      const { workspaceId, customer } = await workspaceWithCustomer(platform, 1);
      const created = await draftKey(platform, workspaceId, customer, 4, 'Shared');

      const results = await Promise.allSettled([
        platform.keys.configs.update(alice, workspaceId, created.id, {
          name: 'By Alice',
          version: created.version,
        }),
        platform.keys.configs.update(bob, workspaceId, created.id, {
          enforcementDate: dayPlus(6),
          version: created.version,
        }),
      ]);

      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      const rejected = results.find((r) => r.status === 'rejected');
      expect(rejected?.reason).toMatchObject({
        code: 'CONFLICT',
        details: { reason: 'version_mismatch' },
      });
      const stored = await platform.keys.configs.get(workspaceId, created.id);
      expect(stored.version).toBe(2);
      expect(
        stored.name === 'By Alice'
          ? stored.enforcementDate === dayPlus(4)
          : stored.enforcementDate === dayPlus(6),
      ).toBe(true);
    });
  });

  describe('when a second configuration of a workspace is proceeded', () => {
    it('is refused while the first is scheduled', async () => {
      const { workspaceId, customer } = await workspaceWithCustomer(platform, 1);
      await scheduledKey(platform, workspaceId, customer, 2);
      const other = await draftKey(platform, workspaceId, customer, 3, 'Second');
      await platform.keys.configs.test(alice, workspaceId, other.id);

      await expect(
        platform.keys.configs.proceed(alice, workspaceId, other.id),
      ).rejects.toMatchObject({
        code: 'CONFLICT',
        details: { reason: 'another_configuration_scheduled' },
      });
    });
  });
});
