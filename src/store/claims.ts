/**
 * Claims: deciding a race between processes with an insert.
 *
 * The database may be MongoDB or FerretDB. FerretDB 1.24 (SQLite backend) evaluates an
 * update's filter and writes the document in separate steps, so a conditional update is no
 * arbiter there: measured, 50 concurrent `updateOne({ _id }, { $inc: { n: 1 } })` left `n` at 2,
 * five concurrent `updateOne({ _id, v: 0 }, { $set: { v: 1 } })` all reported a modified
 * document, and a conditional `findOneAndUpdate` let several callers win. The one write both
 * engines decide atomically is an insert against the unique `_id`: exactly one succeeds, every
 * other gets the duplicate-key error.
 *
 * So a state change that only one caller may make is preceded by a claim: insert a document
 * whose `_id` names the decision (a link id, an item and the version it replaces). The caller
 * whose insert succeeds owns the decision and makes the change; the others lose and write
 * nothing. A claim is only as good as the discipline around it: every writer of the guarded
 * change must claim first.
 */
import type { Collection, Document, OptionalUnlessRequiredId } from 'mongodb';

import { isDuplicateKey } from './database.js';

/** A claim document: its `_id` is the decision, the other fields say who took it and how. */
export type ClaimDocument = Document & { _id: string };

/**
 * Inserts the claim `{ _id: id, ...fields }`. Resolves true for the one caller whose insert
 * created it, false when a claim with that id already exists (another caller won, now or
 * earlier). Any other failure is thrown unchanged.
 */
export async function claimOnce<T extends ClaimDocument>(
  collection: Collection<T>,
  id: string,
  fields: Omit<T, '_id'>,
): Promise<boolean> {
  try {
    await collection.insertOne({ ...fields, _id: id } as OptionalUnlessRequiredId<T>);
    return true;
  } catch (error) {
    if (isDuplicateKey(error)) return false;
    throw error;
  }
}
