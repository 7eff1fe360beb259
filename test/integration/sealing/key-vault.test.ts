import { randomBytes, randomUUID } from 'node:crypto';
import { createServer } from 'node:net';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { ErrorCode } from '../../../src/base/errors.js';
import { newDekId } from '../../../src/crypto/index.js';
import { connectDatabase, type Database } from '../../../src/store/database.js';
import { type DataKeyRecord, MongoKeyVault } from '../../../src/store/key-vault.js';

let database: Database;
let vault: MongoKeyVault;
const dbName = `vault_${randomUUID().replaceAll('-', '').slice(0, 12)}`;

beforeAll(async () => {
  database = await connectDatabase(process.env.MONGODB_URI!, dbName);
  vault = new MongoKeyVault(database.db);
  await vault.ensureIndexes();
});

afterAll(async () => {
  await database.db.dropDatabase();
  await database.close();
});

function newRecord(tenantId: string, keyRef = 'local:test'): DataKeyRecord {
  const dekId = newDekId();
  return {
    _id: dekId,
    tenantId,
    appId: 'app-1',
    provider: 'local',
    keyConfigId: null,
    keyRef,
    wrapped: randomBytes(61),
    encryptionContext: { purpose: 'test', tenantId, appId: 'app-1', dekId },
    state: 'active',
    createdAt: new Date(),
  };
}

const slotOf = (record: DataKeyRecord) => ({
  tenantId: record.tenantId,
  appId: record.appId,
  keyConfigId: record.keyConfigId,
  keyRef: record.keyRef,
});

describe('MongoKeyVault', () => {
  describe('when ten processes create the first data key of a slot at once', () => {
    it('keeps one of them active and deletes the others', async () => {
      const tenantId = `tenant-${randomUUID()}`;
      const candidates = Array.from({ length: 10 }, () => newRecord(tenantId));

      const outcomes = await Promise.all(candidates.map((r) => vault.createActive(r)));

      const winners = new Set(outcomes.map((o) => o.record._id));
      expect(winners.size).toBe(1);
      expect(outcomes.filter((o) => o.created)).toHaveLength(1);
      expect(
        await vault.countWrappedBy({ tenantId, keyConfigId: null, keyRef: 'local:test' }),
      ).toBe(1);
      expect((await vault.findActive(slotOf(candidates[0]!)))?._id).toBe([...winners][0]);
    });
  });

  describe('when the active data key was retired', () => {
    it('finds no active key, and of five processes replacing it one wins', async () => {
      const tenantId = `tenant-${randomUUID()}`;
      const first = newRecord(tenantId);
      await vault.createActive(first);

      expect(await vault.retire(first._id, new Date())).toBe(true);
      expect(await vault.findActive(slotOf(first))).toBeNull();
      const outcomes = await Promise.all(
        Array.from({ length: 5 }, () => vault.createActive(newRecord(tenantId))),
      );

      const winner = outcomes.find((o) => o.created)!.record;
      expect(outcomes.filter((o) => o.created)).toHaveLength(1);
      expect(outcomes.every((o) => o.record._id === winner._id)).toBe(true);
      expect((await vault.findActive(slotOf(first)))?._id).toBe(winner._id);
      expect((await vault.get(first._id))?.state).toBe('retired');
    });
  });

  describe('when the active data key was moved to another key by a rewrap', () => {
    it('no longer offers it for the old key', async () => {
      const tenantId = `tenant-${randomUUID()}`;
      const record = newRecord(tenantId, 'local:old');
      await vault.createActive(record);

      const moved = await vault.compareAndSetWrapped(record._id, {
        fromKeyRef: 'local:old',
        wrapped: randomBytes(61),
        keyRef: 'local:new',
        provider: 'local',
        keyConfigId: null,
        at: new Date(),
      });

      expect(moved).toBe(true);
      expect(await vault.findActive(slotOf(record))).toBeNull();
    });

    it('refuses a second rewrap that expects the old key', async () => {
      const tenantId = `tenant-${randomUUID()}`;
      const record = newRecord(tenantId, 'local:old');
      await vault.createActive(record);
      const change = {
        fromKeyRef: 'local:old',
        wrapped: randomBytes(61),
        keyRef: 'local:new',
        provider: 'local' as const,
        keyConfigId: null,
        at: new Date(),
      };

      expect(await vault.compareAndSetWrapped(record._id, change)).toBe(true);
      expect(await vault.compareAndSetWrapped(record._id, change)).toBe(false);
    });
  });

  describe('when data keys are listed for a rewrap', () => {
    it('pages through them in id order', async () => {
      const tenantId = `tenant-${randomUUID()}`;
      const records = Array.from({ length: 5 }, () => newRecord(tenantId));
      await database.db
        .collection('keyVault')
        .insertMany(records.map((r) => ({ ...r, wrapped: r.wrapped })) as never[]);
      const query = { tenantId, keyConfigId: null, keyRef: 'local:test' };

      const page1 = await vault.listWrappedBy(query, null, 3);
      const page2 = await vault.listWrappedBy(query, page1.at(-1)!._id, 3);

      expect([...page1, ...page2].map((r) => r._id)).toEqual(records.map((r) => r._id).sort());
      expect(page2[0]!.wrapped.equals(records.find((r) => r._id === page2[0]!._id)!.wrapped)).toBe(
        true,
      );
    });
  });
});

describe('connectDatabase', () => {
  describe('when no server answers', () => {
    it('fails with DATABASE_UNAVAILABLE and does not repeat the URI password', async () => {
      const closedPort = await new Promise<number>((resolve) => {
        const server = createServer().listen(0, '127.0.0.1', () => {
          const address = server.address();
          server.close(() => {
            resolve(typeof address === 'object' && address ? address.port : 1);
          });
        });
      });

      const failure = await connectDatabase(
        `mongodb://user:s3cret-pass@127.0.0.1:${closedPort}/`,
        'x',
        { serverSelectionTimeoutMS: 500 },
      ).catch((error: unknown) => error);

      expect(failure).toMatchObject({ code: ErrorCode.DatabaseUnavailable });
      expect((failure as Error).message).not.toContain('s3cret-pass');
    });
  });

  describe('when the database name is malformed', () => {
    it('refuses it with CONFIG_INVALID', async () => {
      await expect(connectDatabase(process.env.MONGODB_URI!, 'a.b$c')).rejects.toMatchObject({
        code: ErrorCode.ConfigInvalid,
      });
    });
  });
});
