import { MongoClient } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { claimOnce } from '../../../src/store/claims.js';
import { type TestDatabase, testDatabase } from '../../support/db.js';

interface Claim {
  _id: string;
  by: number;
}

let database: TestDatabase;
let other: MongoClient;

beforeAll(async () => {
  database = await testDatabase('claims');
  other = await MongoClient.connect(database.uri);
});
afterAll(async () => {
  await other.close();
  await database.drop();
});

describe('claimOnce', () => {
  describe('when twenty callers on two connections claim one id at once', () => {
    it('returns true for exactly one of them and stores the fields of the winner', async () => {
      const collections = [
        database.db.collection<Claim>('race'),
        other.db(database.name).collection<Claim>('race'),
      ];

      const won = await Promise.all(
        Array.from({ length: 20 }, (_, by) => claimOnce(collections[by % 2]!, 'decision', { by })),
      );

      const winners = won.flatMap((claimed, by) => (claimed ? [by] : []));
      expect(winners).toHaveLength(1);
      expect(await collections[0]!.find({}).toArray()).toEqual([
        { _id: 'decision', by: winners[0] },
      ]);
    });
  });

  describe('when the id was claimed before', () => {
    it('returns false and leaves the first claim as it was', async () => {
      const claims = database.db.collection<Claim>('earlier');
      expect(await claimOnce(claims, 'decision', { by: 1 })).toBe(true);

      expect(await claimOnce(claims, 'decision', { by: 2 })).toBe(false);
      expect(await claims.findOne({ _id: 'decision' })).toEqual({ _id: 'decision', by: 1 });
    });
  });
});
