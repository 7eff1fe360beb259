/**
 * Identifiers for tenancy objects. Ids are random so they cannot be enumerated; the external ID
 * is the one value a customer pastes into their role's trust policy, so it must be unguessable
 * and stable for the life of the workspace.
 */
import { randomInt } from 'node:crypto';

const alphabet = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** A random base62 string of `length` characters, drawn without modulo bias. */
export function randomBase62(length: number): string {
  let out = '';
  for (let i = 0; i < length; i += 1) out += alphabet.charAt(randomInt(alphabet.length));
  return out;
}

/** A random id with a readable prefix, such as `app_3kQ9...` (about 119 bits of randomness). */
export function randomId(prefix: string): string {
  return `${prefix}_${randomBase62(20)}`;
}

/**
 * A workspace external ID: 32 base62 characters (about 190 bits). AWS accepts 2-1224 characters
 * from `[\w+=,.@:/-]`, so base62 always fits.
 */
export function newExternalId(): string {
  return randomBase62(32);
}
