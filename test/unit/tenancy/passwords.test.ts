import { describe, expect, it } from 'vitest';

import { generatePassword, hashPassword, verifyPassword } from '../../../src/tenancy/passwords.js';

describe('admin passwords', () => {
  describe('when a password is hashed', () => {
    it('stores scrypt parameters, a salt and a hash, never the password', async () => {
      const stored = await hashPassword('correct horse battery staple');

      expect(stored).toMatch(/^scrypt\$15\$8\$1\$[\w+/=]+\$[\w+/=]+$/);
      expect(stored).not.toContain('horse');
    });

    it('salts each hash, so equal passwords hash differently', async () => {
      const [a, b] = await Promise.all([
        hashPassword('same password 1'),
        hashPassword('same password 1'),
      ]);

      expect(a).not.toBe(b);
    });
  });

  describe('when a password is verified', () => {
    it('accepts the right password and refuses a wrong one', async () => {
      const stored = await hashPassword('the right password');

      await expect(verifyPassword('the right password', stored)).resolves.toBe(true);
      await expect(verifyPassword('the wrong password', stored)).resolves.toBe(false);
    });

    it('treats a malformed stored hash as a mismatch instead of failing', async () => {
      await expect(verifyPassword('anything at all', 'plain-text')).resolves.toBe(false);
      await expect(verifyPassword('anything at all', 'scrypt$15$8$1$c2FsdA==')).resolves.toBe(
        false,
      );
    });

    it('normalises Unicode so a composed and a decomposed password match', async () => {
      const stored = await hashPassword('caf\u00e9 password');

      await expect(verifyPassword('cafe\u0301 password', stored)).resolves.toBe(true);
    });
  });

  describe('when a password is generated', () => {
    it('returns 24 base62 characters, different every time', () => {
      const a = generatePassword();

      expect(a).toMatch(/^[0-9A-Za-z]{24}$/);
      expect(generatePassword()).not.toBe(a);
    });
  });
});
