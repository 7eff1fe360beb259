/**
 * Scans every document of a database, as the raw BSON bytes MongoDB holds, for plaintext that
 * must never be at rest: passwords, message text, key material. Each needle is looked for as
 * UTF-8 text and in the encodings a careless writer would use (base64, base64url, hex), so a
 * secret that was merely encoded is found too.
 *
 * @example
 * ```ts
 * expect(await findPlaintext(db, ['password', 'hello bot', dataKey])).toEqual([]);
 * ```
 */
import { BSON, type Db } from 'mongodb';

/** One place a needle was found. */
export interface PlaintextFinding {
  collection: string;
  /** The document's `_id`, as JSON. */
  documentId: string;
  /** Which needle (its index in the list, never its value: it may be a secret). */
  needle: number;
  encoding: 'utf8' | 'base64' | 'base64url' | 'hex';
}

/** Needles shorter than this match too much by chance; they are refused. */
const minNeedleBytes = 4;

/** Every place any needle occurs in any document of `db`; empty when none. */
export async function findPlaintext(
  db: Db,
  needles: readonly (string | Buffer)[],
): Promise<PlaintextFinding[]> {
  const patterns = needles.flatMap((needle, index) => patternsOf(needle, index));
  const findings: PlaintextFinding[] = [];

  const collections = await db.listCollections({}, { nameOnly: true }).toArray();
  for (const { name } of collections) {
    const cursor = db.collection(name).find({});
    for await (const doc of cursor) {
      const bytes = Buffer.from(BSON.serialize(doc));
      for (const pattern of patterns) {
        if (!bytes.includes(pattern.bytes)) continue;
        findings.push({
          collection: name,
          documentId: JSON.stringify(doc._id),
          needle: pattern.needle,
          encoding: pattern.encoding,
        });
      }
    }
  }
  return findings;
}

/** The byte patterns a needle may appear as, in each encoding. */
function patternsOf(
  needle: string | Buffer,
  index: number,
): { needle: number; encoding: PlaintextFinding['encoding']; bytes: Buffer }[] {
  const raw = typeof needle === 'string' ? Buffer.from(needle, 'utf8') : needle;
  if (raw.length < minNeedleBytes) {
    throw new Error(`needle ${index} is shorter than ${minNeedleBytes} bytes`);
  }
  const encoded = (['base64', 'base64url'] as const).flatMap((encoding) =>
    [0, 1, 2].map((shift) => ({
      needle: index,
      encoding,
      bytes: Buffer.from(base64Core(raw, shift, encoding)),
    })),
  );
  return [
    { needle: index, encoding: 'utf8', bytes: raw },
    { needle: index, encoding: 'hex', bytes: Buffer.from(raw.toString('hex')) },
    ...encoded,
  ];
}

/**
 * The characters of the base64 form of `raw` that stay the same whatever comes before and
 * after it, when it starts `shift` bytes into a 3-byte group of a longer encoded value.
 */
function base64Core(raw: Buffer, shift: number, encoding: 'base64' | 'base64url'): string {
  const shifted = Buffer.concat([Buffer.alloc(shift), raw]);
  const wholeGroups = Math.floor(shifted.length / 3);
  const text = shifted.subarray(0, wholeGroups * 3).toString(encoding);
  return shift === 0 ? text : text.slice(4);
}
