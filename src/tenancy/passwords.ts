/**
 * Admin password hashing with scrypt, a memory-hard function: each guess costs an attacker
 * about 32 MiB of memory, which blunts GPU cracking of a stolen admins collection. The stored
 * form carries its own parameters so they can be raised later without breaking old hashes.
 */
import { randomBytes, scrypt, type ScryptOptions, timingSafeEqual } from 'node:crypto';

import { randomBase62 } from './ids.js';

/** scrypt cost parameters; N = 2^15, r = 8, p = 1 as recommended for interactive logins. */
const params = { logN: 15, r: 8, p: 1 } as const;
const keyLength = 32;
const saltLength = 16;

function derive(password: string, salt: Buffer, logN: number, r: number, p: number) {
  const N = 2 ** logN;
  // 128 * N * r bytes are needed; leave headroom so Node does not refuse the call.
  const options: ScryptOptions = { N, r, p, maxmem: 256 * N * r };
  return new Promise<Buffer>((resolve, reject) => {
    scrypt(password.normalize('NFC'), salt, keyLength, options, (error, key) => {
      if (error) reject(error);
      else resolve(key);
    });
  });
}

/** Hashes a password as `scrypt$<logN>$<r>$<p>$<salt b64>$<hash b64>`. */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(saltLength);
  const hash = await derive(password, salt, params.logN, params.r, params.p);
  return [
    'scrypt',
    params.logN,
    params.r,
    params.p,
    salt.toString('base64'),
    hash.toString('base64'),
  ].join('$');
}

/**
 * Checks a password against a stored hash in constant time. A malformed stored value is
 * treated as a mismatch rather than an error, so it cannot be told apart from a wrong password.
 */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const parts = stored.split('$');
  const [scheme, logN, r, p, salt, hash] = parts;
  if (parts.length !== 6 || scheme !== 'scrypt' || salt === undefined || hash === undefined) {
    return false;
  }

  const expected = Buffer.from(hash, 'base64');
  const actual = await derive(
    password,
    Buffer.from(salt, 'base64'),
    Number(logN),
    Number(r),
    Number(p),
  );
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}

/**
 * A hash of a random password, verified against when the e-mail is unknown so that a login
 * for a missing admin takes as long as one for an existing admin.
 */
let decoyHash: Promise<string> | undefined;

/** Runs one full password check that always fails; equalises login timing. */
export async function verifyDecoy(password: string): Promise<false> {
  decoyHash ??= hashPassword(randomBase62(24));
  await verifyPassword(password, await decoyHash);
  return false;
}

/** A generated password for a first admin: 24 base62 characters (about 143 bits). */
export function generatePassword(): string {
  return randomBase62(24);
}
