/**
 * Admins, sign-in and bearer tokens. A login creates a session token (32 random bytes) that
 * works both as a bearer token and as the console's cookie; API tokens are the same thing
 * with a longer life and a label, meant for scripts. Only the SHA-256 of a token is stored.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

import { z } from 'zod';

import type { Clock } from '../base/clock.js';
import { ByokError, ErrorCode } from '../base/errors.js';
import { isDuplicateKey } from '../store/database.js';
import { randomId } from './ids.js';
import { hashPassword, verifyDecoy, verifyPassword } from './passwords.js';
import { type AdminDoc, type TenancyCollections, type TokenDoc, TokenKind } from './store.js';
import { emailSchema, nameSchema, parseInput } from './validation.js';

/** A password as accepted for a new admin; the upper bound keeps scrypt's input small. */
const passwordSchema = z.string().min(12, 'at least 12 characters').max(1024);

/** Input of {@link AdminAccounts.createAdmin}. */
export const createAdminSchema = z
  .object({ email: emailSchema, password: passwordSchema })
  .strict();

/** Input of {@link AdminAccounts.login}. Any string is checked; only its length is bounded. */
export const loginSchema = z
  .object({ email: z.string().min(1).max(254), password: z.string().min(1).max(1024) })
  .strict();

/** Input of {@link AdminAccounts.createApiToken}. */
export const createApiTokenSchema = z
  .object({ label: nameSchema, ttlDays: z.number().int().min(1).max(365).default(90) })
  .strict();

/** An admin as shown to admins (never the password hash). */
export interface Admin {
  id: string;
  workspaceId: string;
  email: string;
  createdAt: string;
}

/** Who a request acts as, after its token was checked. */
export interface AdminPrincipal {
  adminId: string;
  workspaceId: string;
  email: string;
  tokenKind: TokenKind;
  /** For sessions: the value the console must echo in the CSRF header. */
  csrfToken: string | null;
}

/** A new session: the token is shown once and never stored in the clear. */
export interface Session {
  token: string;
  csrfToken: string;
  expiresAt: string;
  admin: Admin;
}

/** Options of {@link AdminAccounts}. */
export interface AdminAccountsOptions {
  /** Session lifetime; default 12 hours. */
  sessionTtlMs?: number;
}

const toAdmin = (d: AdminDoc): Admin => ({
  id: d._id,
  workspaceId: d.workspaceId,
  email: d.email,
  createdAt: d.createdAt.toISOString(),
});

const hashToken = (token: string): string => createHash('sha256').update(token).digest('hex');

function unauthenticated(message = 'sign in first'): ByokError {
  return new ByokError(ErrorCode.Unauthenticated, message);
}

/** Creates admins, signs them in and checks their tokens. */
export class AdminAccounts {
  private readonly sessionTtlMs: number;

  constructor(
    private readonly c: TenancyCollections,
    private readonly clock: Clock,
    options: AdminAccountsOptions = {},
  ) {
    this.sessionTtlMs = options.sessionTtlMs ?? 12 * 60 * 60 * 1000;
  }

  /** Creates an admin of `workspaceId`; `CONFLICT` when the e-mail is taken anywhere. */
  async createAdmin(workspaceId: string, input: unknown): Promise<Admin> {
    const { email, password } = parseInput(createAdminSchema, input, 'admin');
    if ((await this.c.workspaces.countDocuments({ _id: workspaceId })) === 0) {
      throw new ByokError(ErrorCode.NotFound, 'workspace not found');
    }

    const doc: AdminDoc = {
      _id: randomId('adm'),
      workspaceId,
      email,
      passwordHash: await hashPassword(password),
      createdAt: new Date(this.clock.now()),
    };
    try {
      await this.c.admins.insertOne(doc);
    } catch (error) {
      if (isDuplicateKey(error)) {
        throw new ByokError(ErrorCode.Conflict, 'an admin with this e-mail already exists');
      }
      throw error;
    }
    return toAdmin(doc);
  }

  /** The admins of a workspace. */
  async listAdmins(workspaceId: string): Promise<Admin[]> {
    const docs = await this.c.admins.find({ workspaceId }).sort({ createdAt: 1 }).toArray();
    return docs.map(toAdmin);
  }

  /**
   * Checks e-mail and password and opens a session. Unknown e-mail and wrong password give the
   * same error after the same amount of work.
   */
  async login(input: unknown): Promise<Session> {
    const { email, password } = parseInput(loginSchema, input, 'login');
    const admin = await this.c.admins.findOne({ email: email.toLowerCase() });
    const ok =
      admin === null
        ? await verifyDecoy(password)
        : await verifyPassword(password, admin.passwordHash);
    if (!ok || admin === null) throw unauthenticated('e-mail or password is wrong');

    const csrfToken = randomBytes(24).toString('base64url');
    const { token, expiresAt } = await this.issue(admin, TokenKind.Session, {
      ttlMs: this.sessionTtlMs,
      csrfToken,
      label: null,
    });
    return { token, csrfToken, expiresAt, admin: toAdmin(admin) };
  }

  /** Creates a labelled API token for the admin behind `principal`; shown once. */
  async createApiToken(
    principal: AdminPrincipal,
    input: unknown,
  ): Promise<{ token: string; label: string; expiresAt: string }> {
    const { label, ttlDays } = parseInput(createApiTokenSchema, input, 'API token');
    const admin = await this.c.admins.findOne({
      _id: principal.adminId,
      workspaceId: principal.workspaceId,
    });
    if (admin === null) throw unauthenticated();

    const issued = await this.issue(admin, TokenKind.Api, {
      ttlMs: ttlDays * 24 * 60 * 60 * 1000,
      csrfToken: null,
      label,
    });
    return { ...issued, label };
  }

  /** Ends the session or revokes the API token. Unknown tokens are ignored. */
  async logout(token: string): Promise<void> {
    await this.c.tokens.deleteOne({ _id: hashToken(token) });
  }

  /** Checks a bearer token or session cookie value; `UNAUTHENTICATED` when unknown or expired. */
  async authenticate(
    token: string,
    kinds: readonly TokenKind[] = ['session', 'api'],
  ): Promise<AdminPrincipal> {
    if (token.length < 20 || token.length > 200) throw unauthenticated();
    const doc = await this.c.tokens.findOne({ _id: hashToken(token) });
    if (doc === null || !kinds.includes(doc.kind)) throw unauthenticated();

    if (doc.expiresAt.getTime() <= this.clock.now()) {
      await this.c.tokens.deleteOne({ _id: doc._id });
      throw unauthenticated('the session has expired; sign in again');
    }

    const admin = await this.c.admins.findOne({ _id: doc.adminId, workspaceId: doc.workspaceId });
    if (admin === null) throw unauthenticated();
    return {
      adminId: admin._id,
      workspaceId: admin.workspaceId,
      email: admin.email,
      tokenKind: doc.kind,
      csrfToken: doc.csrfToken,
    };
  }

  private async issue(
    admin: AdminDoc,
    kind: TokenKind,
    options: { ttlMs: number; csrfToken: string | null; label: string | null },
  ): Promise<{ token: string; expiresAt: string }> {
    const token = `byok_${kind === TokenKind.Session ? 's' : 'a'}_${randomBytes(32).toString('base64url')}`;
    const now = this.clock.now();
    const doc: TokenDoc = {
      _id: hashToken(token),
      kind,
      adminId: admin._id,
      workspaceId: admin.workspaceId,
      csrfToken: options.csrfToken,
      label: options.label,
      createdAt: new Date(now),
      expiresAt: new Date(now + options.ttlMs),
    };
    await this.c.tokens.insertOne(doc);
    return { token, expiresAt: doc.expiresAt.toISOString() };
  }
}

/** Compares a presented CSRF header with the session's value in constant time. */
export function csrfMatches(expected: string | null, presented: string | undefined): boolean {
  if (expected === null || presented === undefined) return false;
  const a = Buffer.from(expected);
  const b = Buffer.from(presented);
  return a.length === b.length && timingSafeEqual(a, b);
}
