import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { type Platform, startPlatform } from '../keys/harness.js';
import { type AdminApi, startAdminApi } from './api.js';

const password = 'a sufficiently long password';

describe('admin API authentication', () => {
  let platform: Platform;
  let api: AdminApi;
  let email: string;
  let workspaceId: string;

  beforeAll(async () => {
    platform = await startPlatform();
    api = await startAdminApi(platform);
    const workspace = await platform.tenancy.directory.createWorkspace({ name: 'Auth' });
    workspaceId = workspace.id;
    email = 'Owner@Example.com';
    await platform.tenancy.accounts.createAdmin(workspace.id, { email, password });
  });
  afterAll(async () => {
    await api.close();
    await platform.close();
  });

  describe('when no credentials are sent', () => {
    it('answers 401 on every protected route', async () => {
      for (const [method, path] of [
        ['GET', '/me'],
        ['GET', '/keys'],
        ['POST', '/apps'],
        ['GET', '/audit'],
      ] as const) {
        const result = await api.call(
          method,
          path,
          method === 'POST' ? { body: { name: 'x' } } : {},
        );
        expect(result.status, `${method} ${path}`).toBe(401);
        expect(result.body.error.code).toBe('UNAUTHENTICATED');
      }
    });
  });

  describe('when an admin signs in', () => {
    it('returns a session token, sets a secure HttpOnly SameSite=Strict cookie and stores only a hash', async () => {
      const result = await api.call('POST', '/login', {
        body: { email: 'owner@example.com', password },
      });

      expect(result.status).toBe(200);
      expect(result.body).toMatchObject({
        admin: { email: 'owner@example.com', workspaceId },
        csrfToken: expect.any(String),
      });
      const cookie = result.headers.get('set-cookie') ?? '';
      expect(cookie).toMatch(
        /^byok_admin=byok_s_[\w-]+; Path=\/; Max-Age=43200; HttpOnly; SameSite=Strict; Secure$/,
      );
      const stored = await platform.database.db.collection('admin_tokens').find({}).toArray();
      expect(JSON.stringify(stored)).not.toContain(result.body.token);
      expect(
        JSON.stringify(await platform.database.db.collection('admins').find({}).toArray()),
      ).not.toContain(password);
    });

    it('refuses a wrong password and an unknown e-mail with the same answer', async () => {
      const wrong = await api.call('POST', '/login', {
        body: { email, password: 'not the password' },
      });
      const unknown = await api.call('POST', '/login', {
        body: { email: 'nobody@example.com', password },
      });

      expect(wrong.status).toBe(401);
      expect(unknown.status).toBe(401);
      expect(wrong.body).toEqual(unknown.body);
    });
  });

  describe('when the console uses the session cookie', () => {
    it('reads without a CSRF header but needs the session CSRF value to change anything', async () => {
      const login = await api.call('POST', '/login', { body: { email, password } });
      const cookie = `byok_admin=${login.body.token}`;

      const me = await api.call('GET', '/me', { cookie });
      const noHeader = await api.call('POST', '/apps', { cookie, body: { name: 'No CSRF' } });
      const wrongHeader = await api.call('POST', '/apps', {
        cookie,
        csrf: 'x'.repeat(32),
        body: { name: 'Wrong CSRF' },
      });
      const withHeader = await api.call('POST', '/apps', {
        cookie,
        csrf: login.body.csrfToken,
        body: { name: 'With CSRF' },
      });

      expect(me.status).toBe(200);
      expect(me.body).toMatchObject({
        csrfToken: login.body.csrfToken,
        tokenKind: 'session',
        workspace: { id: workspaceId },
      });
      expect([noHeader.status, noHeader.body.error.code]).toEqual([403, 'FORBIDDEN']);
      expect(wrongHeader.status).toBe(403);
      expect(withHeader.status).toBe(201);
      const names = (await platform.tenancy.directory.listApps(workspaceId)).map((a) => a.name);
      expect(names).toContain('With CSRF');
      expect(names).not.toContain('No CSRF');
    });
  });

  describe('when an API client uses a bearer token', () => {
    it('needs no CSRF header, and signing out revokes the token', async () => {
      const token = await api.login(email, password);

      expect(
        (await api.call('POST', '/apps', { token, body: { name: 'Bearer app' } })).status,
      ).toBe(201);
      expect((await api.call('POST', '/logout', { token })).status).toBe(204);
      expect((await api.call('GET', '/me', { token })).status).toBe(401);
    });

    it('issues API tokens from a session, which work as bearer tokens but not as cookies', async () => {
      const session = await api.login(email, password);
      const created = await api.call('POST', '/tokens', {
        token: session,
        body: { label: 'CI', ttlDays: 30 },
      });
      const apiToken = created.body.token as string;

      expect(created.status).toBe(201);
      expect((await api.call('GET', '/keys', { token: apiToken })).status).toBe(200);
      expect((await api.call('GET', '/keys', { cookie: `byok_admin=${apiToken}` })).status).toBe(
        401,
      );
      expect(
        (await api.call('POST', '/tokens', { token: apiToken, body: { label: 'chain' } })).status,
      ).toBe(403);
    });

    it('refuses a session after it expires', async () => {
      const token = await api.login(email, password);
      platform.clock.advance(12 * 60 * 60 * 1000 + 1);

      const result = await api.call('GET', '/me', { token });

      expect(result.status).toBe(401);
      expect(result.body.error.message).toMatch(/expired/);
    });
  });

  describe('when someone guesses passwords', () => {
    it('stops answering for that e-mail after ten failures, even for the right password', async () => {
      const target = 'guessed@example.com';
      await platform.tenancy.accounts.createAdmin(workspaceId, { email: target, password });
      for (let i = 0; i < 10; i += 1) {
        expect(
          (await api.call('POST', '/login', { body: { email: target, password: `guess ${i}` } }))
            .status,
        ).toBe(401);
      }

      const locked = await api.call('POST', '/login', { body: { email: target, password } });

      expect([locked.status, locked.body.error.code]).toEqual([429, 'RATE_LIMITED']);
    });
  });
});
