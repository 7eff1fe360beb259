import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { ConversationView, RecentChats } from '../../../src/analytics/index.js';
import { disableCustomerKey } from '../../support/customer-aws.js';
import { dayPlus, type Platform, startPlatform, workspaceWithCustomer } from '../keys/harness.js';
import {
  type AnalyticsWorld,
  type ApiError,
  buildWorld,
  type Chat,
  type Faces,
  startFaces,
} from './fixtures.js';

let platform: Platform;
let world: AnalyticsWorld;
let faces: Faces;
let tokenA: string;

beforeAll(async () => {
  platform = await startPlatform();
  world = await buildWorld(platform, await workspaceWithCustomer(platform, 2));
  faces = await startFaces(platform, world.analytics);
  tokenA = await faces.login('admin-a@example.com');
});
afterAll(async () => {
  await faces.close();
  await platform.close();
});

const allTexts = (...chats: Chat[]) => chats.flatMap((c) => c.texts);

describe('ChatAnalytics', () => {
  describe('when a workspace chatted before and after its key was enforced', () => {
    it('lists its conversations most recent first with bot, channel, counts and the protecting key', async () => {
      const report = await world.analytics.recentChats({ workspaceId: world.a.workspaceId });

      expect(report.conversations.map((c) => c.conversationId)).toEqual([
        'conv-cmk',
        'conv-plain',
        'conv-early',
      ]);
      const [cmk, plain, early] = report.conversations;
      expect(cmk).toMatchObject({
        botId: world.a.botIds[0],
        botName: 'Bot 0',
        appName: 'App 0',
        channelId: 'test',
        messages: { incoming: 3, outgoing: 3 },
        keys: [
          {
            provider: 'aws',
            keyConfigId: world.a.keyConfigId,
            keyName: 'Production key',
            records: 6,
          },
        ],
      });
      expect(cmk?.keys[0]?.keyRef).toBe(world.a.cmkArn);
      expect(plain).toMatchObject({
        botName: 'Bot 1',
        messages: { incoming: 2, outgoing: 2 },
        keys: [{ provider: 'local', keyConfigId: null, records: 4 }],
      });
      expect(early?.keys).toMatchObject([{ provider: 'local', keyConfigId: null, records: 4 }]);
      expect(Date.parse(cmk?.firstAt ?? '')).toBeLessThan(Date.parse(cmk?.lastAt ?? ''));
    });

    it('totals the records under the CMK and the default key since the enforcement date', async () => {
      const report = await world.analytics.recentChats({ workspaceId: world.a.workspaceId });

      expect(report.enforcement).toEqual([
        {
          keyConfigId: world.a.keyConfigId,
          keyName: 'Production key',
          enforcementDate: expect.any(String) as string,
          underKey: 6,
          underDefaultKey: 4,
          underOtherKeys: 0,
        },
      ]);
      expect(report.keys.map((k) => [k.provider, k.records])).toEqual([
        ['local', 8],
        ['aws', 6],
      ]);
    });

    it('opens the most recent conversations and reports them readable without returning or logging their text', async () => {
      const report = await world.analytics.recentChats({
        workspaceId: world.a.workspaceId,
        check: 2,
      });

      expect(report.conversations.map((c) => c.readable?.status ?? null)).toEqual([
        'readable',
        'readable',
        null,
      ]);
      expect(report.conversations[0]?.readable).toMatchObject({
        checked: 6,
        opened: 6,
        code: null,
      });
      const exposed = JSON.stringify(report) + world.logLines.join('');
      for (const text of allTexts(world.early, world.plain, world.cmk)) {
        expect(exposed).not.toContain(text);
      }
    });

    it('narrows the window with since and the list with limit', async () => {
      const since = new Date(`${dayPlus(1)}T00:00:00Z`);
      const report = await world.analytics.recentChats({
        workspaceId: world.a.workspaceId,
        since,
        limit: 1,
      });

      expect(report.conversations.map((c) => c.conversationId)).toEqual(['conv-cmk']);
      expect(report.keys.map((k) => k.records).reduce((a, b) => a + b, 0)).toBe(10);
    });
  });

  describe('when another workspace also chatted', () => {
    it("never lists the other workspace's conversations", async () => {
      const a = await world.analytics.recentChats({ workspaceId: world.a.workspaceId });
      const b = await world.analytics.recentChats({ workspaceId: world.b.workspaceId });

      expect(a.conversations.map((c) => c.conversationId)).not.toContain('conv-other');
      expect(b.conversations.map((c) => c.conversationId)).toEqual(['conv-other']);
      const foreignKey = b.conversations[0]?.conversationKey ?? '';
      await expect(
        world.analytics.conversation({
          workspaceId: world.a.workspaceId,
          conversationKey: foreignKey,
        }),
      ).rejects.toMatchObject({ code: 'NOT_FOUND' });
    });
  });
});

describe('admin API /analytics/recent-chats', () => {
  describe('when the admin asks for the report', () => {
    it("returns the admin's workspace's conversations with provenance and readability", async () => {
      const { status, body: raw } = await faces.api(
        '/analytics/recent-chats?limit=2&check=1',
        tokenA,
      );
      const body = raw as RecentChats;

      expect(status).toBe(200);
      expect(body.workspaceId).toBe(world.a.workspaceId);
      expect(body.conversations.map((c) => c.conversationId)).toEqual(['conv-cmk', 'conv-plain']);
      expect(body.conversations[0]?.readable?.status).toBe('readable');
      expect(body.conversations[1]?.readable).toBeNull();
    });
  });

  describe('when the admin opens one of the workspace conversations', () => {
    it('returns its messages, decrypted, oldest first, each with its key', async () => {
      const key = await conversationKeyOf(world.a.workspaceId, 'conv-cmk');

      const { status, body: raw } = await faces.api(`/analytics/recent-chats/${key}`, tokenA);
      const body = raw as ConversationView;

      expect(status).toBe(200);
      expect(body.conversation.conversationId).toBe('conv-cmk');
      expect(body.messages.map((m) => m.text)).toEqual(
        world.cmk.texts.flatMap((t) => [t, `echo: ${t}`]),
      );
      expect(body.messages[0]).toMatchObject({
        direction: 'incoming',
        opened: true,
        key: { provider: 'aws', keyConfigId: world.a.keyConfigId },
      });
    });
  });

  describe("when the admin names another workspace's conversation", () => {
    it('answers 404 as for a key that does not exist', async () => {
      const foreign = await conversationKeyOf(world.b.workspaceId, 'conv-other');

      const { status, body: raw } = await faces.api(`/analytics/recent-chats/${foreign}`, tokenA);
      const body = raw as ApiError;
      const unknown = await faces.api(`/analytics/recent-chats/${'0'.repeat(64)}`, tokenA);

      expect([status, unknown.status]).toEqual([404, 404]);
      expect(body.error.code).toBe('NOT_FOUND');
      expect(JSON.stringify(body)).not.toContain(world.other.texts[0]);
    });
  });

  describe('when the query string is wrong', () => {
    it.each([
      ['a limit of zero', '?limit=0'],
      ['a limit that is not a number', '?limit=ten'],
      ['a limit given twice', '?limit=1&limit=2'],
      ['a limit above the maximum', '?limit=1000'],
      ['a since that is not a date', '?since=yesterday'],
      ['an operator in place of since', '?since[$gt]='],
      ['a readability check above the maximum', '?check=99'],
      ['an unknown parameter', '?workspaceId=other'],
    ])('refuses %s with 400', async (_what, query) => {
      const { status, body: raw } = await faces.api(`/analytics/recent-chats${query}`, tokenA);
      const body = raw as ApiError;

      expect(status).toBe(400);
      expect(body.error.code).toBe('BAD_INPUT');
    });

    it('refuses a malformed conversation key with 400', async () => {
      const { status } = await faces.api('/analytics/recent-chats/not-a-key', tokenA);

      expect(status).toBe(400);
    });
  });
});

describe('console Recent chats', () => {
  describe('when the admin opens the page and a conversation', () => {
    it('lists conversations with key and readability, and shows the messages escaped', async () => {
      const keys = await faces.page('/keys', tokenA);
      const list = await faces.page('/chats', tokenA);
      const key = await conversationKeyOf(world.a.workspaceId, 'conv-cmk');
      const view = await faces.page(`/chats/${key}`, tokenA);

      expect(keys.html).toContain('href="/console/chats"');
      expect(list.status).toBe(200);
      expect(list.html).toContain(`data-conversation="${key}"`);
      expect(list.html).toContain('data-readable="readable"');
      expect(list.html).not.toContain('conv-other');
      expect(view.status).toBe(200);
      expect(view.html).toContain('&lt;script&gt;alert(1)&lt;/script&gt; &amp; friends');
      expect(view.html).not.toContain('<script>alert(1)</script>');
    });
  });
});

describe('ChatAnalytics after the customer disabled the CMK', () => {
  beforeAll(async () => {
    await disableCustomerKey(world.a.cmkArn);
    // Past the DEK cache's maximum age, so no plaintext data key is left to reuse.
    platform.clock.advance(5 * 60_000 + 1_000);
  });

  it('reports KEY_DISABLED for the CMK conversation and readable for the default-key ones', async () => {
    const report = await world.analytics.recentChats({
      workspaceId: world.a.workspaceId,
      check: 3,
    });

    const status = Object.fromEntries(
      report.conversations.map((c) => [c.conversationId, [c.readable?.status, c.readable?.code]]),
    );
    expect(status).toEqual({
      'conv-cmk': ['unreadable', 'KEY_DISABLED'],
      'conv-plain': ['readable', null],
      'conv-early': ['readable', null],
    });
    expect(report.conversations[0]?.keys[0]?.provider).toBe('aws');
  });

  it("marks the key's health as access lost", async () => {
    await world.analytics.recentChats({ workspaceId: world.a.workspaceId, check: 1 });

    const health = await platform.keys.health.get(world.a.workspaceId, world.a.keyConfigId);
    expect(health.status).toBe('access_lost');
  });

  it('shows each unreadable message with its code and no text in the conversation view', async () => {
    const key = await conversationKeyOf(world.a.workspaceId, 'conv-cmk');

    const { status, body: raw } = await faces.api(`/analytics/recent-chats/${key}`, tokenA);
    const body = raw as ConversationView;

    expect(status).toBe(200);
    expect(body.messages.map((m) => m.code)).toEqual(Array(6).fill('KEY_DISABLED'));
    expect(body.messages.every((m) => m.text === null)).toBe(true);
  });
});

async function conversationKeyOf(workspaceId: string, conversationId: string): Promise<string> {
  const report = await world.analytics.recentChats({ workspaceId, check: 0 });
  const found = report.conversations.find((c) => c.conversationId === conversationId);
  if (found === undefined) throw new Error(`no conversation ${conversationId}`);
  return found.conversationKey;
}
