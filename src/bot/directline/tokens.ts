/**
 * Signed, opaque bearer tokens for the host's Direct Line channel. A client token binds one
 * conversation, its bot and its user, so a browser holding it can read and write that
 * conversation and nothing else; a connector token proves that a call to the internal Bot
 * Connector endpoint comes from a host process holding the same signing key. Both are verified
 * statelessly, so any host process on the same key serves any conversation.
 *
 * Tokens travel only in `Authorization` headers, never in URLs.
 */
import { createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';

import { z } from 'zod';

import type { Clock } from '../../base/clock.js';
import { ByokError, ErrorCode } from '../../base/errors.js';

/** How long a Direct Line client token lives; Direct Line clients refresh at half of it. */
export const clientTokenTtlSeconds = 30 * 60;

/** Connector tokens are minted per call, so a short life is enough. */
const connectorTokenTtlSeconds = 5 * 60;

const tokenVersion = 'v1';

/** What a client token grants: one conversation of one bot, as one user. */
export interface ClientGrant {
  conversationId: string;
  botId: string;
  userId: string;
}

const clientPayload = z.strictObject({
  k: z.literal('dl'),
  c: z.string().min(1),
  b: z.string().min(1),
  u: z.string().min(1),
  e: z.number().int(),
});
const connectorPayload = z.strictObject({ k: z.literal('connector'), e: z.number().int() });

/** Issues and verifies the channel's tokens with keys derived from one host signing key. */
export class TokenSigner {
  readonly #clientKey: Buffer;
  readonly #connectorKey: Buffer;

  /** `signingKey`: at least 32 random bytes shared by every host process on the database. */
  constructor(
    signingKey: Buffer,
    private readonly clock: Clock,
  ) {
    if (signingKey.length < 32) {
      throw new ByokError(ErrorCode.ConfigInvalid, 'the channel signing key needs 32 bytes');
    }
    // Separate keys per purpose: a client token can never pass as a connector token.
    this.#clientKey = derive(signingKey, 'byok directline client token');
    this.#connectorKey = derive(signingKey, 'byok directline connector token');
  }

  /** A token for `grant`, valid for {@link clientTokenTtlSeconds}. */
  issueClientToken(grant: ClientGrant): string {
    const payload = {
      k: 'dl',
      c: grant.conversationId,
      b: grant.botId,
      u: grant.userId,
      e: this.nowSeconds() + clientTokenTtlSeconds,
    };
    return sign(this.#clientKey, payload);
  }

  /** The grant of a valid, unexpired client token; `FORBIDDEN` for anything else. */
  verifyClientToken(token: string): ClientGrant {
    const payload = clientPayload.safeParse(verify(this.#clientKey, token));
    if (!payload.success || payload.data.e <= this.nowSeconds()) throw forbidden();

    return { conversationId: payload.data.c, botId: payload.data.b, userId: payload.data.u };
  }

  /** A token a host process puts on its calls to the internal connector endpoint. */
  issueConnectorToken(): string {
    return sign(this.#connectorKey, {
      k: 'connector',
      e: this.nowSeconds() + connectorTokenTtlSeconds,
    });
  }

  /** Throws `FORBIDDEN` unless `token` is a valid, unexpired connector token. */
  verifyConnectorToken(token: string): void {
    const payload = connectorPayload.safeParse(verify(this.#connectorKey, token));
    if (!payload.success || payload.data.e <= this.nowSeconds()) throw forbidden();
  }

  private nowSeconds(): number {
    return Math.floor(this.clock.now() / 1000);
  }
}

/** The bearer token of an `Authorization` header; `UNAUTHENTICATED` when there is none. */
export function bearerToken(header: string | undefined): string {
  const match = /^Bearer ([\w.-]{1,2048})$/.exec(header ?? '');
  if (match?.[1] === undefined) {
    throw new ByokError(ErrorCode.Unauthenticated, 'a bearer token is required');
  }
  return match[1];
}

function derive(key: Buffer, purpose: string): Buffer {
  return Buffer.from(hkdfSync('sha256', key, Buffer.alloc(0), purpose, 32));
}

function sign(key: Buffer, payload: object): string {
  const body = `${tokenVersion}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}`;
  return `${body}.${mac(key, body).toString('base64url')}`;
}

/** The decoded payload when the MAC is right; null otherwise (which part failed is not said). */
function verify(key: Buffer, token: string): unknown {
  const parts = token.split('.');
  if (parts.length !== 3 || parts[0] !== tokenVersion) return null;
  const [version, body, tag] = parts as [string, string, string];

  const expected = mac(key, `${version}.${body}`);
  const given = Buffer.from(tag, 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;

  try {
    return JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as unknown;
  } catch {
    return null;
  }
}

function mac(key: Buffer, data: string): Buffer {
  return createHmac('sha256', key).update(data).digest();
}

function forbidden(): ByokError {
  return new ByokError(ErrorCode.Forbidden, 'the token is invalid or has expired');
}
