import { randomBytes, randomUUID } from 'node:crypto';

import type { TurnContext } from 'botbuilder';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createLogger, silentLogger } from '../../../src/base/log.js';
import { createBotAdapter } from '../../../src/bot/adapter.js';
import { createHttpApp } from '../../../src/http/app.js';
import { createBotRouter } from '../../../src/http/bot/messages-router.js';
import { type ConnectorDouble, startConnectorDouble } from '../../support/connector-double.js';
import { type TestDatabase, testDatabase } from '../../support/db.js';
import {
  countDocuments,
  echoBot,
  platformSealer,
  startTestHost,
  type TestHost,
  welcomeText,
} from './fixtures.js';

const owner = { tenantId: 'ws_messages', appId: 'app_messages', botId: 'bot_messages' };

const masterKey = randomBytes(32);
let database: TestDatabase;
let connector: ConnectorDouble;
let host: TestHost;

beforeAll(async () => {
  database = await testDatabase('messages');
  connector = await startConnectorDouble();
  const sealer = await platformSealer(database.db, masterKey);
  host = await startTestHost({
    db: database.db,
    sealer,
    bots: [echoBot(database.db, sealer, owner)],
    signingKey: randomBytes(32),
  });
});

afterAll(async () => {
  await host.close();
  await connector.close();
  await database.drop();
});

function activity(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    type: 'message',
    id: randomUUID(),
    channelId: 'test',
    serviceUrl: connector.serviceUrl,
    conversation: { id: `conv-${randomUUID()}` },
    from: { id: 'user-1', name: 'User' },
    recipient: { id: owner.botId, name: 'Bot' },
    text: 'hello there',
    ...overrides,
  };
}

function post(path: string, body: unknown, contentType = 'application/json'): Promise<Response> {
  return fetch(`${host.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': contentType },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

describe('the messaging endpoint', () => {
  describe('when a channel sends a message to a known bot', () => {
    it('delivers the bot reply to the connector named by serviceUrl', async () => {
      const sent = activity({ text: 'ping over the connector' });
      const before = await countDocuments(database.db);

      const response = await post(`/api/messages/${owner.botId}`, sent);

      expect(response.status).toBe(200);
      expect(await countDocuments(database.db)).toBeGreaterThan(before);
      const conversationId = (sent.conversation as { id: string }).id;
      const [reply] = await connector.waitForActivities(conversationId, 1);
      expect(reply).toMatchObject({
        type: 'message',
        text: 'You said: ping over the connector',
        replyToId: sent.id,
        conversation: { id: conversationId },
        recipient: { id: 'user-1' },
      });
    });

    it('routes by the recipient id when the path names no bot', async () => {
      const sent = activity({ text: 'routed by recipient' });

      const response = await post('/api/messages', sent);

      expect(response.status).toBe(200);
      const [reply] = await connector.waitForActivities(
        (sent.conversation as { id: string }).id,
        1,
      );
      expect(reply?.text).toBe('You said: routed by recipient');
    });

    it('sends replies without credentials when no app id is configured', async () => {
      const sent = activity();
      await post(`/api/messages/${owner.botId}`, sent);

      await connector.waitForActivities((sent.conversation as { id: string }).id, 1);
      const call = connector.calls.find(
        (c) => c.conversationId === (sent.conversation as { id: string }).id,
      );
      expect(call?.authorization).toBeUndefined();
    });
  });

  describe('when a user joins a conversation', () => {
    it('welcomes the user once', async () => {
      const conversationId = `conv-${randomUUID()}`;
      const update = activity({
        type: 'conversationUpdate',
        text: undefined,
        conversation: { id: conversationId },
        membersAdded: [{ id: owner.botId }, { id: 'user-1' }],
      });

      const response = await post(`/api/messages/${owner.botId}`, update);

      expect(response.status).toBe(200);
      const replies = await connector.waitForActivities(conversationId, 1);
      expect(replies.map((r) => r.text)).toEqual([welcomeText]);
    });
  });

  describe('when the request is refused', () => {
    const longText = 'x'.repeat(10_001);
    const cases: { name: string; status: number; send: () => Promise<Response> }[] = [
      {
        name: 'an activity without a conversation',
        status: 400,
        send: () => post(`/api/messages/${owner.botId}`, activity({ conversation: undefined })),
      },
      {
        name: 'an activity without a type',
        status: 400,
        send: () => post(`/api/messages/${owner.botId}`, activity({ type: undefined })),
      },
      {
        name: 'an operator object in place of the text',
        status: 400,
        send: () => post(`/api/messages/${owner.botId}`, activity({ text: { $gt: '' } })),
      },
      {
        name: 'an operator object in place of the sender id',
        status: 400,
        send: () => post(`/api/messages/${owner.botId}`, activity({ from: { id: { $ne: 1 } } })),
      },
      {
        name: 'an operator object in place of the recipient id',
        status: 400,
        send: () => post('/api/messages', activity({ recipient: { id: { $gt: '' } } })),
      },
      {
        name: 'a message longer than 10000 characters',
        status: 400,
        send: () => post(`/api/messages/${owner.botId}`, activity({ text: longText })),
      },
      {
        name: 'a serviceUrl that is not http',
        status: 400,
        send: () => post(`/api/messages/${owner.botId}`, activity({ serviceUrl: 'file:///x' })),
      },
      {
        name: "a serviceUrl pointing at the host's own channel",
        status: 400,
        send: () =>
          post(
            `/api/messages/${owner.botId}`,
            activity({ serviceUrl: `${host.url}/v3/directline/connector` }),
          ),
      },
      {
        name: 'a body that is not JSON',
        status: 400,
        send: () => post(`/api/messages/${owner.botId}`, '{"type": "message",'),
      },
      {
        name: 'an unknown bot in the path',
        status: 404,
        send: () => post('/api/messages/bot_unknown', activity()),
      },
      {
        name: 'an unknown bot as the recipient',
        status: 404,
        send: () => post('/api/messages', activity({ recipient: { id: 'bot_unknown' } })),
      },
      {
        name: 'a body larger than the limit',
        status: 413,
        send: () =>
          post(
            `/api/messages/${owner.botId}`,
            activity({ channelData: { padding: 'p'.repeat(200_000) } }),
          ),
      },
      {
        name: 'a body that is not application/json',
        status: 415,
        send: () => post(`/api/messages/${owner.botId}`, JSON.stringify(activity()), 'text/plain'),
      },
    ];

    it.each(cases)('answers $status with a reason and stores nothing for $name', async (c) => {
      const before = await countDocuments(database.db);
      const callsBefore = connector.calls.length;

      const response = await c.send();

      expect(response.status).toBe(c.status);
      const body = (await response.json()) as { error: { code: string; message: string } };
      expect(body.error.message.length).toBeGreaterThan(0);
      expect(await countDocuments(database.db)).toBe(before);
      expect(connector.calls.length).toBe(callsBefore);
    });
  });

  describe('when Bot Framework authentication is configured', () => {
    it('refuses an activity without a channel token and stores nothing', async () => {
      const sealer = await platformSealer(database.db, masterKey);
      const adapter = createBotAdapter({
        config: { MicrosoftAppId: randomUUID(), MicrosoftAppPassword: 'not-used-offline' },
        logger: silentLogger,
      });
      const bot = echoBot(database.db, sealer, owner);
      const app = createHttpApp({
        logger: silentLogger,
        mounts: [
          {
            path: '/api',
            router: createBotRouter({ adapter, resolveBot: () => Promise.resolve(bot) }),
          },
        ],
      });
      const server = app.listen(0, '127.0.0.1');
      await new Promise((resolve) => server.once('listening', resolve));
      const { port } = server.address() as { port: number };
      const before = await countDocuments(database.db);

      const response = await fetch(`http://127.0.0.1:${port}/api/messages/${owner.botId}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(activity()),
      });
      server.close();

      expect(response.status).toBe(401);
      expect(await countDocuments(database.db)).toBe(before);
    });
  });

  describe('when the bot fails during a turn', () => {
    it('tells the user and logs the error code without the message text', async () => {
      const logged: string[] = [];
      const logger = createLogger('info', { write: (line: string) => logged.push(line) });
      const adapter = createBotAdapter({ config: {}, logger });
      const failing = {
        ...owner,
        bot: {
          run: (context: TurnContext) =>
            Promise.reject(new Error(`could not handle ${context.activity.text}`)),
        },
      };
      const app = createHttpApp({
        logger,
        mounts: [
          {
            path: '/api',
            router: createBotRouter({ adapter, resolveBot: () => Promise.resolve(failing) }),
          },
        ],
      });
      const server = app.listen(0, '127.0.0.1');
      await new Promise((resolve) => server.once('listening', resolve));
      const { port } = server.address() as { port: number };
      const sent = activity({ text: 'a confidential sentence' });

      const response = await fetch(`http://127.0.0.1:${port}/api/messages/${owner.botId}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(sent),
      });
      const [reply] = await connector.waitForActivities(
        (sent.conversation as { id: string }).id,
        1,
      );
      server.close();

      expect(response.status).toBe(200);
      expect(reply?.text).toBe(
        'Sorry, something went wrong on our side (INTERNAL). Please try again.',
      );
      const failure = logged.map((l) => JSON.parse(l) as Record<string, unknown>);
      expect(failure).toContainEqual(
        expect.objectContaining({ msg: 'bot turn failed', code: 'INTERNAL' }),
      );
      expect(logged.join('\n')).not.toContain('confidential');
    });
  });
});
