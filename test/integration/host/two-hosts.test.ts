import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { botMessages } from '../../../src/bot/index.js';
import {
  type BotHost,
  type BotHostDeployment,
  botHostDeployment,
  registerBot,
  type RegisteredBot,
  spawnBotHost,
} from '../../support/bot-host-process.js';
import { type TestDatabase, testDatabase } from '../../support/db.js';
import { findPlaintext } from '../../support/plaintext-scan.js';

let database: TestDatabase;
let deployment: BotHostDeployment;
let bot: RegisteredBot;
let first: BotHost;
let second: BotHost;

beforeAll(async () => {
  database = await testDatabase('two_hosts');
  deployment = await botHostDeployment(database);
  bot = await registerBot(database, 'Two hosts bot');
  // Two real processes started like `byok serve`, on one database and one set of secrets.
  [first, second] = await Promise.all([spawnBotHost(deployment), spawnBotHost(deployment)]);
});

afterAll(async () => {
  await Promise.all([first.close(), second.close()]);
  await deployment.remove();
  await database.drop();
});

interface Activity {
  text?: string;
  attachments?: { content?: { buttons?: { value?: string }[] } }[];
}

/** A Direct Line client of one conversation, talking to whichever host it is given. */
async function openConversation(host: BotHost) {
  const generated = await fetch(`${host.url}/v3/directline/tokens/generate`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ bot: { id: bot.botId } }),
  });
  const { token, conversationId } = (await generated.json()) as {
    token: string;
    conversationId: string;
  };
  const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
  const base = (at: BotHost) => `${at.url}/v3/directline/conversations/${conversationId}`;
  await fetch(`${host.url}/v3/directline/conversations`, { method: 'POST', headers });

  return {
    say: async (at: BotHost, text: string) => {
      const response = await fetch(`${base(at)}/activities`, {
        method: 'POST',
        headers,
        body: JSON.stringify({ type: 'message', text }),
      });
      expect(response.status).toBe(200);
    },
    activities: async (at: BotHost): Promise<Activity[]> => {
      const response = await fetch(`${base(at)}/activities`, { headers });
      return ((await response.json()) as { activities: Activity[] }).activities;
    },
  };
}

function linkIn(activities: Activity[]): string {
  for (const activity of activities) {
    const value = activity.attachments?.[0]?.content?.buttons?.[0]?.value;
    if (value !== undefined) return value;
  }
  throw new Error('no authorization link was shown');
}

describe('two host processes on one database', () => {
  describe('when the link shown by one host is completed on the other', () => {
    it('resumes the conversation with the confirmation naming the key', async () => {
      const chat = await openConversation(first);
      await chat.say(first, botMessages.validationTrigger);
      const shown = linkIn(await chat.activities(first));

      const onSecond = new URL(shown);
      onSecond.host = new URL(second.url).host;
      const basic = Buffer.from('admin:password').toString('base64');
      const challenge = await fetch(onSecond, { redirect: 'manual' });
      const completed = await fetch(onSecond, {
        headers: { authorization: `Basic ${basic}` },
        redirect: 'manual',
      });

      expect(new URL(shown).host).toBe(new URL(first.url).host);
      expect(challenge.status).toBe(401);
      expect(completed.status).toBe(303);
      const confirmation = botMessages.successText('admin', 'default platform key');
      const seenOnFirst = (await chat.activities(first)).map((a) => a.text);
      const seenOnSecond = (await chat.activities(second)).map((a) => a.text);
      expect(seenOnFirst).toContain(confirmation);
      expect(seenOnSecond).toEqual(seenOnFirst);
    });
  });

  describe('afterwards', () => {
    it('leaves no password, message text or key material in the database', async () => {
      const needles = [
        'admin:password',
        'password',
        botMessages.validationTrigger,
        'Basic authentication succeeded',
        deployment.masterKey,
        deployment.secret,
      ];

      expect(await findPlaintext(database.db, needles)).toEqual([]);
    });
  });
});
