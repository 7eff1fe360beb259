/**
 * The embedded default's demo data: one workspace with two apps, each with one bot, and a
 * first admin. Fixed ids make seeding idempotent across restarts and across two hosts that
 * start at the same moment on one database.
 */
import type { Clock } from '../base/clock.js';
import { ByokError, ErrorCode, isByokError } from '../base/errors.js';
import { insertOnce } from '../store/database.js';
import type { AdminAccounts } from './admins.js';
import { newExternalId } from './ids.js';
import { generatePassword } from './passwords.js';
import type { TenancyCollections } from './store.js';

/** Ids of the demo objects, for the host's welcome page and the tests. */
export const demoIds = {
  workspace: 'ws_demo',
  apps: ['app_demo_support', 'app_demo_sales'],
  bots: ['bot_demo_support', 'bot_demo_sales'],
} as const;

const demoNames = { workspace: 'Demo workspace', apps: ['Support', 'Sales'] } as const;

/** What {@link seedDemo} needs. */
export interface SeedDemoOptions {
  collections: TenancyCollections;
  accounts: AdminAccounts;
  clock: Clock;
  /** First admin's e-mail (BYOK_ADMIN_EMAIL). */
  adminEmail: string;
  /** First admin's password (BYOK_ADMIN_PASSWORD); generated when absent. */
  adminPassword?: string | undefined;
}

/** The outcome of {@link seedDemo}. */
export interface SeedDemoResult {
  workspaceId: string;
  adminEmail: string;
  /** Whether this call created the first admin. */
  adminCreated: boolean;
  /**
   * The generated password, present only when this call created the admin without a configured
   * password. The caller prints it once and must never log it.
   */
  generatedPassword: string | null;
}

/** Creates the demo workspace, apps, bots and first admin, whichever of them are missing. */
export async function seedDemo(options: SeedDemoOptions): Promise<SeedDemoResult> {
  const { collections: c, clock } = options;
  const createdAt = new Date(clock.now());

  await insertOnce(c.workspaces, {
    _id: demoIds.workspace,
    name: demoNames.workspace,
    externalId: newExternalId(),
    createdAt,
  });
  for (const [i, appId] of demoIds.apps.entries()) {
    const botId = demoIds.bots[i] ?? `${appId}_bot`;
    const name = demoNames.apps[i] ?? appId;
    // One millisecond apart, so the apps list in the order they are named here.
    const created = new Date(createdAt.getTime() + i);
    await insertOnce(c.apps, {
      _id: appId,
      workspaceId: demoIds.workspace,
      name,
      createdAt: created,
    });
    await insertOnce(c.bots, {
      _id: botId,
      workspaceId: demoIds.workspace,
      appId,
      name: `${name} bot`,
      createdAt: created,
    });
  }

  const base = { workspaceId: demoIds.workspace, adminEmail: options.adminEmail.toLowerCase() };
  if ((await c.admins.countDocuments({ email: base.adminEmail })) > 0) {
    return { ...base, adminCreated: false, generatedPassword: null };
  }

  const password = options.adminPassword ?? generatePassword();
  try {
    await options.accounts.createAdmin(demoIds.workspace, { email: base.adminEmail, password });
  } catch (error) {
    // Another host seeded the same admin a moment ago: its password stands, ours is dropped.
    if (isByokError(error, ErrorCode.Conflict)) {
      return { ...base, adminCreated: false, generatedPassword: null };
    }
    throw error instanceof ByokError
      ? error
      : new ByokError(ErrorCode.Internal, 'seeding failed', { cause: error });
  }
  return {
    ...base,
    adminCreated: true,
    generatedPassword: options.adminPassword === undefined ? password : null,
  };
}
