import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import {
  dayPlus,
  type Platform,
  scheduledKey,
  startPlatform,
  workspaceWithCustomer,
} from '../keys/harness.js';
import { type AdminApi, startAdminApi } from './api.js';

const collections = [
  'workspaces',
  'apps',
  'bots',
  'admins',
  'key_configs',
  'key_config_versions',
  'key_active',
  'key_audit',
  'key_rotation_jobs',
];

describe('admin API input checks', () => {
  let platform: Platform;
  let api: AdminApi;
  let token: string;
  let setup: Awaited<ReturnType<typeof workspaceWithCustomer>>;
  let keyId: string;

  beforeAll(async () => {
    platform = await startPlatform();
    api = await startAdminApi(platform);
    setup = await workspaceWithCustomer(platform, 2);
    keyId = await scheduledKey(platform, setup.workspaceId, setup.customer, 3);
    token = await api.signIn(setup.workspaceId, 'checker@example.com');
  });
  afterAll(async () => {
    await api.close();
    await platform.close();
  });

  async function counts(): Promise<Record<string, number>> {
    const entries = await Promise.all(
      collections.map(
        async (name) =>
          [name, await platform.database.db.collection(name).countDocuments()] as const,
      ),
    );
    return Object.fromEntries(entries);
  }

  function key(overrides: Record<string, unknown>) {
    return {
      name: 'Key',
      cmkArn: setup.customer.cmkArn,
      roleArn: setup.customer.roleArn,
      enforcementDate: dayPlus(2),
      ...overrides,
    };
  }

  const cases: [
    title: string,
    method: string,
    path: () => string,
    body: () => unknown,
    status: number,
    code: string,
  ][] = [
    [
      'an alias instead of a key ARN',
      'POST',
      () => '/keys',
      () => key({ cmkArn: 'arn:aws:kms:us-east-1:111122223333:alias/prod' }),
      400,
      'INVALID_ARN',
    ],
    [
      'a key ARN of another service',
      'POST',
      () => '/keys',
      () =>
        key({
          cmkArn: 'arn:aws:s3:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab',
        }),
      400,
      'INVALID_ARN',
    ],
    [
      'a key ARN with a made-up region',
      'POST',
      () => '/keys',
      () =>
        key({ cmkArn: 'arn:aws:kms:moon-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab' }),
      400,
      'INVALID_ARN',
    ],
    [
      'a role ARN with a short account',
      'POST',
      () => '/keys',
      () => key({ roleArn: 'arn:aws:iam::1111:role/r' }),
      400,
      'INVALID_ARN',
    ],
    [
      'a role of another account than the key',
      'POST',
      () => '/keys',
      () => key({ roleArn: 'arn:aws:iam::999988887777:role/r' }),
      400,
      'INVALID_ARN',
    ],
    [
      'an enforcement date in the past',
      'POST',
      () => '/keys',
      () => key({ enforcementDate: dayPlus(-1) }),
      400,
      'BAD_INPUT',
    ],
    [
      'a date that does not exist',
      'POST',
      () => '/keys',
      () => key({ enforcementDate: '2026-02-30' }),
      400,
      'BAD_INPUT',
    ],
    [
      'a number where the name goes',
      'POST',
      () => '/keys',
      () => key({ name: 42 }),
      400,
      'BAD_INPUT',
    ],
    [
      'a list where the ARN goes',
      'POST',
      () => '/keys',
      () => key({ cmkArn: [setup.customer.cmkArn] }),
      400,
      'BAD_INPUT',
    ],
    [
      'an operator object where the ARN goes',
      'POST',
      () => '/keys',
      () => key({ cmkArn: { $gt: '' } }),
      400,
      'BAD_INPUT',
    ],
    [
      'an operator object where the name goes',
      'POST',
      () => '/apps',
      () => ({ name: { $ne: null } }),
      400,
      'BAD_INPUT',
    ],
    [
      'an unknown field',
      'POST',
      () => '/keys',
      () => key({ phase: 'scheduled' }),
      400,
      'BAD_INPUT',
    ],
    ['another provider', 'POST', () => '/keys', () => key({ provider: 'gcp' }), 400, 'BAD_INPUT'],
    [
      'operator objects at login',
      'POST',
      () => '/login',
      () => ({ email: { $gt: '' }, password: { $gt: '' } }),
      400,
      'BAD_INPUT',
    ],
    [
      'an unknown app in the selection',
      'PUT',
      () => `/keys/${keyId}/selection`,
      () => ({ selectedAppIds: ['app_unknown'], selectedBotIds: [] }),
      400,
      'BAD_INPUT',
    ],
    [
      'a bot selected without its app',
      'PUT',
      () => `/keys/${keyId}/selection`,
      () => ({ selectedAppIds: [setup.appIds[0]], selectedBotIds: setup.botIds }),
      400,
      'BAD_INPUT',
    ],
    [
      'an operator object in the selection',
      'PUT',
      () => `/keys/${keyId}/selection`,
      () => ({ selectedAppIds: { $in: [] }, selectedBotIds: [] }),
      400,
      'BAD_INPUT',
    ],
    [
      'a past date in a change',
      'PATCH',
      () => `/keys/${keyId}`,
      () => ({ enforcementDate: dayPlus(-3) }),
      400,
      'BAD_INPUT',
    ],
    [
      'a malformed ARN in a rotation',
      'POST',
      () => `/keys/${keyId}/rotate`,
      () => ({ cmkArn: 'not-an-arn' }),
      400,
      'INVALID_ARN',
    ],
    [
      'a version of the wrong type',
      'POST',
      () => `/keys/${keyId}/proceed`,
      () => ({ version: '1' }),
      400,
      'BAD_INPUT',
    ],
    [
      'an oversized body',
      'POST',
      () => '/keys',
      () => key({ name: 'x'.repeat(70 * 1024) }),
      413,
      'PAYLOAD_TOO_LARGE',
    ],
  ];

  describe('when a request carries bad input', () => {
    it.each(cases)(
      'refuses %s and stores nothing',
      async (_title, method, path, body, status, code) => {
        const before = await counts();
        const version = (await platform.keys.configs.get(setup.workspaceId, keyId)).version;

        const result = await api.call(method, path(), { token, body: body() });

        expect([result.status, result.body?.error?.code]).toEqual([status, code]);
        expect(await counts()).toEqual(before);
        expect((await platform.keys.configs.get(setup.workspaceId, keyId)).version).toBe(version);
      },
    );
  });

  describe('when the body is not JSON', () => {
    it('answers 415 for another content type and 400 for broken JSON, storing nothing', async () => {
      const before = await counts();

      const form = await api.call('POST', '/apps', {
        token,
        raw: 'name=x',
        contentType: 'application/x-www-form-urlencoded',
      });
      const broken = await api.call('POST', '/apps', { token, raw: '{"name": ' });

      expect([form.status, broken.status]).toEqual([415, 400]);
      expect(await counts()).toEqual(before);
    });
  });

  describe('when a query string is wrong', () => {
    it('refuses a non-numeric limit and operator-shaped keys', async () => {
      expect((await api.call('GET', '/audit?limit=abc', { token })).status).toBe(400);
      expect((await api.call('GET', '/audit?limit[$gt]=1', { token })).status).toBe(400);
      expect((await api.call('GET', '/audit?limit=2', { token })).body.entries).toHaveLength(2);
    });
  });
});
