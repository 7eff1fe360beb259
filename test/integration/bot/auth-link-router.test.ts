import type { AddressInfo } from 'node:net';

import type { ConversationReference } from 'botbuilder';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';

import { silentLogger } from '../../../src/base/log.js';
import {
  BasicAuthService,
  type BotOwner,
  linkCollection,
  type LinkResult,
} from '../../../src/bot/index.js';
import { createHttpApp } from '../../../src/http/app.js';
import { createAuthLinkRouter } from '../../../src/http/auth-link/index.js';
import {
  type BotWorld,
  createBotWorld,
  rawStrings,
  testPublicUrl,
  workspaceKeyConfigId,
} from './fixtures.js';

const owner: BotOwner = { tenantId: 'ws-http', appId: 'app-http', botId: 'bot-http' };
const challenge = 'Basic realm="byok-harness validation", charset="UTF-8"';

let world: BotWorld;
let server: { base: string; resumed: LinkResult[]; close(): Promise<void> };

/** Serves the router of `service` on 127.0.0.1 and records every resumed conversation. */
async function serve(service: BasicAuthService) {
  const resumed: LinkResult[] = [];
  const router = createAuthLinkRouter({
    service,
    resume: (_reference, result) => {
      resumed.push(result);
      return Promise.resolve();
    },
  });
  const app = createHttpApp({ logger: silentLogger, mounts: [{ path: '/auth', router }] });
  const listener = app.listen(0, '127.0.0.1');
  await new Promise<void>((resolve) => listener.once('listening', resolve));
  const { port } = listener.address() as AddressInfo;
  return {
    base: `http://127.0.0.1:${port}`,
    resumed,
    close: () =>
      new Promise<void>((resolve) =>
        listener.close(() => {
          resolve();
        }),
      ),
  };
}

/** Issues a link for a conversation and points it at the test server. */
async function issue(service: BasicAuthService = world.service, who: BotOwner = owner) {
  const reference: Partial<ConversationReference> = {
    channelId: 'test',
    serviceUrl: 'http://127.0.0.1:1',
    conversation: { id: `conv-${Math.random()}`, isGroup: false, name: '', conversationType: '' },
    user: { id: 'user-1', name: 'Ada' },
    bot: { id: who.botId, name: 'bot' },
  };
  const link = await service.issueLink(who, reference);
  const issued = new URL(link.url);
  expect(issued.origin).toBe(testPublicUrl);
  return { linkId: link.linkId, url: new URL(`${issued.pathname}${issued.search}`, server.base) };
}

function basic(username: string, password: string): Record<string, string> {
  const token = Buffer.from(`${username}:${password}`, 'utf8').toString('base64');
  return { Authorization: `Basic ${token}` };
}

async function open(url: URL | string, headers: Record<string, string> = {}) {
  const response = await fetch(url, { headers, redirect: 'manual' });
  return { response, body: await response.text() };
}

async function stateOf(linkId: string) {
  const link = await world.database.db.collection(linkCollection).findOne({ _id: linkId as never });
  return link?.state as string | undefined;
}

beforeAll(async () => {
  world = await createBotWorld();
  server = await serve(world.service);
  await world.service.profiles.set(owner, { username: 'jörg', password: 'se:cret:ßü✓' });
});
afterAll(async () => {
  await server.close();
  await world.database.drop();
});
beforeEach(() => {
  // Each test starts in a fresh throttling window.
  world.clock.advance(600_000);
});

describe('the authorization link page', () => {
  describe('when opened without credentials', () => {
    it('answers 401 with a challenge naming the realm and charset, and changes nothing', async () => {
      const { linkId, url } = await issue();
      const { response, body } = await open(url);

      expect(response.status).toBe(401);
      expect(response.headers.get('www-authenticate')).toBe(challenge);
      expect(body).toContain('Enter the user name and password');
      expect(await stateOf(linkId)).toBe('pending');
    });
  });

  describe('when the right credentials are entered (a password with ":" and non-ASCII)', () => {
    it('redirects with 303 to the success page, stores them sealed and resumes the chat', async () => {
      const { linkId, url } = await issue();
      const { response } = await open(url, basic('jörg', 'se:cret:ßü✓'));

      expect(response.status).toBe(303);
      const location = new URL(response.headers.get('location') ?? '', server.base);
      expect(location.pathname).toBe('/auth/basic/success');
      const success = await open(location);
      expect(success.response.status).toBe(200);
      expect(success.body).toContain('>Basic authentication successful.<');

      expect(await stateOf(linkId)).toBe('used');
      expect(server.resumed.at(-1)).toEqual({ linkId, owner, outcome: 'succeeded' });
      const raw = await world.database.db
        .collection(linkCollection)
        .findOne({ _id: linkId as never });
      expect(raw?.credentials).toBeDefined();
      const clear = rawStrings(raw).join('\n');
      for (const secret of ['se:cret', 'ßü✓', 'jörg', 'Ada', 'user-1']) {
        expect(clear).not.toContain(secret);
      }
      const report = await world.service.readStoredCredentials(owner, linkId);
      expect(report).toEqual({
        status: 'readable',
        username: 'jörg',
        keyLabel: 'default platform key',
      });
    });

    it('refuses the same link a second time with 410 and changes nothing', async () => {
      const { linkId, url } = await issue();
      await open(url, basic('jörg', 'se:cret:ßü✓'));
      const resumedBefore = server.resumed.length;

      const again = await open(url, basic('jörg', 'se:cret:ßü✓'));
      expect(again.response.status).toBe(410);
      expect(again.body).toContain('already been used');
      expect(await stateOf(linkId)).toBe('used');
      expect(server.resumed).toHaveLength(resumedBefore);
    });
  });

  describe('when wrong credentials are entered', () => {
    it('answers 401 with a new challenge, and 429 after five tries on the link', async () => {
      const { linkId, url } = await issue();
      for (const password of ['se', 'se:cret', 'se:cret:ßü', 'SE:CRET:ßü✓', 'password']) {
        const wrong = await open(url, basic('jörg', password));
        expect(wrong.response.status).toBe(401);
        expect(wrong.response.headers.get('www-authenticate')).toBe(challenge);
        expect(wrong.body).toContain('not right');
      }

      const throttled = await open(url, basic('jörg', 'se:cret:ßü✓'));
      expect(throttled.response.status).toBe(429);
      expect(Number(throttled.response.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(await stateOf(linkId)).toBe('pending');
      expect(server.resumed.map((r) => r.linkId)).not.toContain(linkId);
    });

    it('throttles a client that spreads wrong tries over many links', async () => {
      for (let link = 0; link < 5; link++) {
        const { url } = await issue();
        for (let attempt = 0; attempt < 4; attempt++) {
          expect((await open(url, basic('admin', 'password'))).response.status).toBe(401);
        }
      }

      const { linkId, url } = await issue();
      expect((await open(url, basic('jörg', 'se:cret:ßü✓'))).response.status).toBe(429);
      expect(await stateOf(linkId)).toBe('pending');
    });

    it('treats a header that is not UTF-8 as no credentials', async () => {
      const { linkId, url } = await issue();
      const latin1 = Buffer.from([0x6a, 0xf6, 0x72, 0x67, 0x3a, 0x78]).toString('base64');
      const { response } = await open(url, { Authorization: `Basic ${latin1}` });
      expect(response.status).toBe(401);
      expect(response.headers.get('www-authenticate')).toBe(challenge);
      expect(await stateOf(linkId)).toBe('pending');
    });
  });

  describe('when the link is not one to complete', () => {
    it('shows 410 for an expired link and leaves it as it was', async () => {
      const { linkId, url } = await issue();
      world.clock.advance(601_000);
      const { response, body } = await open(url, basic('jörg', 'se:cret:ßü✓'));
      expect(response.status).toBe(410);
      expect(body).toContain('expired');
      expect(await stateOf(linkId)).toBe('pending');
    });

    it('shows 400 for a tampered signature, link id or query', async () => {
      const { linkId, url } = await issue();
      const sig = url.searchParams.get('sig') ?? '';
      const flipped = new URL(url);
      flipped.searchParams.set('sig', `${sig[0] === 'A' ? 'B' : 'A'}${sig.slice(1)}`);
      const otherId = new URL(url.toString().replace(linkId, `${linkId.slice(0, -1)}x`));
      const operator = new URL(`${url.pathname}?ws=${owner.tenantId}&sig[$gt]=`, server.base);

      for (const tampered of [flipped, otherId, operator]) {
        const { response, body } = await open(tampered, basic('jörg', 'se:cret:ßü✓'));
        expect(response.status).toBe(400);
        expect(body).toContain('not valid');
      }
      expect(await stateOf(linkId)).toBe('pending');
    });

    it("shows 400 for a link opened under another workspace's name", async () => {
      const { linkId, url } = await issue();
      url.searchParams.set('ws', 'ws-other');
      const { response, body } = await open(url, basic('jörg', 'se:cret:ßü✓'));
      expect(response.status).toBe(400);
      expect(body).toContain('another workspace');
      expect(await stateOf(linkId)).toBe('pending');
    });
  });

  describe('when the workspace key is unavailable', () => {
    it('says so with the reason code, stores nothing and tells key health', async () => {
      const cmkOwner = { ...owner, appId: 'app-http-cmk' };
      world.resolver.workspaceApps.add(cmkOwner.appId);
      const service = world.newService(world.restartedSealer());
      const local = await serve(service);
      const previous = server;
      server = local;
      try {
        const { linkId, url } = await issue(service, cmkOwner);
        const before = world.failures.length;
        world.workspaceKey.disabled = true;
        const { response, body } = await open(url, basic('admin', 'password'));

        expect(response.status).toBe(424);
        expect(body).toContain('(KEY_DISABLED)');
        expect(await stateOf(linkId)).toBe('pending');
        expect(local.resumed).toEqual([]);
        expect(world.failures.slice(before)).toEqual([
          { tenantId: owner.tenantId, keyConfigId: workspaceKeyConfigId, code: 'KEY_DISABLED' },
        ]);
      } finally {
        world.workspaceKey.disabled = false;
        server = previous;
        await local.close();
      }
    });
  });
});
