import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { startOfDay } from '../../../src/keys/model.js';
import { provisionCustomer } from '../../support/customer-aws.js';
import {
  dayPlus,
  type Platform,
  serviceRoleArn,
  startPlatform,
  workspaceWithCustomer,
} from '../keys/harness.js';
import { type AdminApi, startAdminApi } from './api.js';

const password = 'a sufficiently long password';

describe('admin API key flow', () => {
  let platform: Platform;
  let api: AdminApi;

  beforeAll(async () => {
    platform = await startPlatform();
    api = await startAdminApi(platform);
  });
  afterAll(async () => {
    await api.close();
    await platform.close();
  });

  describe('when an admin drives the whole lifecycle over HTTP', () => {
    it('creates, tests, selects, proceeds, is refused a change once enforced, rotates and reads health and audit', async () => {
      const { workspaceId, externalId, appIds, botIds, customer } = await workspaceWithCustomer(
        platform,
        2,
      );
      await platform.tenancy.accounts.createAdmin(workspaceId, {
        email: 'flow@example.com',
        password,
      });
      let token = await api.login('flow@example.com', password);
      const call = (method: string, path: string, body?: unknown) =>
        api.call(method, path, { token, ...(body === undefined ? {} : { body }) });

      const workspace = await call('GET', '/workspace');
      expect(workspace.body).toMatchObject({ externalId, serviceRoleArn });

      const created = await call('POST', '/keys', {
        name: 'HTTP key',
        cmkArn: customer.cmkArn,
        roleArn: customer.roleArn,
        enforcementDate: dayPlus(1),
      });
      expect([created.status, created.body.state]).toEqual([201, 'draft']);
      const id = created.body.id as string;

      const early = await call('PUT', `/keys/${id}/selection`, {
        selectedAppIds: appIds,
        selectedBotIds: botIds,
      });
      expect([early.status, early.body.error.details.reason]).toEqual([409, 'test_required']);

      const tested = await call('POST', `/keys/${id}/test`);
      expect([tested.status, tested.body.state, tested.body.lastTest.passed]).toEqual([
        200,
        'tested',
        true,
      ]);

      const selection = await call('GET', `/keys/${id}/selection`);
      expect(selection.body).toMatchObject({
        editable: true,
        apps: [
          { selected: true, bots: [{ selected: true }] },
          { selected: true, bots: [{ selected: true }] },
        ],
      });
      const chosen = await call('PUT', `/keys/${id}/selection`, {
        selectedAppIds: [appIds[0]],
        selectedBotIds: [botIds[0]],
        version: selection.body.version,
      });
      expect(chosen.status).toBe(200);

      const proceeded = await call('POST', `/keys/${id}/proceed`, { version: chosen.body.version });
      expect([proceeded.status, proceeded.body.state]).toEqual([200, 'scheduled']);

      // The enforcement date arrives (the session ran out meanwhile: sign in again).
      platform.clock.set(startOfDay(dayPlus(1)) + 1000);
      token = await api.login('flow@example.com', password);
      const refused = await call('PATCH', `/keys/${id}`, {
        roleArn: customer.roleArn.replace(/role\/.*/, 'role/other'),
      });
      expect([refused.status, refused.body.error.code, refused.body.error.details.reason]).toEqual([
        409,
        'CONFLICT',
        'enforced',
      ]);

      const next = await provisionCustomer({ serviceRoleArn, externalId });
      const rotated = await call('POST', `/keys/${id}/rotate`, {
        cmkArn: next.cmkArn,
        roleArn: next.roleArn,
      });
      expect([rotated.status, rotated.body.job.status, rotated.body.config.cmkArn]).toEqual([
        202,
        'running',
        next.cmkArn,
      ]);
      await platform.keys.rotation.idle();
      expect((await call('GET', `/keys/${id}/rotation`)).body.job).toMatchObject({
        status: 'completed',
        failed: 0,
      });

      expect((await call('POST', `/keys/${id}/health/check`)).body).toMatchObject({
        status: 'healthy',
      });
      expect((await call('GET', `/keys/${id}/health`)).body).toMatchObject({
        status: 'healthy',
        keyConfigId: id,
      });

      const audit = await call('GET', `/keys/${id}/audit`);
      const entries = audit.body.entries as { action: string }[];
      expect(entries.map((e) => e.action).reverse()).toEqual([
        'key.created',
        'key.change_refused',
        'key.tested',
        'key.selection_changed',
        'key.proceeded',
        'key.change_refused',
        'key.rotation_started',
        'key.rotation_finished',
        'key.health_changed',
      ]);
      expect((await call('GET', '/keys')).body.keys).toHaveLength(1);
    });
  });
});
