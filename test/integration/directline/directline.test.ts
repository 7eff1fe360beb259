import { randomBytes } from 'node:crypto';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { EncryptionContext, KeyProvider } from '../../../src/aws/key-provider.js';
import { LocalKeyProvider } from '../../../src/aws/local-key.js';
import { ByokError, ErrorCode } from '../../../src/base/errors.js';
import { type TestDatabase, testDatabase } from '../../support/db.js';
import { findPlaintext } from '../../support/plaintext-scan.js';
import {
  countDocuments,
  echoBot,
  platformSealer,
  startTestHost,
  type TestHost,
  welcomeText,
} from '../host/fixtures.js';

const owner = { tenantId: 'ws_directline', appId: 'app_directline', botId: 'bot_directline' };

let database: TestDatabase;
let first: TestHost;
let second: TestHost;
const sentTexts: string[] = [];
const masterKey = randomBytes(32);

beforeAll(async () => {
  database = await testDatabase('directline');
  const signingKey = randomBytes(32);
  // Two hosts on one database, master key and signing key, each with its own adapter, sealer
  // and data-key cache: what two processes of one deployment are.
  const hosts = await Promise.all(
    [0, 1].map(async () => {
      const sealer = await platformSealer(database.db, masterKey);
      return startTestHost({
        db: database.db,
        sealer,
        bots: [echoBot(database.db, sealer, owner)],
        signingKey,
      });
    }),
  );
  [first, second] = hosts as [TestHost, TestHost];
});

afterAll(async () => {
  await first.close();
  await second.close();
  await database.drop();
});

/** The platform key, switched off and on by the test as a customer would disable a key. */
class SwitchableKeyProvider implements KeyProvider {
  failing = false;
  readonly kind;
  readonly keyRef;

  constructor(private readonly inner: KeyProvider) {
    this.kind = inner.kind;
    this.keyRef = inner.keyRef;
  }

  generateDataKey(context: EncryptionContext) {
    return this.check().then(() => this.inner.generateDataKey(context));
  }

  decryptDataKey(wrapped: Buffer, context: EncryptionContext) {
    return this.check().then(() => this.inner.decryptDataKey(wrapped, context));
  }

  wrapDataKey(plaintext: Buffer, context: EncryptionContext) {
    return this.check().then(() => this.inner.wrapDataKey(plaintext, context));
  }

  describe() {
    return this.check().then(() => this.inner.describe());
  }

  private check(): Promise<void> {
    if (!this.failing) return Promise.resolve();
    return Promise.reject(new ByokError(ErrorCode.KeyDisabled, 'the key is disabled'));
  }
}

interface Grant {
  conversationId: string;
  token: string;
}
interface ActivitySet {
  activities: { id: string; type: string; text?: string; from: { role?: string } }[];
  watermark: string;
}

async function call(host: TestHost, method: string, path: string, init: RequestInit = {}) {
  return fetch(`${host.url}/v3/directline${path}`, { method, ...init });
}

async function json<T>(response: Response, status = 200): Promise<T> {
  expect(response.status).toBe(status);
  return (await response.json()) as T;
}

function auth(token: string, body?: unknown): RequestInit {
  return {
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  };
}

async function startConversation(host: TestHost): Promise<Grant> {
  const generated = await json<Grant>(
    await call(host, 'POST', '/tokens/generate', auth('', { bot: { id: owner.botId } })),
  );
  return json<Grant>(await call(host, 'POST', '/conversations', auth(generated.token)), 201);
}

async function say(host: TestHost, grant: Grant, text: string): Promise<string> {
  sentTexts.push(text);
  const body = { type: 'message', text, from: { id: 'ignored' }, channelData: { c: text.length } };
  const path = `/conversations/${grant.conversationId}/activities`;
  const { id } = await json<{ id: string }>(
    await call(host, 'POST', path, auth(grant.token, body)),
  );
  return id;
}

async function poll(host: TestHost, grant: Grant, watermark = ''): Promise<ActivitySet> {
  const path = `/conversations/${grant.conversationId}/activities?watermark=${watermark}`;
  return json<ActivitySet>(await call(host, 'GET', path, auth(grant.token)));
}

describe('the Direct Line channel', () => {
  describe('when a client starts a conversation', () => {
    it('shows the bot welcome first', async () => {
      const grant = await startConversation(first);

      const page = await poll(first, grant);

      expect(page.activities.map((a) => a.text)).toEqual([welcomeText]);
      expect(page.activities[0]?.from.role).toBe('bot');
    });

    it('welcomes once however often the conversation is started, from any host', async () => {
      const grant = await startConversation(first);
      await json(await call(second, 'POST', '/conversations', auth(grant.token)), 201);

      const page = await poll(second, grant);

      expect(page.activities.filter((a) => a.text === welcomeText)).toHaveLength(1);
    });
  });

  describe('when the user posts messages', () => {
    it('returns each message and its reply in order, once, across watermarks', async () => {
      const grant = await startConversation(first);
      const start = await poll(first, grant);

      const firstId = await say(first, grant, 'first message of the ordering test');
      const afterFirst = await poll(first, grant, start.watermark);
      await say(first, grant, 'second message of the ordering test');
      const afterSecond = await poll(first, grant, afterFirst.watermark);
      const nothingNew = await poll(first, grant, afterSecond.watermark);

      expect(afterFirst.activities.map((a) => [a.from.role, a.text])).toEqual([
        ['user', 'first message of the ordering test'],
        ['bot', 'You said: first message of the ordering test'],
      ]);
      expect(afterFirst.activities[0]?.id).toBe(firstId);
      expect(afterSecond.activities.map((a) => a.text)).toEqual([
        'second message of the ordering test',
        'You said: second message of the ordering test',
      ]);
      expect(nothingNew.activities).toEqual([]);
      expect(nothingNew.watermark).toBe(afterSecond.watermark);
    });

    it('serves the conversation from a second host on the same database', async () => {
      const grant = await startConversation(first);
      await say(first, grant, 'written through the first host');
      await say(second, grant, 'written through the second host');

      const seenByFirst = await poll(first, grant);
      const seenBySecond = await poll(second, grant);

      expect(seenBySecond).toEqual(seenByFirst);
      expect(seenBySecond.activities.map((a) => a.text)).toEqual([
        welcomeText,
        'written through the first host',
        'You said: written through the first host',
        'written through the second host',
        'You said: written through the second host',
      ]);
    });

    it('numbers activities without gaps when hosts write one conversation at once', async () => {
      const grant = await startConversation(first);
      const texts = Array.from({ length: 12 }, (_, i) => `concurrent message ${i}`);

      await Promise.all(texts.map((text, i) => say(i % 2 === 0 ? first : second, grant, text)));
      const page = await poll(second, grant);

      const numbers = page.activities.map((a) => Number(a.id.split('|')[1]));
      expect(numbers).toEqual(numbers.map((_, i) => i + 1));
      expect(page.activities).toHaveLength(1 + 2 * texts.length);
      for (const text of texts) {
        const user = page.activities.findIndex((a) => a.text === text);
        const bot = page.activities.findIndex((a) => a.text === `You said: ${text}`);
        expect(user).toBeGreaterThan(0);
        expect(bot).toBeGreaterThan(user);
      }
    });
  });

  describe('when a request is not allowed', () => {
    it('refuses requests without a token', async () => {
      const grant = await startConversation(first);

      const response = await call(
        first,
        'GET',
        `/conversations/${grant.conversationId}/activities`,
      );

      expect(response.status).toBe(401);
    });

    it('refuses a token for another conversation, and a tampered token', async () => {
      const mine = await startConversation(first);
      const other = await startConversation(first);
      const path = `/conversations/${other.conversationId}/activities`;
      const tampered = `${mine.token.slice(0, -2)}${mine.token.endsWith('A') ? 'B' : 'A'}A`;

      expect((await call(first, 'GET', path, auth(mine.token))).status).toBe(403);
      expect((await call(first, 'GET', path, auth(tampered))).status).toBe(403);
    });

    it('refuses an unknown bot, and an operator object in place of its id', async () => {
      const unknown = await call(first, 'POST', '/tokens/generate', auth('', { bot: { id: 'x' } }));
      const operator = await call(
        first,
        'POST',
        '/tokens/generate',
        auth('', { bot: { id: { $gt: '' } } }),
      );

      expect(unknown.status).toBe(404);
      expect(operator.status).toBe(400);
    });

    it('stores nothing for a message that is too long or not text', async () => {
      const grant = await startConversation(first);
      const path = `/conversations/${grant.conversationId}/activities`;
      const before = await countDocuments(database.db);

      const long = await call(
        first,
        'POST',
        path,
        auth(grant.token, { type: 'message', text: 'y'.repeat(10_001) }),
      );
      const operator = await call(
        first,
        'POST',
        path,
        auth(grant.token, { type: 'message', text: { $gt: '' } }),
      );

      expect([long.status, operator.status]).toEqual([400, 400]);
      expect(await countDocuments(database.db)).toBe(before);
    });

    it('lets only host processes call the connector endpoint', async () => {
      const grant = await startConversation(first);
      const path = `/connector/v3/conversations/${grant.conversationId}/activities`;
      const forged = { type: 'message', text: 'forged bot message' };

      const anonymous = await call(first, 'POST', path, auth('', forged));
      const withClientToken = await call(first, 'POST', path, auth(grant.token, forged));

      expect(anonymous.status).toBe(401);
      expect(withClientToken.status).toBe(403);
      expect((await poll(first, grant)).activities.map((a) => a.text)).toEqual([welcomeText]);
    });
  });

  describe('when the key of the workspace cannot be used', () => {
    it('stores no message and shows notices with the reason code instead', async () => {
      const key = new SwitchableKeyProvider(new LocalKeyProvider(randomBytes(32)));
      const sealer = await platformSealer(database.db, key);
      const locked = { tenantId: 'ws_locked', appId: 'app_locked', botId: 'bot_locked' };
      const host = await startTestHost({
        db: database.db,
        sealer,
        bots: [echoBot(database.db, sealer, locked)],
        signingKey: randomBytes(32),
      });
      try {
        key.failing = true;
        const generated = await json<Grant>(
          await call(host, 'POST', '/tokens/generate', auth('', { bot: { id: locked.botId } })),
        );
        const grant = await json<Grant>(
          await call(host, 'POST', '/conversations', auth(generated.token)),
          201,
        );
        await say(host, grant, 'words typed while the key was disabled');

        const page = await poll(host, grant);

        expect(page.activities.length).toBeGreaterThan(0);
        for (const activity of page.activities) {
          expect(activity.text).toMatch(/cannot be shown.*\(KEY_DISABLED\)/);
        }
        expect(page.activities.some((a) => a.from.role === 'user')).toBe(true);

        key.failing = false;
        await say(host, grant, 'words typed once the key was back');
        const later = await poll(host, grant, page.watermark);
        expect(later.activities.map((a) => a.text)).toEqual([
          'words typed once the key was back',
          'You said: words typed once the key was back',
        ]);
      } finally {
        await host.close();
      }
    });
  });

  describe('at rest', () => {
    it('holds no message text in any collection', async () => {
      const grant = await startConversation(first);
      await say(first, grant, 'a sentence that must only exist sealed');

      expect(sentTexts.length).toBeGreaterThan(3);
      const needles = [...sentTexts, welcomeText, masterKey];
      const findings = await findPlaintext(database.db, needles);
      expect(findings).toEqual([]);
      // The scan does read every record: the clear owner fields are found.
      expect(await findPlaintext(database.db, [owner.botId])).not.toEqual([]);
    });
  });
});
