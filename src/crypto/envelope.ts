/**
 * The stored form of a sealed value: a versioned binary envelope.
 *
 * Format version 1, all lengths in bytes:
 *
 *     version (1) | DEK id (16) | salt (32) | nonce (12) | ciphertext (n) | tag (16)
 *
 * The value is encrypted with AES-256-GCM under a subkey derived from the data key (DEK):
 * `HKDF-SHA256(ikm = DEK, salt = salt, info = label)`. The additional authenticated data binds
 * the record's context, the DEK id, the version and the header bytes (see `aad.ts`).
 *
 * Why a per-record subkey: with random 96-bit nonces, NIST SP 800-38D caps one AES-GCM key
 * at 2^32 encryptions, after which a nonce collision (which leaks the XOR of two plaintexts
 * and the authentication key) becomes too likely. A fresh 256-bit salt per seal gives every
 * value its own subkey that encrypts exactly once, so that cap never applies to the DEK and a
 * DEK needs no encryption counter shared across processes; subkeys only collide if two salts
 * do, which is negligible long before any realistic number of records.
 *
 * Checks happen in this order: structure (ENVELOPE_MALFORMED), version
 * (ENVELOPE_VERSION_UNSUPPORTED), then authentication, where every failure is the one opaque
 * DECRYPT_FAILED so a caller learns nothing about which byte was wrong.
 */
import { createHmac, randomBytes, randomFillSync } from 'node:crypto';

import { ByokError, decryptFailed, ErrorCode } from '../base/errors.js';
import { describeType, encodeAad, type RecordContext } from './aad.js';
import { gcmOpen, gcmSealInto, gcmTagBytes } from './gcm.js';

/** The format version this module writes. */
export const envelopeVersion = 1;

const dekIdBytes = 16;
const saltBytes = 32;
const nonceBytes = 12;
const tagBytes = gcmTagBytes;
const keyBytes = 32;
const saltAt = 1 + dekIdBytes;
const nonceAt = saltAt + saltBytes;
/** Bytes before the ciphertext: version, DEK id, salt and nonce. */
export const envelopeHeaderBytes = nonceAt + nonceBytes;
/** The smallest valid envelope: a header and a tag around an empty ciphertext. */
export const envelopeOverheadBytes = envelopeHeaderBytes + tagBytes;

/** HKDF `info`: ties subkeys to this format, so no other use of a DEK derives the same key. */
export const subkeyInfo = Buffer.from('byok-harness envelope v1 subkey', 'ascii');
const expandCounter = Buffer.of(1);
const dekIdPattern = /^[0-9a-f]{32}$/;

/** A plaintext data key and its id; the caller owns `key` and zeroes it when done. */
export interface DataKey {
  /** 32 lowercase hex characters (128 random bits), as made by {@link newDekId}. */
  readonly id: string;
  /** The 32-byte AES-256 key. */
  readonly key: Buffer;
}

/** What can be read from an envelope without any key. */
export interface EnvelopeHeader {
  version: number;
  dekId: string;
}

/** A fresh random DEK id. */
export function newDekId(): string {
  return randomBytes(dekIdBytes).toString('hex');
}

/**
 * Seals `plaintext` for `context` under `dataKey`.
 *
 * @throws ByokError `BAD_INPUT` for a malformed context or plaintext, `INTERNAL` for a data key
 *   of the wrong shape (a bug, not a caller mistake).
 */
export function sealValue(dataKey: DataKey, context: RecordContext, plaintext: Uint8Array): Buffer {
  checkDataKey(dataKey);
  if (!(plaintext instanceof Uint8Array)) {
    throw new ByokError(
      ErrorCode.BadInput,
      `plaintext: expected a Buffer or Uint8Array, received ${describeType(plaintext)}`,
    );
  }

  const out = Buffer.allocUnsafe(envelopeOverheadBytes + plaintext.length);
  out[0] = envelopeVersion;
  out.write(dataKey.id, 1, dekIdBytes, 'hex');
  takeRandom(out, saltAt, saltBytes + nonceBytes);
  const header = out.subarray(0, envelopeHeaderBytes);
  const aad = encodeAad(envelopeVersion, dataKey.id, context, header);

  const subkey = deriveSubkey(dataKey.key, out.subarray(saltAt, nonceAt));
  try {
    gcmSealInto(
      subkey,
      out.subarray(nonceAt, envelopeHeaderBytes),
      aad,
      plaintext,
      out,
      envelopeHeaderBytes,
    );
  } finally {
    subkey.fill(0);
  }
  return out;
}

/**
 * Opens an envelope sealed for exactly `context` under `dataKey`.
 *
 * @throws ByokError `ENVELOPE_MALFORMED` or `ENVELOPE_VERSION_UNSUPPORTED` for a broken
 *   structure; `DECRYPT_FAILED` for anything that does not authenticate (another key, another
 *   context, any changed bit); `BAD_INPUT` for a malformed context.
 */
export function openValue(dataKey: DataKey, context: RecordContext, envelope: Uint8Array): Buffer {
  checkDataKey(dataKey);
  const header = readHeader(envelope);
  if (header.dekId !== dataKey.id) throw decryptFailed();

  const bytes = Buffer.from(envelope.buffer, envelope.byteOffset, envelope.byteLength);
  const tagAt = bytes.length - tagBytes;
  const aad = encodeAad(
    envelopeVersion,
    dataKey.id,
    context,
    bytes.subarray(0, envelopeHeaderBytes),
  );
  const subkey = deriveSubkey(dataKey.key, bytes.subarray(saltAt, nonceAt));
  try {
    return gcmOpen(
      subkey,
      bytes.subarray(nonceAt, envelopeHeaderBytes),
      aad,
      bytes.subarray(envelopeHeaderBytes, tagAt),
      bytes.subarray(tagAt),
    );
  } finally {
    subkey.fill(0);
  }
}

/**
 * Reads the version and DEK id of an envelope without any key, e.g. to find which data key
 * to load.
 *
 * @throws ByokError `ENVELOPE_MALFORMED` when the bytes are too short to be an envelope,
 *   `ENVELOPE_VERSION_UNSUPPORTED` for a version this code does not know.
 */
export function readHeader(envelope: Uint8Array): EnvelopeHeader {
  if (!(envelope instanceof Uint8Array)) {
    throw malformed(`expected a Buffer or Uint8Array, received ${describeType(envelope)}`);
  }
  const version = envelope[0];
  if (version === undefined) throw malformed('expected at least 1 byte, received 0');
  if (version !== envelopeVersion) {
    throw new ByokError(
      ErrorCode.EnvelopeVersionUnsupported,
      `sealed value has format version ${version}; this build reads version ${envelopeVersion}`,
      { details: { version } },
    );
  }
  if (envelope.length < envelopeOverheadBytes) {
    throw malformed(
      `expected at least ${envelopeOverheadBytes} bytes for version ${version}, ` +
        `received ${envelope.length}`,
    );
  }

  const dekId = Buffer.from(envelope.buffer, envelope.byteOffset + 1, dekIdBytes).toString('hex');
  return { version, dekId };
}

/**
 * HKDF-SHA256 (RFC 5869) of the DEK over the record's random salt: the key that seals one
 * value. Written as its two HMACs (extract, then the single expand block a 32-byte output
 * needs) because `crypto.hkdfSync` builds key objects per call and costs about twice as much
 * on this hot path; a unit test checks both agree.
 */
function deriveSubkey(dek: Buffer, salt: Buffer): Buffer {
  const prk = createHmac('sha256', salt).update(dek).digest();
  const okm = createHmac('sha256', prk).update(subkeyInfo).update(expandCounter).digest();
  prk.fill(0);
  return okm;
}

/**
 * Salts and nonces come from a pool filled by the CSPRNG 4 KiB at a time: one system call per
 * ~90 seals instead of one each. The bytes are public (they are stored in the envelope) and
 * each byte is handed out once, so pooling changes neither their quality nor their use.
 */
const randomPool = Buffer.alloc(4096);
let randomPoolAt = randomPool.length;

function takeRandom(target: Buffer, at: number, count: number): void {
  if (randomPoolAt + count > randomPool.length) {
    randomFillSync(randomPool);
    randomPoolAt = 0;
  }
  randomPool.copy(target, at, randomPoolAt, randomPoolAt + count);
  randomPoolAt += count;
}

function checkDataKey(dataKey: DataKey): void {
  if (!Buffer.isBuffer(dataKey.key) || dataKey.key.length !== keyBytes) {
    throw new ByokError(
      ErrorCode.Internal,
      `data key: expected a Buffer of ${keyBytes} bytes, received ${describeType(dataKey.key)}`,
    );
  }
  if (!dekIdPattern.test(dataKey.id)) {
    throw new ByokError(
      ErrorCode.Internal,
      `data key id: expected 32 lowercase hex characters, received ${dataKey.id.length} characters`,
    );
  }
}

function malformed(problem: string): ByokError {
  return new ByokError(ErrorCode.EnvelopeMalformed, `sealed value is malformed: ${problem}`);
}
