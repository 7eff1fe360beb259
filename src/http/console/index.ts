/**
 * The Enterprise Key console, mounted by the host at `/console`. Pages are rendered on the
 * server from the same key and tenancy services the admin API uses; every change goes through
 * the admin API from a small static script (`assets/console.js`), which sends the session
 * cookie and the session's CSRF value. No inline script: the CSP allows only this host's files.
 *
 * Routes: `/login`, `/keys` (list), `/keys/new` (create), `/keys/:id` (a key; `?step=apps`
 * shows the app and bot choice of a tested key), `/chats` (recent chats) and `/chats/:key` (one
 * conversation) when analytics is given, `/assets/*`.
 */
import { fileURLToPath } from 'node:url';

import express, { type Request, type Response, Router } from 'express';
import { z } from 'zod';

import { type ChatAnalytics, conversationKeySchema } from '../../analytics/index.js';
import type { Clock } from '../../base/clock.js';
import { ByokError, ErrorCode, isByokError, toByokError } from '../../base/errors.js';
import { type Logger, silentLogger } from '../../base/log.js';
import type { KeyServices } from '../../keys/index.js';
import { utcToday } from '../../keys/model.js';
import type { AdminPrincipal, Tenancy } from '../../tenancy/index.js';
import { idSchema, parseInput } from '../../tenancy/validation.js';
import { readCookie, sessionCookieName } from '../admin/auth.js';
import { errorBody, httpStatusOf } from '../errors.js';
import { html, layout, type SafeHtml } from './html.js';
import { newKeyPage } from './pages/key-new.js';
import { keyPage } from './pages/key-page.js';
import { keysListPage } from './pages/keys-list.js';
import { loginPage } from './pages/login.js';
import { conversationPage, recentChatsPage } from './pages/recent-chats.js';

/** What the console needs: the services behind the admin API, and where that API lives. */
export interface ConsoleRouterDeps {
  tenancy: Tenancy;
  keys: KeyServices;
  clock: Clock;
  /** BYOK_SERVICE_ROLE_ARN, shown to admins for their trust policy. */
  serviceRoleArn: string;
  /** Where the host mounts the admin API (default `/api/admin`). */
  apiBase?: string;
  logger?: Logger;
  /** Chat analytics; without it the recent-chats pages are not served. */
  analytics?: ChatAnalytics;
}

const assetsDir = fileURLToPath(new URL('./assets/', import.meta.url));

/** Confirmations a page may show after an action; the query names one, never the text. */
const notices: Readonly<Record<string, string>> = {
  created: 'Key configuration created. Next, run Test Configuration.',
  saved: 'Changes saved. Run Test Configuration again, then proceed.',
  selection: 'App and bot selection saved.',
  rotation: 'The new key passed its test; rotation started.',
  health: 'Health checked.',
  scheduled: 'Key configuration scheduled.',
};

const pageQuery = z.object({
  step: z.enum(['apps']).optional(),
  notice: z.string().max(20).optional(),
});

/** Builds the console router. */
export function createConsoleRouter(deps: ConsoleRouterDeps): Router {
  const router = Router();
  const apiBase = deps.apiBase ?? '/api/admin';
  const log = (deps.logger ?? silentLogger).child({ component: 'console' });

  router.use('/assets', express.static(assetsDir, { index: false }));
  router.use((_req, res, next) => {
    // Pages carry the session's CSRF value: never cache them.
    res.setHeader('Cache-Control', 'no-store');
    next();
  });

  const signedIn = async (req: Request): Promise<AdminPrincipal | null> => {
    const token = readCookie(req.headers.cookie, sessionCookieName);
    if (token === undefined) return null;
    try {
      return await deps.tenancy.accounts.authenticate(token, ['session']);
    } catch (error) {
      if (isByokError(error, ErrorCode.Unauthenticated)) return null;
      throw error;
    }
  };

  const send = async (
    req: Request,
    res: Response,
    title: string,
    page: string,
    admin: AdminPrincipal | null,
    body: SafeHtml,
  ) => {
    const workspace =
      admin === null ? null : await deps.tenancy.directory.getWorkspace(admin.workspaceId);
    const frame = layout({
      title,
      base: req.baseUrl,
      apiBase,
      page,
      body,
      ...(admin === null || workspace === null
        ? {}
        : {
            admin: {
              email: admin.email,
              workspaceName: workspace.name,
              csrfToken: admin.csrfToken ?? '',
            },
          }),
    });
    res.type('html').send(frame.value);
  };

  /** Runs a page handler for a signed-in admin; anyone else goes to the sign-in page. */
  const page =
    (handler: (req: Request, res: Response, admin: AdminPrincipal) => Promise<void>) =>
    async (req: Request, res: Response) => {
      const admin = await signedIn(req);
      if (admin === null) {
        res.redirect(303, `${req.baseUrl}/login`);
        return;
      }
      await handler(req, res, admin);
    };

  router.get('/', (req, res) => {
    res.redirect(303, `${req.baseUrl}/keys`);
  });

  router.get('/login', async (req, res) => {
    if ((await signedIn(req)) !== null) {
      res.redirect(303, `${req.baseUrl}/keys`);
      return;
    }
    await send(req, res, 'Sign in', 'login', null, loginPage());
  });

  router.get(
    '/keys',
    page(async (req, res, admin) => {
      const ws = admin.workspaceId;
      const configs = await deps.keys.configs.list(ws);
      const listed = await Promise.all(
        configs.map(async (config) => ({
          config,
          health: await deps.keys.health.get(ws, config.id),
        })),
      );
      const notice = noticeOf(req);
      const body = html`${notice === null ? '' : html`<p class="alert notice" role="status">${notice}</p>`}
      ${keysListPage(req.baseUrl, listed, { recentChats: deps.analytics !== undefined })}`;
      await send(req, res, 'Keys', 'keys', admin, body);
    }),
  );

  router.get(
    '/keys/new',
    page(async (req, res, admin) => {
      const workspace = await deps.tenancy.directory.getWorkspace(admin.workspaceId);
      const body = newKeyPage(req.baseUrl, {
        externalId: workspace.externalId,
        serviceRoleArn: deps.serviceRoleArn,
        today: utcToday(deps.clock.now()),
      });
      await send(req, res, 'Add a key', 'key-new', admin, body);
    }),
  );

  router.get(
    '/keys/:id',
    page(async (req, res, admin) => {
      const ws = admin.workspaceId;
      const id = parseInput(idSchema, req.params.id, 'key configuration id');
      const config = await deps.keys.configs.get(ws, id);
      const [health, selection, rotation, audit] = await Promise.all([
        deps.keys.health.get(ws, id),
        deps.keys.selection.get(ws, id),
        deps.keys.rotation.latest(ws, id),
        deps.keys.audit.list(ws, id, { limit: 50 }),
      ]);
      const query = pageQuery.safeParse(req.query);
      const body = keyPage(req.baseUrl, {
        config,
        health,
        selection,
        rotation,
        audit,
        step: query.success ? (query.data.step ?? null) : null,
        notice: noticeOf(req),
        today: utcToday(deps.clock.now()),
      });
      await send(req, res, config.name, 'key', admin, body);
    }),
  );

  const { analytics } = deps;
  if (analytics !== undefined) {
    router.get(
      '/chats',
      page(async (req, res, admin) => {
        const report = await analytics.recentChats({ workspaceId: admin.workspaceId });
        await send(req, res, 'Recent chats', 'chats', admin, recentChatsPage(req.baseUrl, report));
      }),
    );

    router.get(
      '/chats/:key',
      page(async (req, res, admin) => {
        const conversationKey = parseInput(conversationKeySchema, req.params.key, 'conversation');
        const view = await analytics.conversation({
          workspaceId: admin.workspaceId,
          conversationKey,
          includeText: true,
        });
        await send(req, res, 'Conversation', 'chat', admin, conversationPage(req.baseUrl, view));
      }),
    );
  }

  router.use((req, _res, next) => {
    next(new ByokError(ErrorCode.NotFound, `no console page at ${req.path.slice(0, 100)}`));
  });

  // Errors become a page, not JSON: admins read them in a browser.
  router.use(async (error: unknown, req: Request, res: Response, _next: express.NextFunction) => {
    const byok = toByokError(error);
    const status = httpStatusOf(byok.code);
    if (status >= 500) log.error({ err: error, path: req.path }, 'console page failed');
    if (res.headersSent) return;
    const message = errorBody(byok).error.message;
    const body = html`<section class="card narrow">
      <h1>${status === 404 ? 'Not found' : 'Something went wrong'}</h1>
      <p>${message}</p>
      <p><a href="${req.baseUrl}/keys">Back to Enterprise Key</a></p>
    </section>`;
    res.status(status);
    await send(req, res, 'Error', 'error', null, body);
  });

  return router;
}

function noticeOf(req: Request): string | null {
  const query = pageQuery.safeParse(req.query);
  const key = query.success ? query.data.notice : undefined;
  return key === undefined ? null : (notices[key] ?? null);
}
