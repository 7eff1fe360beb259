/**
 * A fresh database per test file on the server the global setup started, dropped afterwards.
 */
import { randomUUID } from 'node:crypto';

import { type Db, MongoClient } from 'mongodb';

/** A connected client and an empty database of its own. */
export interface TestDatabase {
  client: MongoClient;
  db: Db;
  uri: string;
  name: string;
  /** Drops the database and closes the client. */
  drop(): Promise<void>;
}

/** Connects to MONGODB_URI and picks a database name no other test file uses. */
export async function testDatabase(prefix = 't'): Promise<TestDatabase> {
  const uri = process.env.MONGODB_URI;
  if (uri === undefined) throw new Error('MONGODB_URI is not set: run tests through vitest');
  const name = `${prefix}_${randomUUID().replaceAll('-', '').slice(0, 12)}`;
  const client = await MongoClient.connect(uri, { serverSelectionTimeoutMS: 10_000 });
  return {
    client,
    db: client.db(name),
    uri,
    name,
    drop: async () => {
      await client.db(name).dropDatabase();
      await client.close();
    },
  };
}
