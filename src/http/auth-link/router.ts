/**
 * The authorization link page: `GET /basic/:linkId?ws=...&sig=...` under the mount path
 * (`/auth`), protected by HTTP Basic through passport. A thin shell over
 * {@link BasicAuthService}: it turns each outcome of `inspect` and `submit` into a page.
 *
 * Steps: check the link (invalid, other workspace, expired, used: a clear page, nothing
 * changes); refuse a throttled link or client (429); ask for credentials (401 with the
 * challenge); submit them (wrong: 401 again; right: 303 to the success page, after the
 * conversation was resumed).
 */
import { type Request, type Response, Router } from 'express';
import { Passport } from 'passport';

import { type Logger, silentLogger } from '../../base/log.js';
import type { LinkDocument } from '../../bot/auth-links/link-store.js';
import type { ResumeConversation } from '../../bot/auth-links/resume.js';
import type { BasicAuthService, SubmitOutcome } from '../../bot/auth-links/service.js';
import { successPageText } from '../../bot/messages.js';
import { httpStatusOf } from '../errors.js';
import { basicChallenge, Utf8BasicStrategy } from './basic-strategy.js';
import { type Page, pages, sendPage } from './pages.js';

/** What {@link createAuthLinkRouter} needs. */
export interface AuthLinkRouterDeps {
  service: BasicAuthService;
  /** Continues the link's conversation; the host implements it with its adapter. */
  resume: ResumeConversation;
  logger?: Logger;
  /** The Basic realm; default "byok-harness validation". */
  realm?: string;
}

/** Path of the success page, relative to the mount path. */
export const successPath = '/basic/success';

type Submitted = Exclude<SubmitOutcome, { status: 'wrong-credentials' }>;

/** Builds the router; mount it at `/auth`. */
export function createAuthLinkRouter(deps: AuthLinkRouterDeps): Router {
  const realm = deps.realm ?? 'byok-harness validation';
  const logger = (deps.logger ?? silentLogger).child({ component: 'auth-link' });
  const passport = new Passport();
  passport.use(
    'byok-basic',
    new Utf8BasicStrategy<Submitted>(realm, async (req, credentials) => {
      const link = (req.res?.locals as { link?: LinkDocument } | undefined)?.link;
      if (link === undefined) return false;
      const outcome = await deps.service.submit(link, credentials, clientOf(req), deps.resume);
      return outcome.status === 'wrong-credentials' ? false : outcome;
    }),
  );

  const router = Router();
  router.get(successPath, (_req, res) => {
    sendPage(res, pages.success(successPageText));
  });

  router.get('/basic/:linkId', async (req, res, next) => {
    const check = await deps.service.inspect({
      linkId: req.params.linkId,
      sig: req.query.sig,
      ws: req.query.ws,
    });
    if (check.status !== 'valid') {
      logger.debug({ status: check.status }, 'authorization link refused');
      sendPage(res, pageOfCheck[check.status]);
      return;
    }

    const verdict = await deps.service.mayTry(check.link, clientOf(req));
    if (!verdict.allowed) {
      res.set('Retry-After', String(verdict.retryAfterSeconds));
      sendPage(res, pages.throttled);
      return;
    }

    res.locals.link = check.link;
    const authenticate = passport.authenticate(
      'byok-basic',
      { session: false },
      (error: unknown, outcome: Submitted | false) => {
        if (error !== null && error !== undefined) {
          next(error);
          return;
        }
        if (outcome === false) {
          res.set('WWW-Authenticate', basicChallenge(realm));
          const asked = req.headers.authorization === undefined;
          sendPage(res, asked ? pages.challenge : pages.wrongCredentials);
          return;
        }
        answer(req, res, outcome, logger);
      },
    ) as (req: Request, res: Response, next: (error?: unknown) => void) => void;
    authenticate(req, res, next);
  });
  return router;
}

const pageOfCheck: Record<'invalid' | 'other-workspace' | 'expired' | 'used', Page> = {
  invalid: pages.invalid,
  'other-workspace': pages.otherWorkspace,
  expired: pages.expired,
  used: pages.used,
};

function answer(req: Request, res: Response, outcome: Submitted, logger: Logger): void {
  switch (outcome.status) {
    case 'succeeded':
      logger.info({ linkId: outcome.result.linkId }, 'authorization link completed');
      res.set('Cache-Control', 'no-store').redirect(303, `${req.baseUrl}${successPath}`);
      return;
    case 'throttled':
      res.set('Retry-After', String(outcome.retryAfterSeconds));
      sendPage(res, pages.throttled);
      return;
    case 'key-unavailable':
      sendPage(res, pages.keyUnavailable(httpStatusOf(outcome.code), outcome.code));
      return;
    case 'expired':
      sendPage(res, pages.expired);
      return;
    case 'used':
      sendPage(res, pages.used);
      return;
  }
}

/** The client's address as the socket sees it (the app does not trust proxy headers). */
function clientOf(req: Request): string {
  return req.ip ?? req.socket.remoteAddress ?? 'unknown';
}
