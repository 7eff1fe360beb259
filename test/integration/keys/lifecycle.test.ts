import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { startOfDay } from '../../../src/keys/model.js';
import { defaultKeyName } from '../../../src/sealing/default-resolver.js';
import { demoIds, seedDemo } from '../../../src/tenancy/seed.js';
import { provisionCustomer } from '../../support/customer-aws.js';
import { alice, dayPlus, type Platform, serviceRoleArn, startPlatform } from './harness.js';

describe('the Enterprise Key lifecycle', () => {
  let platform: Platform;

  beforeAll(async () => {
    platform = await startPlatform();
  });
  afterAll(async () => {
    await platform.close();
  });

  describe('when an admin connects the customer key of the demo workspace', () => {
    it('tests, selects, proceeds and from the enforcement date seals selected apps under the CMK', async () => {
      const { tenancy, keys, sealer, clock, faults } = platform;
      await seedDemo({
        collections: tenancy.collections,
        accounts: tenancy.accounts,
        clock,
        adminEmail: 'first-admin@example.com',
        adminPassword: 'a long enough password',
      });
      const workspace = await tenancy.directory.getWorkspace(demoIds.workspace);
      const customer = await provisionCustomer({
        serviceRoleArn,
        externalId: workspace.externalId,
      });
      const [supportApp, salesApp] = demoIds.apps;
      const [supportBot, salesBot] = demoIds.bots;
      const before = {
        tenantId: workspace.id,
        appId: supportApp,
        botId: supportBot,
        collection: 'transcripts',
        recordId: 'r-before',
        field: 'text',
      };
      const sealedBefore = await sealer.seal(before, Buffer.from('written before enforcement'));

      // Create: the external ID shown is the workspace's.
      const created = await keys.configs.create(alice, workspace.id, {
        name: 'Contoso production CMK',
        cmkArn: customer.cmkArn,
        roleArn: customer.roleArn,
        enforcementDate: dayPlus(2),
      });
      expect(created).toMatchObject({
        state: 'draft',
        externalId: workspace.externalId,
        serviceRoleArn,
        version: 1,
      });

      // Test Configuration: five passing steps, through the customer's role.
      const tested = await keys.configs.test(alice, workspace.id, created.id);
      expect(tested.state).toBe('tested');
      expect(tested.lastTest?.steps.map((s) => [s.id, s.status])).toEqual([
        ['assume_role', 'pass'],
        ['describe_key', 'pass'],
        ['generate_data_key', 'pass'],
        ['decrypt_data_key', 'pass'],
        ['encrypt_decrypt_probe', 'pass'],
      ]);
      const assumed = faults.requests('sts', 'AssumeRole').at(-1);
      expect(assumed).toMatchObject({
        roleArn: customer.roleArn,
        externalId: workspace.externalId,
      });
      const generated = faults.requests('kms', 'GenerateDataKey').at(-1);
      expect(generated?.encryptionContext).toMatchObject({
        tenantId: workspace.id,
        purpose: 'byok-harness:data-key',
      });

      // Selection: every app and bot listed and selected; the admin leaves Sales on the default key.
      const selection = await keys.selection.get(workspace.id, created.id);
      expect(
        selection.apps.map((a) => [a.id, a.selected, a.bots.map((b) => [b.id, b.selected])]),
      ).toEqual([
        [supportApp, true, [[supportBot, true]]],
        [salesApp, true, [[salesBot, true]]],
      ]);
      await keys.selection.put(alice, workspace.id, created.id, {
        selectedAppIds: [supportApp],
        selectedBotIds: [supportBot],
      });

      // Proceed: scheduled until the date, sealing still under the default key.
      const scheduled = await keys.configs.proceed(alice, workspace.id, created.id);
      expect(scheduled.state).toBe('scheduled');
      const early = await keys.resolver.resolveForSeal(
        { tenantId: workspace.id, appId: supportApp, botId: supportBot },
        clock.now(),
      );
      expect(early.keyConfigId).toBeNull();

      // The enforcement date arrives.
      clock.set(startOfDay(dayPlus(2)));
      expect((await keys.configs.get(workspace.id, created.id)).state).toBe('enforced');
      const selected = await keys.resolver.resolveForSeal(
        { tenantId: workspace.id, appId: supportApp, botId: supportBot },
        clock.now(),
      );
      expect(selected).toMatchObject({
        keyConfigId: created.id,
        keyName: 'Contoso production CMK',
      });
      expect(selected.provider.keyRef).toBe(customer.cmkArn);
      const deselected = await keys.resolver.resolveForSeal(
        { tenantId: workspace.id, appId: salesApp, botId: salesBot },
        clock.now(),
      );
      expect(deselected).toMatchObject({ keyConfigId: null, keyName: defaultKeyName });

      // New data of the selected app is sealed under the CMK; old data still opens.
      const after = { ...before, recordId: 'r-after' };
      const sealedAfter = await sealer.seal(after, Buffer.from('written after enforcement'));
      expect(sealedAfter.provenance).toMatchObject({
        provider: 'aws',
        keyRef: customer.cmkArn,
        keyConfigId: created.id,
      });
      expect((await sealer.open(after, sealedAfter.envelope)).toString()).toBe(
        'written after enforcement',
      );
      expect((await sealer.open(before, sealedBefore.envelope)).toString()).toBe(
        'written before enforcement',
      );
      const sales = { ...before, appId: salesApp, botId: salesBot, recordId: 'r-sales' };
      expect((await sealer.seal(sales, Buffer.from('sales data'))).provenance.provider).toBe(
        'local',
      );

      // Every step is in the audit trail, newest first.
      const trail = await keys.audit.list(workspace.id, created.id);
      expect(trail.map((e) => e.action).reverse()).toEqual([
        'key.created',
        'key.tested',
        'key.selection_changed',
        'key.proceeded',
      ]);
      expect(trail.every((e) => e.actor.label === alice.label)).toBe(true);
    });
  });
});
