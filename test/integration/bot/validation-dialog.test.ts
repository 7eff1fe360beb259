import { type Activity, TestAdapter, TestFlow } from 'botbuilder';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import {
  type BasicAuthService,
  botMessages,
  createValidationBot,
  LinkExpirySweeper,
  type LinkResult,
} from '../../../src/bot/index.js';
import type { EnvelopeSealer } from '../../../src/sealing/index.js';
import {
  type BotWorld,
  createBotWorld,
  testAdapterResume,
  testPublicUrl,
  workspaceKeyConfigId,
  workspaceKeyName,
} from './fixtures.js';

let world: BotWorld;

beforeAll(async () => {
  world = await createBotWorld();
});
afterAll(async () => {
  await world.database.drop();
});

/** A validation bot on a TestAdapter, with the resume path wired as the host wires it. */
function chat(
  botId: string,
  appId = 'app-default',
  process: { sealer: EnvelopeSealer; service: BasicAuthService } = world,
) {
  const bot = createValidationBot({
    owner: { tenantId: 'ws-dialog', appId, botId },
    displayName: 'Validation Bot',
    db: world.database.db,
    sealer: process.sealer,
    service: process.service,
    onKeyFailure: world.onKeyFailure,
    counter: world.counter,
    clock: world.clock,
  });
  const adapter = new TestAdapter((context) => bot.run(context));
  return { bot, adapter, resume: testAdapterResume(adapter, bot) };
}

/** The URL of the sign-in card's button in a reply. */
function linkOf(activity: Partial<Activity>): URL {
  const attachment = activity.attachments?.[0];
  expect(attachment?.contentType).toBe('application/vnd.microsoft.card.signin');
  const content = attachment?.content as { buttons: { type: string; value: string }[] };
  expect(content.buttons[0]?.type).toBe('openUrl');
  return new URL(content.buttons[0]?.value ?? '');
}

/** Starts the validation and returns the link of its sign-in card. */
async function startValidation(adapter: TestAdapter): Promise<URL> {
  let url: URL | undefined;
  await adapter
    .send('BasicAuthValidationDialog')
    .assertReply((reply) => {
      url = linkOf(reply);
    })
    .startTest();
  if (url === undefined) throw new Error('no link was shown');
  return url;
}

/** Assertions on replies the bot sent outside a user's turn (resumed conversations). */
function replies(adapter: TestAdapter): TestFlow {
  return new TestFlow(Promise.resolve(), adapter);
}

/** Enters credentials for a link the way the authorization page does. */
async function enter(
  url: URL,
  credentials: { username: string; password: string },
  resume: Parameters<typeof world.service.submit>[3],
) {
  const check = await world.service.inspect({
    linkId: url.pathname.split('/').pop(),
    sig: url.searchParams.get('sig'),
    ws: url.searchParams.get('ws'),
  });
  if (check.status !== 'valid') throw new Error(`link is ${check.status}`);
  return world.service.submit(check.link, credentials, '127.0.0.1', resume);
}

describe('ValidationBot', () => {
  describe('when a user joins', () => {
    it('welcomes them and offers BasicAuthValidationDialog', async () => {
      const { adapter } = chat('bot-welcome');
      await adapter
        .send({ type: 'conversationUpdate', membersAdded: [{ id: 'user', name: 'User1' }] })
        .assertReply((reply) => {
          expect(reply.text).toContain('BasicAuthValidationDialog');
          expect(reply.suggestedActions?.actions.map((a) => a.value as string)).toEqual([
            'BasicAuthValidationDialog',
          ]);
        })
        .startTest();
    });
  });

  describe('when the user says something else', () => {
    it('explains how to start the validation', async () => {
      const { adapter } = chat('bot-help');
      await adapter.send('hello').assertReply(botMessages.helpText).startTest();
    });
  });
});

describe('BasicAuthValidationDialog', () => {
  describe('when started', () => {
    it('shows a sign-in card whose link points at /auth/basic/ and carries no secret', async () => {
      const { adapter } = chat('bot-card');
      await adapter
        .send('BasicAuthValidationDialog')
        .assertReply((reply) => {
          const url = linkOf(reply);
          expect(url.origin).toBe(testPublicUrl);
          expect(url.pathname).toMatch(/^\/auth\/basic\/[\w-]{22}$/);
          expect([...url.searchParams.keys()].sort()).toEqual(['sig', 'ws']);
          for (const secret of ['password', 'admin', 'Convo1', 'user']) {
            expect(url.toString()).not.toContain(secret);
          }
        })
        .startTest();
    });
  });

  describe('when the link was completed with the right credentials', () => {
    it('continues by itself and confirms the default platform key', async () => {
      const { adapter, resume } = chat('bot-success');
      const url = await startValidation(adapter);
      const outcome = await enter(url, { username: 'admin', password: 'password' }, resume);
      expect(outcome.status).toBe('succeeded');
      await replies(adapter)
        .assertReply(botMessages.successText('admin', 'default platform key'))
        .send('anything')
        .assertReply(botMessages.helpText)
        .startTest();
    });
  });

  describe('when the user waits or cancels', () => {
    it('reminds them of the link, and a cancelled link no longer works', async () => {
      const { adapter } = chat('bot-cancel');
      let url = new URL(testPublicUrl);
      await adapter
        .send('BasicAuthValidationDialog')
        .assertReply((reply) => {
          url = linkOf(reply);
        })
        .send('what now?')
        .assertReply(botMessages.waitingText)
        .send('cancel')
        .assertReply(botMessages.cancelledText)
        .startTest();

      const check = await world.service.inspect({
        linkId: url.pathname.split('/').pop(),
        sig: url.searchParams.get('sig'),
        ws: url.searchParams.get('ws'),
      });
      expect(check.status).toBe('expired');
    });
  });

  describe('when the link expires unused', () => {
    it('tells the user through the sweeper', async () => {
      const { bot, adapter } = chat('bot-expiry');
      const sweeper = new LinkExpirySweeper({
        service: world.service,
        resume: testAdapterResume(adapter, bot),
      });
      await startValidation(adapter);
      world.clock.advance(601_000);
      expect(await sweeper.sweepOnce()).toBeGreaterThanOrEqual(1);
      expect(await sweeper.sweepOnce()).toBe(0);
      await replies(adapter).assertReply(botMessages.expiredText).startTest();
      await sweeper.stop();
    });
  });

  describe('when the workspace key is lost before the credentials are read back', () => {
    it('says the credentials cannot be read, with the reason code, and tells key health', async () => {
      world.resolver.workspaceApps.add('app-cmk');
      const first = chat('bot-keyloss', 'app-cmk');
      let completed: LinkResult | undefined;
      const holdBack = (_reference: unknown, result: LinkResult) => {
        completed = result;
        return Promise.resolve();
      };
      const url = await startValidation(first.adapter);
      const outcome = await enter(url, { username: 'admin', password: 'password' }, holdBack);
      expect(outcome.status).toBe('succeeded');
      if (completed === undefined) throw new Error('the link was not completed');

      // The customer disables the key; another host process, with an empty cache, resumes.
      world.workspaceKey.disabled = true;
      const sealer = world.restartedSealer();
      const service = world.newService(sealer);
      const second = chat('bot-keyloss', 'app-cmk', { sealer, service });
      const link = await service.store.find(completed.linkId);
      const before = world.failures.length;
      try {
        await service.resumeFor(link!, completed, testAdapterResume(first.adapter, second.bot));
      } finally {
        world.workspaceKey.disabled = false;
      }

      expect(first.adapter.activeQueue.map((a) => a.text)).toEqual([
        botMessages.keyUnavailableText(`workspace key ${workspaceKeyName}`, 'KEY_DISABLED'),
      ]);
      expect(world.failures.slice(before)).toEqual([
        { tenantId: 'ws-dialog', keyConfigId: workspaceKeyConfigId, code: 'KEY_DISABLED' },
      ]);
    });

    it('confirms the workspace key by name while the key works', async () => {
      world.resolver.workspaceApps.add('app-cmk');
      const { adapter, resume } = chat('bot-cmk', 'app-cmk');
      const url = await startValidation(adapter);
      await enter(url, { username: 'admin', password: 'password' }, resume);
      await replies(adapter)
        .assertReply(botMessages.successText('admin', `workspace key ${workspaceKeyName}`))
        .startTest();
    });
  });
});
