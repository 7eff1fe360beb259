/**
 * Authentication of admin requests, and the console's CSRF guard.
 *
 * - API clients and the CLI send `Authorization: Bearer <token>` (a session or API token).
 * - The console holds the session token in the `byok_admin` cookie (HttpOnly, SameSite=Strict,
 *   Secure unless switched off for plain-HTTP development) and must send the session's CSRF
 *   value in `X-CSRF-Token` with every request that changes something. The value comes from
 *   `POST /login` and `GET /me`. Bearer requests need no CSRF header: browsers never attach
 *   them on their own.
 *
 * Failed logins are throttled per e-mail and per client address in memory.
 */
import type { NextFunction, Request, RequestHandler, Response } from 'express';

import { ByokError, ErrorCode } from '../../base/errors.js';
import type { Actor } from '../../keys/audit.js';
import { type AdminAccounts, type AdminPrincipal, csrfMatches } from '../../tenancy/admins.js';

/** Name of the console's session cookie. */
export const sessionCookieName = 'byok_admin';
/** Header carrying the CSRF value on cookie-authenticated changes. */
export const csrfHeaderName = 'x-csrf-token';

const safeMethods: ReadonlySet<string> = new Set(['GET', 'HEAD', 'OPTIONS']);

/** The authenticated admin of a request; set by {@link requireAdmin}. */
export function principalOf(res: Response): AdminPrincipal {
  const principal = res.locals.principal as AdminPrincipal | undefined;
  if (principal === undefined) throw new ByokError(ErrorCode.Unauthenticated, 'sign in first');
  return principal;
}

/** The audit actor for the request's admin. */
export function actorOf(res: Response): Actor {
  const p = principalOf(res);
  return { kind: 'admin', id: p.adminId, label: p.email };
}

/** The token a request presents and how: bearer header first, then the session cookie. */
export function presentedToken(req: Request): { token: string; via: 'bearer' | 'cookie' } | null {
  const header = req.headers.authorization;
  if (typeof header === 'string') {
    const match = /^Bearer ([\w.~+/-]+=*)$/.exec(header.trim());
    if (match?.[1] === undefined)
      throw new ByokError(ErrorCode.Unauthenticated, 'malformed Authorization header');
    return { token: match[1], via: 'bearer' };
  }
  const cookie = readCookie(req.headers.cookie, sessionCookieName);
  return cookie === undefined ? null : { token: cookie, via: 'cookie' };
}

/** Requires a valid token; a cookie session must also pass the CSRF check on changes. */
export function requireAdmin(accounts: AdminAccounts): RequestHandler {
  return async (req: Request, res: Response, next: NextFunction) => {
    const presented = presentedToken(req);
    if (presented === null) throw new ByokError(ErrorCode.Unauthenticated, 'sign in first');

    const principal = await accounts.authenticate(
      presented.token,
      presented.via === 'cookie' ? ['session'] : ['session', 'api'],
    );
    if (presented.via === 'cookie' && !safeMethods.has(req.method)) {
      const header = req.headers[csrfHeaderName];
      if (!csrfMatches(principal.csrfToken, typeof header === 'string' ? header : undefined)) {
        throw new ByokError(ErrorCode.Forbidden, `missing or wrong ${csrfHeaderName} header`);
      }
    }
    res.locals.principal = principal;
    next();
  };
}

/** Cookie attributes of the session cookie. */
export function sessionCookie(token: string, maxAgeMs: number, secure: boolean): string {
  const parts = [
    `${sessionCookieName}=${token}`,
    'Path=/',
    `Max-Age=${Math.max(0, Math.floor(maxAgeMs / 1000))}`,
    'HttpOnly',
    'SameSite=Strict',
  ];
  if (secure) parts.push('Secure');
  return parts.join('; ');
}

/** The value of cookie `name` in a `Cookie` header, if present. */
export function readCookie(header: string | undefined, name: string): string | undefined {
  if (header === undefined) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/** Counts failed logins per key in a sliding window and refuses once over the limit. */
export class LoginThrottle {
  private readonly failures = new Map<string, number[]>();

  constructor(
    private readonly now: () => number,
    private readonly limit = 10,
    private readonly windowMs = 15 * 60 * 1000,
  ) {}

  /** Throws `RATE_LIMITED` when any of `keys` had too many recent failures. */
  check(keys: readonly string[]): void {
    for (const key of keys) {
      if (this.recent(key).length >= this.limit) {
        throw new ByokError(
          ErrorCode.RateLimited,
          'too many failed sign-ins; try again in 15 minutes',
        );
      }
    }
  }

  /** Records a failure for every key. */
  fail(keys: readonly string[]): void {
    if (this.failures.size > 50_000) this.failures.clear();
    for (const key of keys) this.failures.set(key, [...this.recent(key), this.now()]);
  }

  /** Forgets the failures of `keys` after a successful login. */
  succeed(keys: readonly string[]): void {
    for (const key of keys) this.failures.delete(key);
  }

  private recent(key: string): number[] {
    const since = this.now() - this.windowMs;
    return (this.failures.get(key) ?? []).filter((t) => t > since);
  }
}
