import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import {
  type Platform,
  scheduledKey,
  startPlatform,
  workspaceWithCustomer,
} from '../keys/harness.js';
import { type AdminApi, startAdminApi } from './api.js';

describe('admin API workspace isolation', () => {
  let platform: Platform;
  let api: AdminApi;
  let tokenA: string;
  let a: Awaited<ReturnType<typeof workspaceWithCustomer>> & { keyId: string };
  let b: Awaited<ReturnType<typeof workspaceWithCustomer>> & { keyId: string };

  beforeAll(async () => {
    platform = await startPlatform();
    api = await startAdminApi(platform);
    const setupA = await workspaceWithCustomer(platform, 1);
    const setupB = await workspaceWithCustomer(platform, 1);
    a = { ...setupA, keyId: await scheduledKey(platform, setupA.workspaceId, setupA.customer, 3) };
    b = { ...setupB, keyId: await scheduledKey(platform, setupB.workspaceId, setupB.customer, 3) };
    tokenA = await api.signIn(a.workspaceId, 'admin-a@example.com');
  });
  afterAll(async () => {
    await api.close();
    await platform.close();
  });

  describe("when an admin names another workspace's ids", () => {
    it('answers 404 NOT_FOUND on every route, as for ids that do not exist, and changes nothing', async () => {
      const app = b.appIds[0] ?? '';
      const bot = b.botIds[0] ?? '';
      const key = b.keyId;
      const routes: [string, string, unknown?][] = [
        ['GET', `/apps/${app}`],
        ['GET', `/apps/${app}/bots`],
        ['POST', `/apps/${app}/bots`, { name: 'Intruder bot' }],
        ['GET', `/bots/${bot}`],
        ['GET', `/keys/${key}`],
        ['PATCH', `/keys/${key}`, { name: 'Taken over' }],
        ['POST', `/keys/${key}/test`],
        ['GET', `/keys/${key}/selection`],
        ['PUT', `/keys/${key}/selection`, { selectedAppIds: [], selectedBotIds: [] }],
        ['POST', `/keys/${key}/proceed`],
        ['POST', `/keys/${key}/rotate`, { cmkArn: a.customer.cmkArn, roleArn: a.customer.roleArn }],
        ['GET', `/keys/${key}/rotation`],
        ['GET', `/keys/${key}/health`],
        ['POST', `/keys/${key}/health/check`],
        ['GET', `/keys/${key}/audit`],
      ];
      const auditBefore = await platform.keys.audit.list(b.workspaceId, null);
      const keyBefore = await platform.keys.configs.get(b.workspaceId, key);

      for (const [method, path, body] of routes) {
        const foreign = await api.call(method, path, {
          token: tokenA,
          ...(body === undefined ? {} : { body }),
        });
        const missing = await api.call(
          method,
          path.replace(/(app|bot|key)_\w+/, '$1_doesNotExist0000000'),
          {
            token: tokenA,
            ...(body === undefined ? {} : { body }),
          },
        );
        expect([foreign.status, foreign.body?.error?.code], `${method} ${path}`).toEqual([
          404,
          'NOT_FOUND',
        ]);
        expect(foreign.body, `${method} ${path}`).toEqual(missing.body);
      }

      expect(await platform.keys.configs.get(b.workspaceId, key)).toEqual(keyBefore);
      expect(await platform.keys.audit.list(b.workspaceId, null)).toEqual(auditBefore);
      expect(await platform.tenancy.directory.listBots(b.workspaceId)).toHaveLength(1);
    });
  });

  describe('when an admin lists things', () => {
    it('sees only the own workspace in every list', async () => {
      const lists = await Promise.all(
        ['/apps', '/bots', '/keys', '/audit', '/workspace', '/me'].map((p) =>
          api.call('GET', p, { token: tokenA }),
        ),
      );
      const text = JSON.stringify(lists.map((l): unknown => l.body));

      for (const foreign of [b.workspaceId, b.externalId, b.keyId, ...b.appIds, ...b.botIds])
        expect(text).not.toContain(foreign);
      expect(text).toContain(a.keyId);
      expect(lists.every((l) => l.status === 200)).toBe(true);
    });
  });

  describe("when an admin selects another workspace's apps for the own key", () => {
    it('refuses them as unknown with 400 and stores nothing', async () => {
      const before = await platform.keys.configs.get(a.workspaceId, a.keyId);

      const result = await api.call('PUT', `/keys/${a.keyId}/selection`, {
        token: tokenA,
        body: { selectedAppIds: [...a.appIds, ...b.appIds], selectedBotIds: a.botIds },
      });

      expect([result.status, result.body.error.code]).toEqual([400, 'BAD_INPUT']);
      expect(result.body.error.details.unknownAppIds).toEqual(b.appIds);
      expect((await platform.keys.configs.get(a.workspaceId, a.keyId)).version).toBe(
        before.version,
      );
    });
  });
});
