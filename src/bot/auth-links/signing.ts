/**
 * The platform secret that signs authorization links, and the signature itself. A link's URL
 * carries only an opaque id and an HMAC-SHA256 over the link record's binding (workspace, app,
 * bot, conversation, user, expiry); the server recomputes it from the stored record, so a
 * changed id, a changed record or a signature made with another secret all fail.
 *
 * Every host process that serves one database must use the same secret: set it in the
 * environment, or share the data directory where the first process generated it.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { link, mkdir, open, readFile, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';

import { ByokError, ErrorCode } from '../../base/errors.js';

/** Smallest accepted secret, in bytes. */
const minSecretBytes = 32;

/** File name of the generated secret inside the data directory. */
export const linkSecretFile = 'link-secret';

/** Where the secret comes from: the environment's base64 value wins over the data directory. */
export interface PlatformSecretSource {
  /** Base64 secret, e.g. from BYOK_LINK_SECRET. */
  fromEnv?: string | undefined;
  /** Folder of the generated secret, readable only by the owner. */
  dataDir: string;
}

/**
 * Loads the link-signing secret, generating it on first start into `dataDir`. The file is
 * written under a temporary name and published with `link()`, which fails if the name exists:
 * processes starting together all end up with the one secret that won, and none can read a
 * half-written file. A file that group or others may read is refused rather than trusted.
 */
export async function loadPlatformSecret(source: PlatformSecretSource): Promise<Buffer> {
  if (source.fromEnv !== undefined) return decodeSecret(source.fromEnv, 'BYOK_LINK_SECRET');

  const path = join(source.dataDir, linkSecretFile);
  await mkdir(source.dataDir, { recursive: true, mode: 0o700 });
  const temp = join(source.dataDir, `.${linkSecretFile}.${randomBytes(8).toString('hex')}`);
  const handle = await open(temp, 'wx', 0o600);
  try {
    await handle.writeFile(`${randomBytes(minSecretBytes).toString('base64')}\n`);
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await link(temp, path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  } finally {
    await unlink(temp).catch(() => undefined);
  }

  if (((await stat(path)).mode & 0o077) !== 0) {
    throw new ByokError(ErrorCode.ConfigInvalid, `${path}: must be readable by its owner only`);
  }
  return decodeSecret(await readFile(path, 'utf8'), path);
}

function decodeSecret(text: string, where: string): Buffer {
  const secret = Buffer.from(text.trim(), 'base64');
  if (secret.length >= minSecretBytes) return secret;
  throw new ByokError(
    ErrorCode.ConfigInvalid,
    `${where}: expected at least ${minSecretBytes} random bytes encoded as base64`,
  );
}

/** The facts a link signature binds. */
export interface LinkBinding {
  linkId: string;
  tenantId: string;
  appId: string;
  botId: string;
  conversationId: string;
  /** Digest of the user id (the id itself is not stored in the clear). */
  userHash: string;
  /** Expiry, ms since the epoch. */
  expiresAt: number;
}

/** Signs and verifies link bindings with keys derived per workspace from the platform secret. */
export class LinkSigner {
  private readonly secret: Buffer;

  constructor(secret: Buffer) {
    if (secret.length < minSecretBytes) {
      throw new ByokError(ErrorCode.ConfigInvalid, 'the link secret is shorter than 32 bytes');
    }
    this.secret = Buffer.from(secret);
  }

  /** The base64url HMAC-SHA256 signature of a binding (43 characters). */
  sign(binding: LinkBinding): string {
    return this.mac(binding).toString('base64url');
  }

  /** Whether `signature` is the signature of `binding`; constant time in the signature. */
  verify(binding: LinkBinding, signature: string): boolean {
    const expected = this.mac(binding);
    const given = Buffer.from(signature, 'base64url');
    return given.length === expected.length && timingSafeEqual(given, expected);
  }

  private mac(binding: LinkBinding): Buffer {
    const workspaceKey = createHmac('sha256', this.secret)
      .update(`auth-link/v1/${binding.tenantId}`)
      .digest();
    const canonical = JSON.stringify([
      binding.linkId,
      binding.tenantId,
      binding.appId,
      binding.botId,
      binding.conversationId,
      binding.userHash,
      binding.expiresAt,
    ]);
    return createHmac('sha256', workspaceKey).update(canonical).digest();
  }
}
