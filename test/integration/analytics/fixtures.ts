/**
 * Two workspaces that have chatted, for the analytics tests. Workspace A has two apps: app 0
 * is on the workspace's CMK (local-kms through the fault endpoint) from its enforcement date,
 * app 1 is deselected and stays on the platform default key. Workspace B has one app on the
 * default key. Turns run through the sealing plugin's transcript logger on the SDK's
 * TestAdapter; every activity carries the platform clock's time, so windows and enforcement
 * dates line up.
 *
 * The admin API and the console run with the analytics dependency on 127.0.0.1.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';

import { TestAdapter } from 'botbuilder';

import { ChatAnalytics } from '../../../src/analytics/index.js';
import { createLogger } from '../../../src/base/log.js';
import {
  type BotOwner,
  createSealingPlugin,
  SealedTranscriptStore,
} from '../../../src/bot/index.js';
import { createAdminRouter } from '../../../src/http/admin/index.js';
import { createHttpApp } from '../../../src/http/app.js';
import { createConsoleRouter } from '../../../src/http/console/index.js';
import { alice, type Platform, scheduledKey, serviceRoleArn } from '../keys/harness.js';

/** The admins' password in these tests. */
export const password = 'a sufficiently long password';

/** A conversation the fixtures ran, and what the tests expect of it. */
export interface Chat {
  owner: BotOwner;
  conversationId: string;
  texts: string[];
}

/** Runs `texts` as turns of one conversation of `owner`'s bot; the bot echoes each. */
export async function chat(
  platform: Platform,
  owner: BotOwner,
  conversationId: string,
  texts: string[],
): Promise<Chat> {
  const plugin = createSealingPlugin({
    db: platform.database.db,
    sealer: platform.sealer,
    owner,
    clock: platform.clock,
  });
  const now = () => new Date(platform.clock.now());
  const adapter = new TestAdapter(async (context) => {
    await context.sendActivity({
      type: 'message',
      text: `echo: ${context.activity.text}`,
      timestamp: now(),
    });
  });
  adapter.conversation.conversation.id = conversationId;
  adapter.use(plugin.transcriptLogger);
  for (const text of texts) {
    await adapter
      .send({ type: 'message', text, timestamp: now() })
      .assertReply(`echo: ${text}`)
      .startTest();
    platform.clock.advance(1_000);
  }
  return { owner, conversationId, texts };
}

/** The two workspaces, their chats, their admins and the key configuration of A. */
export interface AnalyticsWorld {
  a: {
    workspaceId: string;
    keyConfigId: string;
    cmkArn: string;
    appIds: string[];
    botIds: string[];
  };
  b: { workspaceId: string };
  /** Bot 0 of A before the enforcement date: default key. */
  early: Chat;
  /** Bot 1 of A (deselected app) after the date: default key. */
  plain: Chat;
  /** Bot 0 of A after the date: the CMK. */
  cmk: Chat;
  /** Workspace B's only conversation. */
  other: Chat;
  analytics: ChatAnalytics;
  /** Everything the analytics logged, one JSON line per entry. */
  logLines: string[];
}

/** Builds {@link AnalyticsWorld} on `platform` (a fresh one per test file). */
export async function buildWorld(
  platform: Platform,
  setup: {
    workspaceId: string;
    appIds: string[];
    botIds: string[];
    customer: { cmkArn: string; roleArn: string };
  },
): Promise<AnalyticsWorld> {
  const { directory, accounts } = platform.tenancy;
  const [app0 = '', app1 = ''] = setup.appIds;
  const [bot0 = '', bot1 = ''] = setup.botIds;
  const ws = setup.workspaceId;

  // A's key from tomorrow, for app 0 and its bot only.
  const keyConfigId = await scheduledKey(platform, ws, setup.customer, 1);
  const selection = await platform.keys.selection.get(ws, keyConfigId);
  await platform.keys.selection.put(alice, ws, keyConfigId, {
    selectedAppIds: [app0],
    selectedBotIds: [bot0],
    version: selection.version,
  });

  // B: one app, one bot, no key configuration.
  const workspaceB = await directory.createWorkspace({ name: 'Other workspace' });
  const appB = await directory.createApp(workspaceB.id, { name: 'Other app' });
  const botB = await directory.createBot(workspaceB.id, appB.id, { name: 'Other bot' });
  await accounts.createAdmin(ws, { email: 'admin-a@example.com', password });
  await accounts.createAdmin(workspaceB.id, { email: 'admin-b@example.com', password });

  await SealedTranscriptStore.ensureIndexes(platform.database.db);
  const early = await chat(platform, { tenantId: ws, appId: app0, botId: bot0 }, 'conv-early', [
    'before the date',
    'still before',
  ]);
  platform.clock.advance(86_400_000);
  const plain = await chat(platform, { tenantId: ws, appId: app1, botId: bot1 }, 'conv-plain', [
    'deselected app speaking',
    'on the default key',
  ]);
  platform.clock.advance(60_000);
  const cmk = await chat(platform, { tenantId: ws, appId: app0, botId: bot0 }, 'conv-cmk', [
    'sealed under the customer key',
    'second turn',
    '<script>alert(1)</script> & friends',
  ]);
  const other = await chat(
    platform,
    { tenantId: workspaceB.id, appId: appB.id, botId: botB.id },
    'conv-other',
    ['a message of workspace B'],
  );

  const logLines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      logLines.push(chunk.toString('utf8'));
      done();
    },
  });
  const analytics = new ChatAnalytics({
    db: platform.database.db,
    sealer: platform.sealer,
    directory,
    keyConfigs: platform.keys.configs,
    clock: platform.clock,
    logger: createLogger('debug', sink),
    onKeyFailure: (tenantId, id, error) => platform.keys.reportKeyFailure(tenantId, id, error),
  });

  return {
    a: {
      workspaceId: ws,
      keyConfigId,
      cmkArn: setup.customer.cmkArn,
      appIds: setup.appIds,
      botIds: setup.botIds,
    },
    b: { workspaceId: workspaceB.id },
    early,
    plain,
    cmk,
    other,
    analytics,
    logLines,
  };
}

/** The body of a refused request. */
export interface ApiError {
  error: { code: string; message: string };
}

/** The admin API (at /api/admin) and the console (at /console) over the world. */
export interface Faces {
  url: string;
  /** GET with a bearer token; the JSON body, for the caller to check. */
  api(path: string, token: string): Promise<{ status: number; body: unknown }>;
  /** GET a console page with the session cookie; the HTML. */
  page(path: string, token: string): Promise<{ status: number; html: string }>;
  login(email: string): Promise<string>;
  close(): Promise<void>;
}

/** Starts the admin API and the console with the analytics dependency. */
export async function startFaces(platform: Platform, analytics: ChatAnalytics): Promise<Faces> {
  const common = {
    tenancy: platform.tenancy,
    keys: platform.keys,
    clock: platform.clock,
    serviceRoleArn,
    analytics,
  };
  const app = createHttpApp({
    logger: createLogger('silent'),
    mounts: [
      { path: '/api/admin', router: createAdminRouter(common) },
      { path: '/console', router: createConsoleRouter(common) },
    ],
  });
  const server = await new Promise<Server>((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => {
      resolve(s);
    });
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    url,
    api: async (path, token) => {
      const response = await fetch(`${url}/api/admin${path}`, {
        headers: { authorization: `Bearer ${token}` },
      });
      return { status: response.status, body: (await response.json()) as unknown };
    },
    page: async (path, token) => {
      const response = await fetch(`${url}/console${path}`, {
        headers: { cookie: `byok_admin=${token}` },
        redirect: 'manual',
      });
      return { status: response.status, html: await response.text() };
    },
    login: async (email) => {
      const response = await fetch(`${url}/api/admin/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email, password }),
      });
      if (response.status !== 200) throw new Error(`login failed: ${response.status}`);
      return ((await response.json()) as { token: string }).token;
    },
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) =>
        server.close(() => {
          resolve();
        }),
      );
    },
  };
}
