/**
 * The tenancy collections and their documents. Every document below a workspace carries its
 * `workspaceId`, and every query made on behalf of an admin filters on it: that filter is what
 * keeps one workspace from reading another, so it lives here and in the services, never in
 * the HTTP layer.
 */
import type { Collection, Db } from 'mongodb';

/** A workspace (tenant). */
export interface WorkspaceDoc {
  _id: string;
  name: string;
  /** Generated once; every key configuration of the workspace uses it as the STS external ID. */
  externalId: string;
  createdAt: Date;
}

/** An app of a workspace. */
export interface AppDoc {
  _id: string;
  workspaceId: string;
  name: string;
  createdAt: Date;
}

/** A bot of an app. */
export interface BotDoc {
  _id: string;
  workspaceId: string;
  appId: string;
  name: string;
  createdAt: Date;
}

/** An admin of exactly one workspace. */
export interface AdminDoc {
  _id: string;
  workspaceId: string;
  /** Lower-case; unique across workspaces because it picks the workspace at login. */
  email: string;
  passwordHash: string;
  createdAt: Date;
}

/** What a token is for: a console/API login session, or a long-lived API token. */
export const TokenKind = { Session: 'session', Api: 'api' } as const;
export type TokenKind = (typeof TokenKind)[keyof typeof TokenKind];

/**
 * A bearer token. Only the SHA-256 of the token is stored (as `_id`), so a copy of the
 * database does not let anyone sign in. Expiry is checked on every lookup (the database has
 * no TTL indexes) and expired tokens are removed when met.
 */
export interface TokenDoc {
  _id: string;
  kind: TokenKind;
  adminId: string;
  workspaceId: string;
  /** For sessions: the anti-CSRF value the console echoes in a header. Not a credential alone. */
  csrfToken: string | null;
  /** Label of an API token, for listing. */
  label: string | null;
  createdAt: Date;
  expiresAt: Date;
}

/** Typed handles on the tenancy collections of one database. */
export interface TenancyCollections {
  workspaces: Collection<WorkspaceDoc>;
  apps: Collection<AppDoc>;
  bots: Collection<BotDoc>;
  admins: Collection<AdminDoc>;
  tokens: Collection<TokenDoc>;
}

/** Opens the tenancy collections of `db`. */
export function tenancyCollections(db: Db): TenancyCollections {
  return {
    workspaces: db.collection<WorkspaceDoc>('workspaces'),
    apps: db.collection<AppDoc>('apps'),
    bots: db.collection<BotDoc>('bots'),
    admins: db.collection<AdminDoc>('admins'),
    tokens: db.collection<TokenDoc>('admin_tokens'),
  };
}

/** Creates the indexes the tenancy queries rely on. Idempotent. */
export async function ensureTenancyIndexes(c: TenancyCollections): Promise<void> {
  await Promise.all([
    c.workspaces.createIndex({ externalId: 1 }, { unique: true }, undefined),
    c.apps.createIndex({ workspaceId: 1, createdAt: 1 }),
    c.bots.createIndex({ workspaceId: 1, appId: 1 }),
    c.admins.createIndex({ email: 1 }, { unique: true }, undefined),
    c.admins.createIndex({ workspaceId: 1 }),
    c.tokens.createIndex({ adminId: 1 }),
  ]);
}
