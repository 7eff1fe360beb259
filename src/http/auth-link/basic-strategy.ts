/**
 * HTTP Basic authentication per RFC 7617 on top of passport-http's `BasicStrategy`.
 *
 * passport-http 0.3 splits the decoded credentials on every ':' and keeps only the first two
 * parts, so a password such as `a:b` arrives as `a`; it also decodes with Node's lenient
 * default and sends a challenge without a charset. This subclass keeps the strategy (and
 * passport's flow) but parses the header itself: strict base64, strict UTF-8, split on the
 * first ':' only, and a challenge that names the realm and `charset="UTF-8"`.
 */
import type { Request } from 'express';
import { BasicStrategy } from 'passport-http';

/** Credentials as the browser sent them. */
export interface ParsedBasicCredentials {
  username: string;
  password: string;
}

/** Largest Authorization header accepted; a real one is far smaller. */
const maxHeaderLength = 4096;
const token68 = /^[A-Za-z0-9+/]+={0,2}$/;

/**
 * Parses an `Authorization: Basic ...` header. Returns undefined for anything that is not a
 * well-formed Basic header with a user id and a password.
 */
export function parseBasicAuthorization(
  header: string | undefined,
): ParsedBasicCredentials | undefined {
  if (header === undefined || header.length > maxHeaderLength) return undefined;
  const match = /^basic +(\S+) *$/i.exec(header);
  const encoded = match?.[1];
  if (encoded === undefined || !token68.test(encoded) || encoded.length % 4 !== 0) return undefined;

  let decoded: string;
  try {
    decoded = new TextDecoder('utf-8', { fatal: true }).decode(Buffer.from(encoded, 'base64'));
  } catch {
    return undefined;
  }

  // RFC 7617: the user id cannot contain ':', so the first ':' ends it; the rest is the password.
  const colon = decoded.indexOf(':');
  if (colon <= 0 || colon === decoded.length - 1) return undefined;
  return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

/** The `WWW-Authenticate` challenge for `realm`. */
export function basicChallenge(realm: string): string {
  return `Basic realm="${realm.replace(/["\\]/g, '')}", charset="UTF-8"`;
}

/** What the verify function decides: a value to pass on, or false for wrong credentials. */
export type BasicVerdict<T> = T | false;

/** Checks parsed credentials for a request. */
export type Utf8BasicVerify<T> = (
  req: Request,
  credentials: ParsedBasicCredentials,
) => Promise<BasicVerdict<T>>;

/** The actions passport gives a strategy while it authenticates a request. */
interface StrategyActions {
  success(user: unknown): void;
  fail(challenge: string, status?: number): void;
  error(error: unknown): void;
}

/** passport-http's BasicStrategy with RFC 7617 parsing and a UTF-8 challenge. */
export class Utf8BasicStrategy<T> extends BasicStrategy {
  private readonly challenge: string;

  constructor(
    realm: string,
    private readonly check: Utf8BasicVerify<T>,
  ) {
    // The parent's verify is never reached: authenticate() below does its work.
    super({ realm, passReqToCallback: true }, (_req, _user, _password, done) => {
      done(null, false);
    });
    this.challenge = basicChallenge(realm);
  }

  /** Parses the header, runs the check, and reports to passport. */
  override authenticate(req: Request): void {
    const actions = this as unknown as StrategyActions;
    const credentials = parseBasicAuthorization(req.headers.authorization);
    if (credentials === undefined) {
      actions.fail(this.challenge, 401);
      return;
    }

    this.check(req, credentials).then(
      (verdict) => {
        if (verdict === false) actions.fail(this.challenge, 401);
        else actions.success(verdict);
      },
      (error: unknown) => {
        actions.error(error);
      },
    );
  }
}
