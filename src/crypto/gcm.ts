/**
 * AES-256-GCM as this project uses it everywhere: 96-bit nonce, 16-byte tag, additional
 * authenticated data, and a single opaque failure. Both the record envelope and the platform
 * default key's key wrapping go through these two functions.
 */
import { type CipherKey, createCipheriv, createDecipheriv } from 'node:crypto';

import { decryptFailed } from '../base/errors.js';

/** Length of the authentication tag. */
export const gcmTagBytes = 16;

/**
 * Encrypts `plaintext` and writes the ciphertext followed by the tag into `out` at `at`.
 * Returns the offset just past the tag.
 */
export function gcmSealInto(
  key: CipherKey,
  nonce: Uint8Array,
  aad: Uint8Array,
  plaintext: Uint8Array,
  out: Buffer,
  at: number,
): number {
  const cipher = createCipheriv('aes-256-gcm', key, nonce, { authTagLength: gcmTagBytes });
  cipher.setAAD(aad);
  let end = at + cipher.update(plaintext).copy(out, at);
  end += cipher.final().copy(out, end);
  end += cipher.getAuthTag().copy(out, end);
  return end;
}

/**
 * Decrypts and authenticates. Any failure, whatever its cause, is the same `DECRYPT_FAILED`;
 * output that did not authenticate is zeroed before the error leaves.
 */
export function gcmOpen(
  key: CipherKey,
  nonce: Uint8Array,
  aad: Uint8Array,
  ciphertext: Uint8Array,
  tag: Uint8Array,
): Buffer {
  let plaintext: Buffer | undefined;
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, nonce, { authTagLength: gcmTagBytes });
    decipher.setAAD(aad);
    decipher.setAuthTag(tag);
    plaintext = decipher.update(ciphertext);
    decipher.final();
    return plaintext;
  } catch (error) {
    plaintext?.fill(0);
    throw decryptFailed(error);
  }
}
