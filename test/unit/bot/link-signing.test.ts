import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import {
  type LinkBinding,
  linkSecretFile,
  LinkSigner,
  loadPlatformSecret,
} from '../../../src/bot/auth-links/index.js';

const binding: LinkBinding = {
  linkId: 'AAAAAAAAAAAAAAAAAAAAAA',
  tenantId: 'ws-1',
  appId: 'app-1',
  botId: 'bot-1',
  conversationId: 'conv-1',
  userHash: 'u'.repeat(64),
  expiresAt: Date.UTC(2026, 0, 1),
};

describe('LinkSigner', () => {
  describe('when a link is signed', () => {
    it('verifies its own signature, which is 43 base64url characters', () => {
      const signer = new LinkSigner(randomBytes(32));
      const signature = signer.sign(binding);
      expect(signature).toMatch(/^[\w-]{43}$/);
      expect(signer.verify(binding, signature)).toBe(true);
    });
  });

  describe('when any bound fact differs', () => {
    it.each(Object.keys(binding) as (keyof LinkBinding)[])('refuses a changed %s', (field) => {
      const signer = new LinkSigner(randomBytes(32));
      const signature = signer.sign(binding);
      const changed = { ...binding, [field]: field === 'expiresAt' ? binding.expiresAt + 1 : 'x' };
      expect(signer.verify(changed, signature)).toBe(false);
    });
  });

  describe('when the signature is not one of this secret', () => {
    it('refuses another secret, a truncated signature and garbage', () => {
      const signature = new LinkSigner(randomBytes(32)).sign(binding);
      const signer = new LinkSigner(randomBytes(32));
      expect(signer.verify(binding, signature)).toBe(false);
      expect(signer.verify(binding, signature.slice(0, 20))).toBe(false);
      expect(signer.verify(binding, '')).toBe(false);
    });
  });

  describe('when the secret is too short', () => {
    it('refuses to start with CONFIG_INVALID', () => {
      expect(() => new LinkSigner(randomBytes(16))).toThrow(
        expect.objectContaining({ code: 'CONFIG_INVALID' }),
      );
    });
  });
});

describe('loadPlatformSecret', () => {
  describe('when no secret is configured', () => {
    it('generates one into the data directory, readable only by the owner, and reuses it', async () => {
      const dir = await mkdtemp(join(tmpdir(), 'byok-secret-'));
      try {
        const [first, second] = await Promise.all([
          loadPlatformSecret({ dataDir: dir }),
          loadPlatformSecret({ dataDir: dir }),
        ]);
        expect(first.length).toBeGreaterThanOrEqual(32);
        expect(second.equals(first)).toBe(true);
        expect((await loadPlatformSecret({ dataDir: dir })).equals(first)).toBe(true);
        const file = join(dir, linkSecretFile);
        expect((await stat(file)).mode & 0o777).toBe(0o600);
        expect(Buffer.from((await readFile(file, 'utf8')).trim(), 'base64').equals(first)).toBe(
          true,
        );
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    });
  });

  describe('when the environment holds a secret', () => {
    it('uses it, and refuses one shorter than 32 bytes', async () => {
      const secret = randomBytes(32);
      const loaded = await loadPlatformSecret({
        fromEnv: secret.toString('base64'),
        dataDir: '/nonexistent',
      });
      expect(loaded.equals(secret)).toBe(true);
      await expect(
        loadPlatformSecret({ fromEnv: randomBytes(8).toString('base64'), dataDir: '/nonexistent' }),
      ).rejects.toMatchObject({ code: 'CONFIG_INVALID' });
    });
  });
});
