/**
 * Races between host processes on one database: each "process" has its own MongoClient, key
 * vault handle, sealer and service, as two hosts would. FerretDB does not make conditional
 * updates atomic, so these tests fail for any design that relies on one to decide a race.
 */
import { randomBytes } from 'node:crypto';

import type { Activity } from 'botbuilder';
import { MongoClient } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { ManualClock } from '../../../src/base/clock.js';
import { linkClaimCollection } from '../../../src/bot/auth-links/link-store.js';
import {
  attemptCollection,
  AttemptThrottle,
  BasicAuthService,
  linkCollection,
  LinkExpirySweeper,
  type LinkResult,
  recordIdOf,
  SealedStorage,
  SealedTranscriptStore,
  type ThrottleLimits,
} from '../../../src/bot/index.js';
import { staleClaimMs, stateClaimCollection } from '../../../src/bot/plugin/state-storage.js';
import { EnvelopeSealer } from '../../../src/sealing/index.js';
import { MongoKeyVault } from '../../../src/store/key-vault.js';
import { type BotWorld, createBotWorld, testPublicUrl } from './fixtures.js';

const owner = { tenantId: 'ws-race', appId: 'app-race', botId: 'bot-race' };
const right = { username: 'admin', password: 'password' };
const wrong = { username: 'admin', password: 'not-it' };
const roomyLimits: ThrottleLimits = { perLink: 1000, perClient: 1000, windowSeconds: 600 };

let world: BotWorld;
const secret = randomBytes(32);
const clients: MongoClient[] = [];

beforeAll(async () => {
  world = await createBotWorld();
});
afterAll(async () => {
  await Promise.all(clients.map((client) => client.close()));
  await world.database.drop();
});

/** One host process: its own connection, vault handle, sealer and service. */
async function hostProcess(clock: ManualClock, throttle: ThrottleLimits = roomyLimits) {
  const client = await MongoClient.connect(world.database.uri);
  clients.push(client);
  const db = client.db(world.database.name);
  const sealer = new EnvelopeSealer({
    vault: new MongoKeyVault(db),
    resolver: world.resolver,
    clock,
  });
  const service = new BasicAuthService({
    db,
    sealer,
    secret,
    publicUrl: testPublicUrl,
    ttlSeconds: 600,
    throttle,
    clock,
  });
  await service.ensureIndexes();
  // Warm the data-key cache, so the racing calls below reach the database together.
  for (const scope of [{ ...owner, botId: undefined }, owner]) {
    const { botId, ...app } = scope;
    const warm = botId === undefined ? app : { ...app, botId };
    await sealer.seal(
      { ...warm, collection: 'warm', recordId: 'warm', field: 'warm' },
      Buffer.of(1),
    );
  }
  return { db, sealer, service };
}

/** A resume that only records which link resumed with what outcome. */
function recordingResume() {
  const resumed: Pick<LinkResult, 'linkId' | 'outcome'>[] = [];
  const resume = (_reference: unknown, result: LinkResult) => {
    resumed.push({ linkId: result.linkId, outcome: result.outcome });
    return Promise.resolve();
  };
  return { resumed, resume };
}

const reference = (conversation: string) => ({
  conversation: { id: conversation, isGroup: false, name: '', conversationType: '' },
  user: { id: 'user-1', name: 'Ada' },
  bot: { id: owner.botId, name: 'bot' },
  channelId: 'test',
  serviceUrl: 'http://127.0.0.1:1',
});

async function issuedLink(service: BasicAuthService, conversation: string) {
  const { linkId } = await service.issueLink(owner, reference(conversation));
  const link = await service.store.find(linkId);
  if (link === null) throw new Error('the issued link is missing');
  return link;
}

describe('BasicAuthService across processes', () => {
  describe('when ten submissions of the right credentials for one link arrive at once', () => {
    it('lets exactly one succeed, stores its credentials and resumes the chat once', async () => {
      const clock = new ManualClock(Date.now());
      const processes = [await hostProcess(clock), await hostProcess(clock)];
      const links = await Promise.all(
        Array.from({ length: 4 }, (_, i) => issuedLink(processes[0]!.service, `conv-ten-${i}`)),
      );
      const { resumed, resume } = recordingResume();

      const outcomes = await Promise.all(
        links.map((link) =>
          Promise.all(
            Array.from({ length: 10 }, (_, i) =>
              processes[i % 2]!.service.submit(link, right, `10.0.0.${i}`, resume),
            ),
          ),
        ),
      );

      for (const [i, link] of links.entries()) {
        const statuses = outcomes[i]?.map((o) => o.status).sort();
        expect(statuses).toEqual(['succeeded', ...Array<string>(9).fill('used')]);
        expect(resumed.filter((r) => r.linkId === link._id)).toEqual([
          { linkId: link._id, outcome: 'succeeded' },
        ]);
        expect(await processes[1]!.service.readStoredCredentials(owner, link._id)).toMatchObject({
          status: 'readable',
          username: 'admin',
        });
      }
      const stored = await world.database.db
        .collection(linkCollection)
        .countDocuments({ credentials: { $exists: true }, conversationId: /^conv-ten-/ });
      expect(stored).toBe(links.length);
    });
  });

  describe('when a sweeper that sees links expired races submissions that see them valid', () => {
    it('lets exactly one of the two decide each link, and resumes each chat once', async () => {
      const issuedAt = Date.now();
      const submitting = await hostProcess(new ManualClock(issuedAt));
      const sweeping = await hostProcess(new ManualClock(issuedAt + 601_000));
      const links = await Promise.all(
        Array.from({ length: 8 }, (_, i) => issuedLink(submitting.service, `conv-sweep-${i}`)),
      );
      const { resumed, resume } = recordingResume();
      const sweeper = new LinkExpirySweeper({ service: sweeping.service, resume });

      const [swept, ...outcomes] = await Promise.all([
        sweeper.sweepOnce(),
        ...links.map((link) => submitting.service.submit(link, right, '10.0.1.1', resume)),
      ]);
      await sweeper.stop();

      const succeeded = outcomes.filter((o) => o.status === 'succeeded').length;
      expect(succeeded + swept).toBe(links.length);
      expect(resumed).toHaveLength(links.length);
      for (const [i, link] of links.entries()) {
        const decided = resumed.filter((r) => r.linkId === link._id);
        expect(decided).toHaveLength(1);
        const expected = decided[0]?.outcome === 'succeeded' ? 'succeeded' : 'expired';
        expect(outcomes[i]?.status).toBe(expected);
        const state = (await sweeping.service.store.find(link._id))?.state;
        expect(state).toBe(expected === 'succeeded' ? 'used' : 'expired');
      }
    });
  });

  describe('when a process died between claiming a link and writing its new state', () => {
    it('reads as decided, and the sweeper settles it without telling the chat again', async () => {
      const issuedAt = Date.now();
      const { service } = await hostProcess(new ManualClock(issuedAt));
      const link = await issuedLink(service, 'conv-dead-winner');
      await world.database.db
        .collection(linkClaimCollection)
        .insertOne({ _id: link._id as never, state: 'used', at: new Date(issuedAt) });
      const { resumed, resume } = recordingResume();

      expect((await service.store.find(link._id))?.state).toBe('used');
      expect(await service.submit(link, right, '10.0.4.4', resume)).toEqual({ status: 'used' });

      const later = await hostProcess(new ManualClock(issuedAt + 601_000));
      await new LinkExpirySweeper({ service: later.service, resume }).sweepOnce();
      expect(resumed).toEqual([]);
      const raw = await world.database.db
        .collection(linkCollection)
        .findOne({ _id: link._id as never });
      expect(raw?.state).toBe('used');
    });
  });

  describe('when twenty wrong attempts on one link arrive at once', () => {
    it('counts every one of them and answers the next attempt with a retry time', async () => {
      const clock = new ManualClock(Date.now());
      const limits = { perLink: 20, perClient: 1000, windowSeconds: 600 };
      const processes = [await hostProcess(clock, limits), await hostProcess(clock, limits)];
      const link = await issuedLink(processes[0]!.service, 'conv-throttle-link');
      const { resume } = recordingResume();

      const outcomes = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          processes[i % 2]!.service.submit(link, wrong, `10.0.2.${i}`, resume),
        ),
      );
      expect(outcomes.every((o) => o.status === 'wrong-credentials')).toBe(true);

      const next = await processes[1]!.service.submit(link, right, '10.0.2.99', resume);
      expect(next).toMatchObject({ status: 'throttled' });
      expect(next.status === 'throttled' && next.retryAfterSeconds).toBeGreaterThan(0);
    });
  });

  describe('when twenty wrong attempts from one client on different links arrive at once', () => {
    it('counts every one of them against the client', async () => {
      const clock = new ManualClock(Date.now());
      const limits = { perLink: 1000, perClient: 20, windowSeconds: 600 };
      const processes = [await hostProcess(clock, limits), await hostProcess(clock, limits)];
      const links = await Promise.all(
        Array.from({ length: 21 }, (_, i) => issuedLink(processes[0]!.service, `conv-client-${i}`)),
      );
      const { resume } = recordingResume();

      const outcomes = await Promise.all(
        links
          .slice(0, 20)
          .map((link, i) => processes[i % 2]!.service.submit(link, wrong, '10.0.3.3', resume)),
      );
      expect(outcomes.every((o) => o.status === 'wrong-credentials')).toBe(true);

      const next = await processes[0]!.service.submit(links[20]!, right, '10.0.3.3', resume);
      expect(next.status).toBe('throttled');
    });
  });
});

describe('AttemptThrottle', () => {
  describe('when attempts of a past window pile up', () => {
    it('deletes them in bounded batches and keeps those of the current window', async () => {
      // Years before the other tests' attempts, so only this test's attempts are due.
      const clock = new ManualClock(Date.UTC(2020, 0, 1));
      const throttle = new AttemptThrottle(world.database.db, roomyLimits, clock);
      await throttle.ensureIndexes();
      await Promise.all(
        Array.from({ length: 30 }, (_, i) => throttle.recordFailure(`old-${i}`, '10.0.5.5')),
      );
      clock.advance(roomyLimits.windowSeconds * 1000);
      await throttle.recordFailure('current', '10.0.5.5');

      expect(await throttle.prune(20)).toBe(20);
      expect(await throttle.prune(20)).toBe(10);
      expect(await throttle.prune(20)).toBe(0);
      const left = await world.database.db
        .collection(attemptCollection)
        .find({ expiresAt: { $lt: new Date(Date.UTC(2021, 0, 1)) } })
        .toArray();
      expect(left.map((a) => a.linkId as string)).toEqual(['current']);
    });
  });
});

describe('ValidationProfiles across processes', () => {
  describe('when ten admins set the credentials of a new app at once', () => {
    it('accepts every set and keeps exactly one of them whole', async () => {
      const clock = new ManualClock(Date.now());
      const processes = [await hostProcess(clock), await hostProcess(clock)];
      const app = { tenantId: owner.tenantId, appId: 'app-profile-race' };
      const candidates = Array.from({ length: 10 }, (_, i) => ({
        username: `admin-${i}`,
        password: `secret-${i}`,
      }));

      await Promise.all(candidates.map((c, i) => processes[i % 2]!.service.profiles.set(app, c)));

      const matching = [];
      for (const candidate of candidates) {
        if (await processes[0]!.service.profiles.matches(app, candidate)) matching.push(candidate);
      }
      expect(matching).toHaveLength(1);
    });
  });
});

describe('SealedStorage across processes', () => {
  describe('when ten writers hold the same eTag at once', () => {
    it('accepts exactly one write and refuses the others with CONFLICT', async () => {
      const clock = new ManualClock(Date.now());
      const processes = [await hostProcess(clock), await hostProcess(clock)];
      const storages = processes.map(
        (p) => new SealedStorage({ db: p.db, sealer: p.sealer, owner }),
      );
      const key = 'test/conversations/conv-etag-race/';
      await storages[0]!.write({ [key]: { writer: -1 } });
      await storages[1]!.write({ 'test/conversations/warm/': { writer: -1 } });
      const item = (await storages[0]!.read([key]))[key];

      const results = await Promise.allSettled(
        Array.from({ length: 10 }, (_, i) =>
          storages[i % 2]!.write({ [key]: { ...item, writer: i } }),
        ),
      );

      const winners = results.flatMap((r, i) => (r.status === 'fulfilled' ? [i] : []));
      expect(winners).toHaveLength(1);
      for (const result of results) {
        if (result.status === 'rejected') expect(result.reason).toMatchObject({ code: 'CONFLICT' });
      }
      expect((await storages[1]!.read([key]))[key]).toMatchObject({ writer: winners[0] });
    });
  });

  describe('when a writer died while holding an eTag', () => {
    it('refuses that eTag while the claim is fresh, then lets a writer take it over', async () => {
      const clock = new ManualClock(Date.now());
      const { db, sealer } = await hostProcess(clock);
      const storage = new SealedStorage({ db, sealer, owner, clock });
      const key = 'test/conversations/conv-dead-writer/';
      await storage.write({ [key]: { step: 1 } });
      const item = (await storage.read([key]))[key];
      const itemId = recordIdOf(owner.tenantId, owner.botId, key);
      await db.collection(stateClaimCollection).insertOne({
        _id: recordIdOf(itemId, String(item?.eTag)) as never,
        at: new Date(clock.now()),
        token: 'dead-writer',
      });

      await expect(storage.write({ [key]: { ...item, step: 2 } })).rejects.toMatchObject({
        code: 'CONFLICT',
      });
      clock.advance(staleClaimMs + 1);
      await storage.write({ [key]: { ...item, step: 3 } });
      expect((await storage.read([key]))[key]).toMatchObject({ step: 3 });
      expect(await db.collection(stateClaimCollection).countDocuments()).toBe(0);
    });
  });
});

describe('SealedTranscriptStore across processes', () => {
  describe('when two processes log the first activities of a conversation at once', () => {
    it('stores every activity and lists the conversation once', async () => {
      const clock = new ManualClock(Date.now());
      const processes = [await hostProcess(clock), await hostProcess(clock)];
      const stores = processes.map(
        (p) => new SealedTranscriptStore({ db: p.db, sealer: p.sealer, owner }),
      );
      const activity = (i: number) =>
        ({
          type: 'message',
          id: `act-${i}`,
          text: `hello ${i}`,
          channelId: 'test',
          timestamp: new Date(clock.now() + i),
          conversation: { id: 'conv-log-race', isGroup: false, name: '', conversationType: '' },
          from: { id: 'user-1', name: 'Ada', role: 'user' },
          recipient: { id: owner.botId, name: 'bot' },
          serviceUrl: 'http://127.0.0.1:1',
        }) as unknown as Activity;

      await Promise.all(
        Array.from({ length: 10 }, (_, i) => stores[i % 2]!.logActivity(activity(i))),
      );

      const listed = await stores[0]!.listTranscripts('test');
      expect(listed.items.filter((t) => t.id === 'conv-log-race')).toHaveLength(1);
      const page = await stores[1]!.getTranscriptActivities('test', 'conv-log-race');
      expect(page.items.map((a) => a.id).sort()).toEqual(
        Array.from({ length: 10 }, (_, i) => `act-${i}`).sort(),
      );
    });
  });
});
