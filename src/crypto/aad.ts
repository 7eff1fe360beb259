/**
 * The additional authenticated data (AAD) of a sealed value: where the value lives and which
 * data key sealed it. AES-GCM authenticates these bytes without storing them, so a ciphertext
 * copied to another tenant, app, collection, record or field no longer opens.
 *
 * The encoding must be unambiguous: two different contexts must never produce the same bytes.
 * Every string is therefore written as a 32-bit big-endian byte length followed by its UTF-8
 * bytes (so `("ab", "c")` and `("a", "bc")` differ), and strings holding lone UTF-16
 * surrogates are refused, because UTF-8 encoding would silently turn them into U+FFFD and make
 * two different ids encode alike.
 */
import { ByokError, ErrorCode } from '../base/errors.js';

/** Where a sealed value lives. Structurally the same as the sealing feature's scope. */
export interface RecordContext {
  readonly tenantId: string;
  readonly appId: string;
  readonly collection: string;
  readonly recordId: string;
  readonly field: string;
}

/** Longest accepted context string, in UTF-8 bytes; ids are short, this only stops abuse. */
export const maxContextBytes = 1024;

/** Separates this AAD from any other use of the same key with a different layout. */
const domain = Buffer.from('byok-harness/aad', 'ascii');
const loneSurrogate = /\p{Cs}/u;
const contextFields = ['tenantId', 'appId', 'collection', 'recordId', 'field'] as const;

/**
 * Encodes the AAD for one seal or open.
 *
 * @param version - the envelope format version.
 * @param dekId - the id of the data key that seals the value.
 * @param context - where the value lives; every field must be a non-empty string.
 * @param header - the envelope's header bytes (version, key id, salt, nonce).
 * @throws ByokError `BAD_INPUT` when a context field is missing, empty, too long or not
 *   well-formed Unicode.
 */
export function encodeAad(
  version: number,
  dekId: string,
  context: RecordContext,
  header: Uint8Array,
): Buffer {
  // Written field by field into one buffer: this runs on every seal and open.
  let size = domain.length + 1 + 4 + Buffer.byteLength(dekId, 'utf8') + 4 + header.length;
  for (const name of contextFields) size += 4 + checkedLength(name, context[name]);

  const out = Buffer.allocUnsafe(size);
  let at = domain.copy(out, 0);
  out[at++] = version;
  for (const name of contextFields) at = writeString(out, at, context[name]);
  at = writeString(out, at, dekId);
  at = out.writeUInt32BE(header.length, at);
  out.set(header, at);
  return out;
}

/**
 * Checks a context without encoding it, so callers can refuse bad input before any key is
 * created or loaded.
 *
 * @throws ByokError `BAD_INPUT` as {@link encodeAad} does.
 */
export function checkRecordContext(context: RecordContext): void {
  for (const name of contextFields) checkedLength(name, context[name]);
}

function writeString(out: Buffer, at: number, value: string): number {
  const length = out.write(value, at + 4, 'utf8');
  out.writeUInt32BE(length, at);
  return at + 4 + length;
}

/** Checks one context field and returns its UTF-8 length. */
function checkedLength(name: string, value: unknown): number {
  if (typeof value !== 'string') {
    throw badContext(name, `expected a string, received ${describeType(value)}`);
  }
  if (value.length === 0) {
    throw badContext(name, 'expected a non-empty string, received an empty one');
  }
  if (loneSurrogate.test(value)) {
    throw badContext(name, 'expected well-formed Unicode, received a lone surrogate');
  }

  const length = Buffer.byteLength(value, 'utf8');
  if (length > maxContextBytes) {
    throw badContext(name, `expected at most ${maxContextBytes} UTF-8 bytes, received ${length}`);
  }
  return length;
}

function badContext(field: string, problem: string): ByokError {
  return new ByokError(ErrorCode.BadInput, `seal context ${field}: ${problem}`, {
    details: { field },
  });
}

/** Names the type of an unexpected value without echoing the value itself. */
export function describeType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (Buffer.isBuffer(value)) return `a Buffer of ${value.length} bytes`;
  if (value instanceof Uint8Array) return `a Uint8Array of ${value.length} bytes`;
  return typeof value;
}
