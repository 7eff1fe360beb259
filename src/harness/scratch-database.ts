/**
 * A database that exists only for one harness run: a fresh database on the server the
 * operator named, dropped afterwards, or an embedded server in a temporary folder, stopped and
 * deleted afterwards. Nothing a run writes survives it, so a run never touches the data of the
 * host it validates.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { type Db, MongoClient } from 'mongodb';

import { startEmbeddedDatabase } from '../devservices/index.js';

/** Where the scratch databases live. */
export type ScratchEngine = 'mongodb-uri' | 'mongodb-memory-server' | 'ferretdb';

/** A server for scratch databases; {@link ScratchServer.close} removes every one of them. */
export interface ScratchServer {
  engine: ScratchEngine;
  /** A new, empty database, dropped by `close`. */
  database(): Db;
  /** Drops the databases, closes the client and stops an embedded server. */
  close(): Promise<void>;
}

/** Prefix of every scratch database name, so an operator can tell them apart. */
export const scratchPrefix = 'byok_harness_';

/**
 * Connects to `mongoUri`, or starts an embedded database in a temporary folder when it is
 * undefined. Every {@link ScratchServer.database} has a name no other run uses.
 */
export async function openScratchServer(mongoUri: string | undefined): Promise<ScratchServer> {
  let engine: ScratchEngine = 'mongodb-uri';
  let uri = mongoUri;
  let stopEmbedded = async () => {
    // Nothing was started.
  };
  if (uri === undefined) {
    const folder = await mkdtemp(join(tmpdir(), 'byok-harness-'));
    try {
      const embedded = await startEmbeddedDatabase(folder);
      engine = embedded.database ?? 'ferretdb';
      uri = embedded.env.MONGODB_URI;
      stopEmbedded = async () => {
        await embedded.stop();
        await rm(folder, { recursive: true, force: true });
      };
    } catch (error) {
      await rm(folder, { recursive: true, force: true });
      throw error;
    }
  }

  let client: MongoClient;
  try {
    client = await MongoClient.connect(uri ?? '', { serverSelectionTimeoutMS: 10_000 });
  } catch (error) {
    await stopEmbedded();
    throw error;
  }
  const run = randomUUID().replaceAll('-', '').slice(0, 12);
  const names: string[] = [];
  return {
    engine,
    database: () => {
      const name = `${scratchPrefix}${run}_${String(names.length)}`;
      names.push(name);
      return client.db(name);
    },
    close: async () => {
      try {
        for (const name of names) await client.db(name).dropDatabase();
      } finally {
        await client.close();
        await stopEmbedded();
      }
    },
  };
}
