/**
 * Tenancy: workspaces, apps, bots, admins and their tokens. Everything an admin can reach is
 * scoped by the admin's workspace here, in the library, so the HTTP API and the CLI cannot
 * forget it.
 */
import type { Db } from 'mongodb';

import type { Clock } from '../base/clock.js';
import { AdminAccounts, type AdminAccountsOptions } from './admins.js';
import { TenancyDirectory } from './directory.js';
import { ensureTenancyIndexes, type TenancyCollections, tenancyCollections } from './store.js';

export {
  type Admin,
  AdminAccounts,
  type AdminAccountsOptions,
  type AdminPrincipal,
  createAdminSchema,
  createApiTokenSchema,
  csrfMatches,
  loginSchema,
  type Session,
} from './admins.js';
export {
  type App,
  type AppWithBots,
  type Bot,
  createNamedSchema,
  TenancyDirectory,
  type Workspace,
} from './directory.js';
export { newExternalId, randomBase62, randomId } from './ids.js';
export { demoIds, seedDemo, type SeedDemoOptions, type SeedDemoResult } from './seed.js';
export { type TenancyCollections, tenancyCollections, TokenKind } from './store.js';
export { emailSchema, idSchema, nameSchema, parseInput } from './validation.js';

/** The tenancy services over one database. */
export interface Tenancy {
  collections: TenancyCollections;
  directory: TenancyDirectory;
  accounts: AdminAccounts;
}

/** Opens the tenancy services on `db` and creates their indexes. */
export async function createTenancy(
  db: Db,
  clock: Clock,
  options: AdminAccountsOptions = {},
): Promise<Tenancy> {
  const collections = tenancyCollections(db);
  await ensureTenancyIndexes(collections);
  return {
    collections,
    directory: new TenancyDirectory(collections, clock),
    accounts: new AdminAccounts(collections, clock, options),
  };
}
