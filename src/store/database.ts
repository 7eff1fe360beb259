/**
 * The MongoDB connection. Features create their own collections and indexes through the `db`
 * handed out here; this file only connects, checks the server answers, and turns driver
 * failures into project errors.
 *
 * The server may be MongoDB or FerretDB: repositories therefore use only single-document
 * atomic writes and unique indexes (no transactions, partial or TTL indexes, `$lookup`).
 */
import {
  type Collection,
  type Db,
  MongoClient,
  MongoError,
  type OptionalUnlessRequiredId,
} from 'mongodb';
import { z } from 'zod';

import { ByokError, ErrorCode } from '../base/errors.js';

/** An open connection and its database. */
export interface Database {
  client: MongoClient;
  db: Db;
  /** Closes the connection; safe to call twice. */
  close(): Promise<void>;
}

/** Tuning a caller may override, e.g. tests that want a fast failure. */
export interface DatabaseOptions {
  /** How long to look for a usable server before failing, in ms. Default 10 s. */
  serverSelectionTimeoutMS?: number;
  /** Largest number of pooled connections. Default 20. */
  maxPoolSize?: number;
}

const dbNameSchema = z.string().regex(/^[\w-]{1,60}$/, 'letters, digits, _ or -, at most 60');
const uriSchema = z.string().regex(/^mongodb(\+srv)?:\/\//, 'a mongodb:// URI');

/**
 * Connects to `uri`, checks the server answers a ping, and returns the database `dbName`.
 *
 * @throws ByokError `DATABASE_UNAVAILABLE` when no server answers in time, `CONFIG_INVALID`
 *   for a malformed URI or database name. Messages never echo the URI: it may hold a password.
 */
export async function connectDatabase(
  uri: string,
  dbName: string,
  options: DatabaseOptions = {},
): Promise<Database> {
  const name = dbNameSchema.safeParse(dbName);
  if (!name.success) {
    throw new ByokError(ErrorCode.ConfigInvalid, `database name: expected ${messageOf(name)}`);
  }
  if (!uriSchema.safeParse(uri).success) {
    throw new ByokError(ErrorCode.ConfigInvalid, 'database URI: expected a mongodb:// URI');
  }

  const serverSelectionTimeoutMS = options.serverSelectionTimeoutMS ?? 10_000;
  let client: MongoClient;
  try {
    client = new MongoClient(uri, {
      appName: 'byok-harness',
      serverSelectionTimeoutMS,
      connectTimeoutMS: 10_000,
      // Long enough for an index build on a busy server, short enough to surface a hang.
      socketTimeoutMS: 60_000,
      maxPoolSize: options.maxPoolSize ?? 20,
    });
  } catch (error) {
    throw new ByokError(ErrorCode.ConfigInvalid, 'database URI could not be parsed', {
      cause: error,
    });
  }

  try {
    await client.connect();
    await client.db(name.data).command({ ping: 1 });
  } catch (error) {
    await client.close().catch(() => undefined);
    throw toDatabaseError(error, `no database answered within ${serverSelectionTimeoutMS} ms`);
  }

  let closed = false;
  return {
    client,
    db: client.db(name.data),
    close: async () => {
      if (closed) return;
      closed = true;
      await client.close();
    },
  };
}

/** True for MongoDB's duplicate-key error (a unique index or `_id` already holds the value). */
export function isDuplicateKey(error: unknown): boolean {
  return error instanceof MongoError && error.code === 11000;
}

/**
 * Wraps a driver failure into `DATABASE_UNAVAILABLE` (a ByokError passes unchanged), so
 * callers see one retryable dependency fault instead of driver classes.
 */
export function toDatabaseError(error: unknown, what = 'the database operation failed'): ByokError {
  if (error instanceof ByokError) return error;
  const code = error instanceof MongoError ? error.code : undefined;
  return new ByokError(ErrorCode.DatabaseUnavailable, what, {
    cause: error,
    details: code === undefined ? {} : { driverCode: code },
  });
}

function messageOf(result: z.ZodSafeParseError<unknown>): string {
  return result.error.issues[0]?.message ?? 'a valid value';
}

/**
 * Inserts a document unless one with its `_id` exists: an idempotent write. Of several
 * concurrent writers of one `_id` (a channel's retry, two processes seeding at once) exactly
 * one stores its document; the others return quietly. An upsert would not do: on FerretDB
 * concurrent upserts of a new `_id` fail with a duplicate key error.
 */
export async function insertOnce<T extends { _id: string }>(
  collection: Collection<T>,
  document: OptionalUnlessRequiredId<T>,
): Promise<void> {
  try {
    await collection.insertOne(document);
  } catch (error) {
    if (!isDuplicateKey(error)) throw error;
  }
}
