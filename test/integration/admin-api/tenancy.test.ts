import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { ManualClock } from '../../../src/base/clock.js';
import { createTenancy, demoIds, seedDemo, type Tenancy } from '../../../src/tenancy/index.js';
import { type TestDatabase, testDatabase } from '../../support/db.js';

describe('tenancy', () => {
  let database: TestDatabase;
  let tenancy: Tenancy;
  const clock = new ManualClock(Date.UTC(2026, 2, 10));

  beforeAll(async () => {
    database = await testDatabase('tenancy');
    tenancy = await createTenancy(database.db, clock);
  });
  afterAll(async () => {
    await database.drop();
  });

  describe('when the embedded default seeds its demo data', () => {
    it('creates one workspace with two apps of one bot each and a first admin, and returns a generated password once', async () => {
      const seed = () =>
        seedDemo({
          collections: tenancy.collections,
          accounts: tenancy.accounts,
          clock,
          adminEmail: 'First@Example.com',
        });

      const [first, second] = await Promise.all([seed(), seed()]);
      const third = await seed();

      const created = [first, second].filter((r) => r.adminCreated);
      expect(created).toHaveLength(1);
      expect(created[0]?.generatedPassword).toMatch(/^[0-9A-Za-z]{24}$/);
      expect(third).toMatchObject({
        adminCreated: false,
        generatedPassword: null,
        adminEmail: 'first@example.com',
      });
      const apps = await tenancy.directory.listAppsWithBots(demoIds.workspace);
      expect(apps.map((a) => [a.name, a.bots.length])).toEqual([
        ['Support', 1],
        ['Sales', 1],
      ]);
      expect(await tenancy.directory.listWorkspaces()).toHaveLength(1);
      await expect(
        tenancy.accounts.login({
          email: 'first@example.com',
          password: created[0]?.generatedPassword ?? '',
        }),
      ).resolves.toMatchObject({
        admin: { workspaceId: demoIds.workspace },
      });
    });

    it('uses a configured password and never returns it', async () => {
      const other = await testDatabase('tenancy');
      const fresh = await createTenancy(other.db, clock);

      const result = await seedDemo({
        collections: fresh.collections,
        accounts: fresh.accounts,
        clock,
        adminEmail: 'ops@example.com',
        adminPassword: 'configured password 1',
      });

      expect(result).toMatchObject({ adminCreated: true, generatedPassword: null });
      await expect(
        fresh.accounts.login({ email: 'ops@example.com', password: 'configured password 1' }),
      ).resolves.toBeDefined();
      await other.drop();
    });
  });

  describe('when ids of another workspace are used', () => {
    it('answers NOT_FOUND exactly as for ids that do not exist', async () => {
      const a = await tenancy.directory.createWorkspace({ name: 'A' });
      const b = await tenancy.directory.createWorkspace({ name: 'B' });
      const appB = await tenancy.directory.createApp(b.id, { name: 'B app' });
      const botB = await tenancy.directory.createBot(b.id, appB.id, { name: 'B bot' });

      await expect(tenancy.directory.getApp(a.id, appB.id)).rejects.toMatchObject({
        code: 'NOT_FOUND',
        message: 'app not found',
      });
      await expect(tenancy.directory.getApp(a.id, 'app_missing')).rejects.toMatchObject({
        code: 'NOT_FOUND',
        message: 'app not found',
      });
      await expect(tenancy.directory.getBot(a.id, botB.id)).rejects.toMatchObject({
        code: 'NOT_FOUND',
      });
      await expect(
        tenancy.directory.createBot(a.id, appB.id, { name: 'sneaky' }),
      ).rejects.toMatchObject({ code: 'NOT_FOUND' });
      expect(await tenancy.directory.listBots(b.id)).toHaveLength(1);
      expect(await tenancy.directory.findBot(botB.id)).toMatchObject({
        workspaceId: b.id,
        appId: appB.id,
      });
    });

    it('gives every workspace its own unguessable external ID', async () => {
      const workspaces = await Promise.all(
        [1, 2, 3].map((i) => tenancy.directory.createWorkspace({ name: `W${i}` })),
      );

      expect(new Set(workspaces.map((w) => w.externalId)).size).toBe(3);
      expect(workspaces.every((w) => /^[0-9A-Za-z]{32}$/.test(w.externalId))).toBe(true);
    });
  });

  describe('when an admin is created', () => {
    it('refuses a short password, a malformed e-mail and an e-mail already in use', async () => {
      const ws = await tenancy.directory.createWorkspace({ name: 'Admins' });
      await tenancy.accounts.createAdmin(ws.id, {
        email: 'taken@example.com',
        password: 'long enough password',
      });

      await expect(
        tenancy.accounts.createAdmin(ws.id, { email: 'short@example.com', password: 'short' }),
      ).rejects.toMatchObject({ code: 'BAD_INPUT' });
      await expect(
        tenancy.accounts.createAdmin(ws.id, {
          email: 'not-an-email',
          password: 'long enough password',
        }),
      ).rejects.toMatchObject({ code: 'BAD_INPUT' });
      await expect(
        tenancy.accounts.createAdmin(ws.id, {
          email: 'TAKEN@example.com',
          password: 'long enough password',
        }),
      ).rejects.toMatchObject({ code: 'CONFLICT' });
      expect(await tenancy.accounts.listAdmins(ws.id)).toHaveLength(1);
    });
  });
});
