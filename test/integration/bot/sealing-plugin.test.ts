import { type Activity, ConversationState, TestAdapter } from 'botbuilder';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import {
  createSealingPlugin,
  SealedStorage,
  SealedTranscriptStore,
  stateCollection,
  transcriptCollections,
  unsavedTurnNotice,
} from '../../../src/bot/index.js';
import { findPlaintext } from '../../support/plaintext-scan.js';
import { type BotWorld, createBotWorld, rawStrings } from './fixtures.js';

const owner = { tenantId: 'ws-plugin', appId: 'app-1', botId: 'bot-1' };
let world: BotWorld;

beforeAll(async () => {
  world = await createBotWorld();
  await SealedTranscriptStore.ensureIndexes(world.database.db);
});
afterAll(async () => {
  await world.database.drop();
});

function message(conversationId: string, id: string, text: string, at: number): Activity {
  return {
    type: 'message',
    id,
    text,
    channelId: 'test',
    timestamp: new Date(at),
    conversation: { id: conversationId, isGroup: false, name: '', conversationType: '' },
    from: { id: 'user-1', name: 'Ada', role: 'user' },
    recipient: { id: 'bot-1', name: 'bot' },
    serviceUrl: 'http://127.0.0.1:1',
    attachments: [
      { contentType: 'application/vnd.microsoft.card.hero', content: { title: `card ${text}` } },
    ],
    entities: [{ type: 'mention', text: `entity ${text}` }],
    channelData: { secretNote: `channel ${text}` },
    value: { answer: `value ${text}` },
  } as unknown as Activity;
}

async function allConversations(store: SealedTranscriptStore): Promise<string[]> {
  const ids: string[] = [];
  let token = '';
  do {
    const page = await store.listTranscripts('test', token);
    ids.push(...page.items.map((t) => t.id));
    token = page.continuationToken;
  } while (token !== '');
  return ids;
}

describe('SealedTranscriptStore', () => {
  describe('when the same activity is logged twice', () => {
    it('stores one document and reads it back once', async () => {
      const store = new SealedTranscriptStore({
        db: world.database.db,
        sealer: world.sealer,
        owner,
      });
      const activity = message('conv-retry', 'a1', 'retried message', Date.now());

      await store.logActivity(activity);
      await store.logActivity(activity);

      const raw = world.database.db.collection(transcriptCollections.activities);
      expect(await raw.countDocuments({ conversationId: 'conv-retry' })).toBe(1);
      const page = await store.getTranscriptActivities('test', 'conv-retry');
      expect(page.items.map((a) => a.text)).toEqual(['retried message']);
      expect(page.items[0]?.timestamp).toBeInstanceOf(Date);
    });
  });

  describe('when a conversation has more activities than a page', () => {
    it('pages through all of them in logging order with continuation tokens', async () => {
      const store = new SealedTranscriptStore({
        db: world.database.db,
        sealer: world.sealer,
        owner,
        pageSize: 3,
      });
      const start = Date.now();
      for (let i = 0; i < 7; i++) {
        await store.logActivity(message('conv-pages', `p${i}`, `page text ${i}`, start + i));
      }

      const seen: string[] = [];
      let token: string | undefined;
      let pages = 0;
      do {
        const page = await store.getTranscriptActivities('test', 'conv-pages', token);
        seen.push(...page.items.map((a) => a.id ?? ''));
        token = page.continuationToken;
        pages += 1;
      } while (token !== '');

      expect(seen).toEqual(['p0', 'p1', 'p2', 'p3', 'p4', 'p5', 'p6']);
      expect(pages).toBe(3);

      const recent = await store.getTranscriptActivities(
        'test',
        'conv-pages',
        '',
        new Date(start + 5),
      );
      expect(recent.items.map((a) => a.id)).toEqual(['p5', 'p6']);
    });

    it('refuses a continuation token it did not issue', async () => {
      const store = new SealedTranscriptStore({
        db: world.database.db,
        sealer: world.sealer,
        owner,
      });
      await expect(
        store.getTranscriptActivities('test', 'conv-pages', '{"$gt":""}'),
      ).rejects.toMatchObject({ code: 'BAD_INPUT' });
    });
  });

  describe('when transcripts are listed and deleted', () => {
    it('lists each conversation once and forgets a deleted one', async () => {
      const store = new SealedTranscriptStore({
        db: world.database.db,
        sealer: world.sealer,
        owner: { ...owner, botId: 'bot-list' },
        pageSize: 2,
      });
      for (const conversation of ['c1', 'c2', 'c3']) {
        await store.logActivity(message(conversation, `${conversation}-1`, 'hello', Date.now()));
        await store.logActivity(message(conversation, `${conversation}-2`, 'again', Date.now()));
      }

      const first = await store.listTranscripts('test');
      expect(first.items).toHaveLength(2);
      expect(await allConversations(store)).toEqual(['c1', 'c2', 'c3']);

      await store.deleteTranscript('test', 'c2');
      expect(await allConversations(store)).toEqual(['c1', 'c3']);
      expect((await store.getTranscriptActivities('test', 'c2')).items).toEqual([]);
    });
  });

  describe('when activities are stored', () => {
    it('keeps text, attachments, cards, entities, channel data and value sealed', async () => {
      const store = new SealedTranscriptStore({
        db: world.database.db,
        sealer: world.sealer,
        owner,
      });
      await store.logActivity(message('conv-sealed', 's1', 'zebra-plaintext', Date.now()));

      const raw = await world.database.db
        .collection(transcriptCollections.activities)
        .findOne({ conversationId: 'conv-sealed' });
      const clear = rawStrings(raw).join('\n');
      for (const secret of [
        'zebra-plaintext',
        'card zebra',
        'entity zebra',
        'channel zebra',
        'value zebra',
        'Ada',
      ]) {
        expect(clear).not.toContain(secret);
      }
      expect(raw).toMatchObject({
        ...owner,
        channelId: 'test',
        conversationId: 'conv-sealed',
        direction: 'incoming',
        type: 'message',
        provenance: { provider: 'local', keyConfigId: null },
      });
    });
  });
});

describe('SealedStorage', () => {
  describe('when state is written and read', () => {
    it('round-trips the item with a fresh eTag and keeps key and state out of the raw record', async () => {
      const storage = new SealedStorage({ db: world.database.db, sealer: world.sealer, owner });
      const key = 'test/conversations/conv-state-koala/';
      await storage.write({ [key]: { dialog: 'koala-dialog-state', step: 2 } });

      const read = await storage.read([key, 'missing/key/']);
      expect(read[key]).toMatchObject({ dialog: 'koala-dialog-state', step: 2 });
      expect(typeof read[key]?.eTag).toBe('string');
      expect(Object.keys(read)).toEqual([key]);

      const clear = rawStrings(
        await world.database.db.collection(stateCollection).find({}).toArray(),
      );
      expect(clear.join('\n')).not.toContain('koala');
    });
  });

  describe('when two writers hold the same eTag', () => {
    it('accepts the first, refuses the second with CONFLICT, and lets "*" overwrite', async () => {
      const storage = new SealedStorage({ db: world.database.db, sealer: world.sealer, owner });
      const key = 'test/users/user-etag/';
      await storage.write({ [key]: { count: 1 } });
      const item = (await storage.read([key]))[key] as { eTag: string; count: number };

      await storage.write({ [key]: { ...item, count: 2 } });
      await expect(storage.write({ [key]: { ...item, count: 3 } })).rejects.toMatchObject({
        code: 'CONFLICT',
      });
      expect((await storage.read([key]))[key]).toMatchObject({ count: 2 });

      await storage.write({ [key]: { count: 4, eTag: '*' } });
      expect((await storage.read([key]))[key]).toMatchObject({ count: 4 });
    });

    it('creates an item written with an eTag that does not exist yet, and deletes it', async () => {
      const storage = new SealedStorage({ db: world.database.db, sealer: world.sealer, owner });
      const key = 'test/users/new-with-etag/';
      await storage.write({ [key]: { v: 1, eTag: 'some-old-etag' } });
      expect((await storage.read([key]))[key]).toMatchObject({ v: 1 });

      await storage.delete([key]);
      expect(await storage.read([key])).toEqual({});
    });
  });

  describe('when keys are not strings', () => {
    it('refuses operator objects with BAD_INPUT and writes nothing', async () => {
      const storage = new SealedStorage({ db: world.database.db, sealer: world.sealer, owner });
      await expect(storage.read([{ $gt: '' }] as unknown as string[])).rejects.toMatchObject({
        code: 'BAD_INPUT',
      });
    });
  });
});

describe('SealedTranscriptLogger', () => {
  function echoAdapter(plugin: ReturnType<typeof createSealingPlugin>) {
    const state = new ConversationState(plugin.storage);
    const turns = state.createProperty<number>('turns');
    const adapter = new TestAdapter(async (context) => {
      const count = (await turns.get(context, 0)) + 1;
      await turns.set(context, count);
      await context.sendActivity(`echo ${count}: ${context.activity.text}`);
      await state.saveChanges(context);
    });
    adapter.use(plugin.transcriptLogger);
    return adapter;
  }

  describe('when a turn completes', () => {
    it('has already stored the incoming and the outgoing activity, sealed', async () => {
      const plugin = createSealingPlugin({
        db: world.database.db,
        sealer: world.sealer,
        owner: { ...owner, botId: 'bot-echo' },
      });
      const adapter = echoAdapter(plugin);

      await adapter.send('hello walrus').assertReply('echo 1: hello walrus').startTest();

      const conversationId = adapter.conversation.conversation.id;
      const page = await plugin.transcriptStore.getTranscriptActivities('test', conversationId);
      expect(page.items.map((a) => [a.from.role, a.text])).toEqual([
        ['user', 'hello walrus'],
        ['bot', 'echo 1: hello walrus'],
      ]);
      const raw = world.database.db.collection(transcriptCollections.activities);
      const directions = await raw
        .find({ conversationId, botId: 'bot-echo' })
        .sort({ seq: 1 })
        .map((d) => d.direction as string)
        .toArray();
      expect(directions).toEqual(['incoming', 'outgoing']);
    });
  });

  describe('when the key is unusable and no data key is cached', () => {
    it('tells the user, stores nothing, counts the failure and tells key health', async () => {
      const sealer = world.restartedSealer();
      const plugin = createSealingPlugin({
        db: world.database.db,
        sealer,
        owner: { ...owner, botId: 'bot-keyless' },
        onKeyFailure: world.onKeyFailure,
        counter: world.counter,
      });
      const adapter = echoAdapter(plugin);
      const before = world.failures.length;

      world.provider.disabled = true;
      try {
        await adapter
          .send('octopus secret')
          .assertReply(unsavedTurnNotice('KEY_DISABLED'))
          .assertNoReply('the bot did not run', 50)
          .startTest();
      } finally {
        world.provider.disabled = false;
      }

      expect(await findPlaintext(world.database.db, ['octopus'])).toEqual([]);
      const raw = world.database.db.collection(transcriptCollections.activities);
      expect(await raw.countDocuments({ botId: 'bot-keyless' })).toBe(0);
      expect(plugin.failures.counter.byCode()).toMatchObject({ KEY_DISABLED: 1 });
      expect(world.failures.slice(before)).toEqual([
        { tenantId: owner.tenantId, keyConfigId: null, code: 'KEY_DISABLED' },
      ]);
    });
  });
});
