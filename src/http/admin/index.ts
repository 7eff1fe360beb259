/**
 * The admin API, mounted by the host at `/api/admin`. JSON in and out, bodies of at most
 * 64 KiB, every error through the shared error handler.
 *
 * Authentication: `POST /login` returns a session token and sets the `byok_admin` cookie.
 * API clients send `Authorization: Bearer <token>`; the console relies on the cookie and sends
 * the session's CSRF value (from `/login` or `/me`) in `X-CSRF-Token` on every POST, PUT,
 * PATCH and DELETE. See `auth.ts`.
 */
import { Router } from 'express';

import type { ChatAnalytics } from '../../analytics/index.js';
import type { Clock } from '../../base/clock.js';
import type { KeyServices } from '../../keys/module.js';
import type { Tenancy } from '../../tenancy/index.js';
import { analyticsRoutes } from './analytics-routes.js';
import { requireAdmin } from './auth.js';
import { keyRoutes } from './key-routes.js';
import { sessionRoutes, workspaceRoutes } from './tenancy-routes.js';

export { csrfHeaderName, sessionCookieName } from './auth.js';

/** What the admin API needs. */
export interface AdminRouterDeps {
  /** Workspaces, apps, bots, admins (from `createTenancy`). */
  tenancy: Tenancy;
  /** The key services (from `createKeysModule`). */
  keys: KeyServices;
  clock: Clock;
  /** BYOK_SERVICE_ROLE_ARN, shown to admins for their trust policy. */
  serviceRoleArn: string;
  /**
   * Whether the session cookie is `Secure` (default true). Switch off only to serve the
   * console over plain HTTP on a host name browsers do not treat as secure.
   */
  secureCookie?: boolean;
  /** Chat analytics (recent chats, readability); without it those routes are not served. */
  analytics?: ChatAnalytics;
}

/** Builds the admin API router. */
export function createAdminRouter(deps: AdminRouterDeps): Router {
  const router = Router();
  const routeDeps = {
    tenancy: deps.tenancy,
    clock: deps.clock,
    serviceRoleArn: deps.serviceRoleArn,
    secureCookie: deps.secureCookie ?? true,
  };

  router.use((_req, res, next) => {
    res.setHeader('Cache-Control', 'no-store');
    next();
  });
  router.use(sessionRoutes(routeDeps));
  router.use(requireAdmin(deps.tenancy.accounts));
  router.use(workspaceRoutes(routeDeps));
  router.use(keyRoutes(deps.keys));
  if (deps.analytics !== undefined) router.use(analyticsRoutes(deps.analytics));
  return router;
}
