/**
 * Sign-in and the workspace's apps and bots. Every route below `requireAdmin` works inside the
 * signed-in admin's workspace: ids are looked up with that workspace, so another workspace's
 * id answers 404 exactly like an id that does not exist.
 */
import { Router } from 'express';

import type { Clock } from '../../base/clock.js';
import { ByokError, ErrorCode } from '../../base/errors.js';
import { loginSchema } from '../../tenancy/admins.js';
import type { Tenancy } from '../../tenancy/index.js';
import { parseInput } from '../../tenancy/validation.js';
import { LoginThrottle, presentedToken, principalOf, sessionCookie } from './auth.js';
import { body } from './body.js';

/** What the sign-in and workspace routes need. */
export interface TenancyRoutesDeps {
  tenancy: Tenancy;
  clock: Clock;
  serviceRoleArn: string;
  /** Whether the session cookie carries `Secure` (default true). */
  secureCookie: boolean;
}

/** POST /login, POST /logout: usable without a session. */
export function sessionRoutes(deps: TenancyRoutesDeps): Router {
  const router = Router();
  const perEmail = new LoginThrottle(() => deps.clock.now(), 10);
  const perClient = new LoginThrottle(() => deps.clock.now(), 100);

  router.post('/login', ...body(), async (req, res) => {
    const input = parseInput(loginSchema, req.body, 'login');
    const email = `email:${input.email.toLowerCase()}`;
    const client = `client:${req.socket.remoteAddress ?? 'unknown'}`;
    perEmail.check([email]);
    perClient.check([client]);

    let session;
    try {
      session = await deps.tenancy.accounts.login(input);
    } catch (error) {
      perEmail.fail([email]);
      perClient.fail([client]);
      throw error;
    }
    perEmail.succeed([email]);

    const maxAge = Date.parse(session.expiresAt) - deps.clock.now();
    res.setHeader('Set-Cookie', sessionCookie(session.token, maxAge, deps.secureCookie));
    res.setHeader('Cache-Control', 'no-store');
    res.json(session);
  });

  router.post('/logout', async (req, res) => {
    const presented = presentedToken(req);
    if (presented !== null) await deps.tenancy.accounts.logout(presented.token);
    res.setHeader('Set-Cookie', sessionCookie('', 0, deps.secureCookie));
    res.status(204).end();
  });

  return router;
}

/** GET /me, POST /tokens, the workspace, its apps and bots: need a session. */
export function workspaceRoutes(deps: TenancyRoutesDeps): Router {
  const router = Router();
  const { directory, accounts } = deps.tenancy;

  router.get('/me', async (_req, res) => {
    const p = principalOf(res);
    const workspace = await directory.getWorkspace(p.workspaceId);
    res.setHeader('Cache-Control', 'no-store');
    res.json({
      admin: { id: p.adminId, email: p.email, workspaceId: p.workspaceId },
      workspace,
      serviceRoleArn: deps.serviceRoleArn,
      tokenKind: p.tokenKind,
      csrfToken: p.csrfToken,
    });
  });

  router.post('/tokens', ...body(), async (req, res) => {
    const p = principalOf(res);
    if (p.tokenKind !== 'session') {
      throw new ByokError(
        ErrorCode.Forbidden,
        'API tokens can only be created from a signed-in session',
      );
    }
    res.setHeader('Cache-Control', 'no-store');
    res.status(201).json(await accounts.createApiToken(p, req.body));
  });

  router.get('/workspace', async (_req, res) => {
    const workspace = await directory.getWorkspace(principalOf(res).workspaceId);
    res.json({ ...workspace, serviceRoleArn: deps.serviceRoleArn });
  });

  router.get('/apps', async (_req, res) => {
    res.json({ apps: await directory.listAppsWithBots(principalOf(res).workspaceId) });
  });

  router.post('/apps', ...body(), async (req, res) => {
    res.status(201).json(await directory.createApp(principalOf(res).workspaceId, req.body));
  });

  router.get('/apps/:appId', async (req, res) => {
    res.json(await directory.getApp(principalOf(res).workspaceId, req.params.appId));
  });

  router.get('/apps/:appId/bots', async (req, res) => {
    res.json({ bots: await directory.listBots(principalOf(res).workspaceId, req.params.appId) });
  });

  router.post('/apps/:appId/bots', ...body(), async (req, res) => {
    res
      .status(201)
      .json(await directory.createBot(principalOf(res).workspaceId, req.params.appId, req.body));
  });

  router.get('/bots', async (_req, res) => {
    res.json({ bots: await directory.listBots(principalOf(res).workspaceId) });
  });

  router.get('/bots/:botId', async (req, res) => {
    res.json(await directory.getBot(principalOf(res).workspaceId, req.params.botId));
  });

  return router;
}
