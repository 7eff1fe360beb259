/**
 * The platform's default key: a local 256-bit master key that wraps data keys for apps not on
 * BYOK, and for the embedded default where no AWS account exists. It behaves like a KMS key
 * behind the same {@link KeyProvider} interface: wrapping binds the encryption context, so a
 * wrapped key moved to another tenant or app does not unwrap.
 *
 * Wrapped form, version 1: `version (1) | nonce (12) | ciphertext (32) | tag (16)`, AES-256-GCM
 * under the master key with a random nonce. The 2^32 random-nonce limit of one AES-GCM key is
 * no concern here: the master key wraps one data key per tenant, app and key, plus rewraps,
 * many orders of magnitude fewer.
 */
import { createHmac, createSecretKey, type KeyObject, randomBytes } from 'node:crypto';
import { constants as fsConstants } from 'node:fs';
import { link, mkdir, open, unlink } from 'node:fs/promises';
import { join } from 'node:path';

import { ByokError, decryptFailed, ErrorCode } from '../base/errors.js';
import { gcmOpen, gcmSealInto, gcmTagBytes } from '../crypto/gcm.js';
import {
  type EncryptionContext,
  type GeneratedDataKey,
  type KeyDescription,
  type KeyProvider,
  ProviderKind,
} from './key-provider.js';

const wrapVersion = 1;
const nonceBytes = 12;
const tagBytes = gcmTagBytes;
const dataKeyBytes = 32;
const wrappedBytes = 1 + nonceBytes + dataKeyBytes + tagBytes;
const aadDomain = Buffer.from('byok-harness/local-wrap', 'ascii');

/** The platform default key, wrapping data keys with AES-256-GCM. */
export class LocalKeyProvider implements KeyProvider {
  readonly kind = ProviderKind.Local;
  /** `local:<key id>`; the key id is a one-way fingerprint of the master key, never the key. */
  readonly keyRef: string;
  readonly keyId: string;
  private readonly masterKey: KeyObject;

  /**
   * @param masterKey - 32 bytes. The provider keeps its own copy inside a `KeyObject`, so the
   *   caller may zero its Buffer afterwards.
   */
  constructor(masterKey: Buffer) {
    if (!Buffer.isBuffer(masterKey) || masterKey.length !== 32) {
      throw new ByokError(
        ErrorCode.ConfigInvalid,
        `local master key: expected 32 bytes, received ${Buffer.isBuffer(masterKey) ? masterKey.length : 'no Buffer'}`,
      );
    }
    this.masterKey = createSecretKey(Buffer.from(masterKey));
    this.keyId = createHmac('sha256', masterKey)
      .update('byok-harness local key id')
      .digest('hex')
      .slice(0, 32);
    this.keyRef = `local:${this.keyId}`;
  }

  /** Creates a random 256-bit data key and its wrapped form. */
  generateDataKey(context: EncryptionContext): Promise<GeneratedDataKey> {
    const plaintext = randomBytes(dataKeyBytes);
    return Promise.resolve({ plaintext, wrapped: this.wrap(plaintext, context) });
  }

  /** Unwraps a data key; any mismatch (context, key, changed byte) is `DECRYPT_FAILED`. */
  decryptDataKey(wrapped: Buffer, context: EncryptionContext): Promise<Buffer> {
    return Promise.resolve().then(() => this.unwrap(wrapped, context));
  }

  /** Wraps an existing data key, for a rewrap onto this key. */
  wrapDataKey(plaintext: Buffer, context: EncryptionContext): Promise<Buffer> {
    return Promise.resolve().then(() => this.wrap(plaintext, context));
  }

  /** The local key is always there and always usable. */
  describe(): Promise<KeyDescription> {
    return Promise.resolve({
      keyId: this.keyId,
      arn: this.keyRef,
      enabled: true,
      state: 'Enabled',
      spec: 'SYMMETRIC_DEFAULT',
      usage: 'ENCRYPT_DECRYPT',
    });
  }

  private wrap(plaintext: Buffer, context: EncryptionContext): Buffer {
    if (!Buffer.isBuffer(plaintext) || plaintext.length !== dataKeyBytes) {
      throw new ByokError(
        ErrorCode.BadInput,
        `data key: expected ${dataKeyBytes} bytes, received ${Buffer.isBuffer(plaintext) ? plaintext.length : 'no Buffer'}`,
      );
    }

    const out = Buffer.allocUnsafe(wrappedBytes);
    out[0] = wrapVersion;
    const nonce = randomBytes(nonceBytes);
    nonce.copy(out, 1);
    gcmSealInto(this.masterKey, nonce, this.aadFor(context), plaintext, out, 1 + nonceBytes);
    return out;
  }

  private unwrap(wrapped: Buffer, context: EncryptionContext): Buffer {
    if (!Buffer.isBuffer(wrapped) || wrapped.length !== wrappedBytes || wrapped[0] !== 1) {
      throw decryptFailed();
    }

    return gcmOpen(
      this.masterKey,
      wrapped.subarray(1, 1 + nonceBytes),
      this.aadFor(context),
      wrapped.subarray(1 + nonceBytes, wrappedBytes - tagBytes),
      wrapped.subarray(wrappedBytes - tagBytes),
    );
  }

  /**
   * The encryption context as AAD: sorted by name, every name and value length-prefixed, so
   * the same context always gives the same bytes and no two contexts give equal ones.
   */
  private aadFor(context: EncryptionContext): Buffer {
    const parts: Buffer[] = [aadDomain, lengthPrefixed(this.keyId)];
    for (const name of Object.keys(context).sort()) {
      parts.push(lengthPrefixed(name), lengthPrefixed(context[name] ?? ''));
    }
    return Buffer.concat(parts);
  }
}

function lengthPrefixed(value: string): Buffer {
  if (/\p{Cs}/u.test(value)) {
    throw new ByokError(
      ErrorCode.BadInput,
      'encryption context: expected well-formed Unicode, received a lone surrogate',
    );
  }
  const bytes = Buffer.from(value, 'utf8');
  const out = Buffer.allocUnsafe(4 + bytes.length);
  out.writeUInt32BE(bytes.length, 0);
  bytes.copy(out, 4);
  return out;
}

/** Where the master key came from. */
export interface MasterKey {
  /** 32 bytes; the caller hands it to {@link LocalKeyProvider} and may zero it afterwards. */
  key: Buffer;
  source: 'environment' | 'file';
  /** The key file, when `source` is `file`. */
  path?: string;
  /** True when this call generated the key file. */
  created: boolean;
}

/** Name of the master key file inside the data folder. */
export const masterKeyFileName = 'local-master-key';

/**
 * Finds the platform's master key: from the environment (`BYOK_LOCAL_MASTER_KEY`, base64) when
 * set, otherwise from a file in `dataDir`, generated on first start.
 *
 * The file is written under a temporary name and published with `link()`, which fails if the
 * name exists: two processes starting at once therefore both end up with the one key that
 * won, and neither can read a half-written file. It is created readable by its owner only,
 * and a file that group or others may access is refused rather than trusted.
 *
 * @throws ByokError `CONFIG_INVALID` for a malformed key or an unsafe file.
 */
export async function loadOrCreateMasterKey(options: {
  dataDir: string;
  fromEnv?: string | undefined;
}): Promise<MasterKey> {
  if (options.fromEnv !== undefined) {
    return {
      key: decodeKey('BYOK_LOCAL_MASTER_KEY', options.fromEnv),
      source: 'environment',
      created: false,
    };
  }

  await mkdir(options.dataDir, { recursive: true, mode: 0o700 });
  const path = join(options.dataDir, masterKeyFileName);
  const existing = await readKeyFile(path);
  if (existing !== undefined) return { key: existing, source: 'file', path, created: false };

  const key = randomBytes(32);
  const temp = join(options.dataDir, `.${masterKeyFileName}.${randomBytes(8).toString('hex')}`);
  const handle = await open(temp, 'wx', 0o600);
  try {
    await handle.writeFile(`${key.toString('base64')}\n`);
    await handle.sync();
  } finally {
    await handle.close();
  }

  try {
    await link(temp, path);
    return { key, source: 'file', path, created: true };
  } catch (error) {
    if (errnoOf(error) !== 'EEXIST') throw unsafeFile(path, 'could not be created', error);
    key.fill(0);
  } finally {
    await unlink(temp).catch(() => undefined);
  }

  // Another process published its key first: use that one.
  const winner = await readKeyFile(path);
  if (winner === undefined) throw unsafeFile(path, 'vanished while it was being created');
  return { key: winner, source: 'file', path, created: false };
}

/** Windows has no O_NOFOLLOW (and no POSIX modes); elsewhere it refuses symbolic links. */
const noFollow = process.platform === 'win32' ? 0 : fsConstants.O_NOFOLLOW;

/** Reads the key file; undefined when it does not exist. */
async function readKeyFile(path: string): Promise<Buffer | undefined> {
  let handle;
  try {
    // No symlinks: the key must be the file we checked, not whatever a link points to.
    handle = await open(path, fsConstants.O_RDONLY | noFollow);
  } catch (error) {
    if (errnoOf(error) === 'ENOENT') return undefined;
    throw unsafeFile(path, 'could not be opened (it must be a regular file, not a link)', error);
  }

  try {
    const stat = await handle.stat();
    if (!stat.isFile()) throw unsafeFile(path, 'is not a regular file');
    if (process.platform !== 'win32' && (stat.mode & 0o077) !== 0) {
      const mode = (stat.mode & 0o777).toString(8).padStart(4, '0');
      throw unsafeFile(
        path,
        `may be read or changed by group or others (mode ${mode}); ` +
          `allow its owner only: chmod 600 ${path}`,
      );
    }
    const text = await handle.readFile('utf8');
    return decodeKey(path, text.trim());
  } finally {
    await handle.close();
  }
}

function decodeKey(source: string, base64: string): Buffer {
  const key = /^[A-Za-z0-9+/]+={0,2}$/.test(base64)
    ? Buffer.from(base64, 'base64')
    : Buffer.alloc(0);
  if (key.length !== 32) {
    // A key of the wrong length may still be most of the real one.
    const received = key.length;
    key.fill(0);
    throw new ByokError(
      ErrorCode.ConfigInvalid,
      `local master key from ${source}: expected 32 bytes encoded as base64, received ${received} bytes`,
      { details: { source } },
    );
  }
  return key;
}

function unsafeFile(path: string, problem: string, cause?: unknown): ByokError {
  return new ByokError(ErrorCode.ConfigInvalid, `local master key file ${path} ${problem}`, {
    ...(cause === undefined ? {} : { cause }),
    details: { path },
  });
}

function errnoOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}
