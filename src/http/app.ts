/**
 * The Express application shell shared by every face of the host: security headers, request
 * size limits, health endpoints and error mapping. Features contribute routers; this file
 * holds no business rules.
 */
import express, { type Express, type RequestHandler, type Router } from 'express';
import helmet from 'helmet';

import { ByokError, ErrorCode } from '../base/errors.js';
import type { Logger } from '../base/log.js';
import { errorHandler } from './errors.js';

/** A router mounted under a path prefix. */
export interface Mount {
  path: string;
  router: Router | RequestHandler;
}

/** What the shell needs from the host. */
export interface HttpAppOptions {
  logger: Logger;
  /** Routers in the order they are matched. */
  mounts: readonly Mount[];
  /** Readiness probe: resolves when the host can serve (database reachable, keys loaded). */
  ready?: () => Promise<void>;
}

/** Largest JSON body accepted anywhere; routes may set a smaller one. */
export const maxJsonBody = '256kb';

/** Builds the Express app with the common middleware and the given feature routers. */
export function createHttpApp(options: HttpAppOptions): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', false);
  app.set('query parser', 'simple');

  app.use(
    helmet({
      contentSecurityPolicy: {
        directives: {
          // Web Chat is served from this host and renders inline styles.
          'script-src': ["'self'"],
          'style-src': ["'self'", "'unsafe-inline'"],
          'img-src': ["'self'", 'data:', 'blob:'],
          'connect-src': ["'self'"],
        },
      },
      referrerPolicy: { policy: 'no-referrer' },
    }),
  );

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/readyz', async (_req, res) => {
    try {
      await options.ready?.();
      res.json({ status: 'ready' });
    } catch (error) {
      options.logger.warn({ err: error }, 'readiness check failed');
      res.status(503).json({ status: 'not ready' });
    }
  });

  for (const mount of options.mounts) app.use(mount.path, mount.router);

  app.use((req, _res, next) => {
    next(new ByokError(ErrorCode.NotFound, `no route for ${req.method} ${req.path.slice(0, 100)}`));
  });
  app.use(errorHandler(options.logger));
  return app;
}

/**
 * JSON body parsing that accepts only `application/json` and answers 415 for anything else.
 * Spread it into every route that takes a body: `router.post('/x', ...jsonBody(), handler)`.
 */
export function jsonBody(limit: string = maxJsonBody): RequestHandler[] {
  const requireJson: RequestHandler = (req, _res, next) => {
    if (req.is('application/json')) {
      next();
      return;
    }
    next(new ByokError(ErrorCode.UnsupportedMediaType, 'expected Content-Type: application/json'));
  };
  return [requireJson, express.json({ limit, strict: true })];
}
