import { randomBytes } from 'node:crypto';
import { chmod, mkdtemp, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import {
  loadOrCreateMasterKey,
  LocalKeyProvider,
  masterKeyFileName,
} from '../../../src/aws/local-key.js';
import { ErrorCode } from '../../../src/base/errors.js';

const context = { purpose: 'byok-harness:data-key', tenantId: 't1', appId: 'a1', dekId: 'd1' };

describe('LocalKeyProvider', () => {
  describe('when a data key is generated and unwrapped with the same context', () => {
    it('returns the same 32-byte key, and the wrapped form does not contain it', async () => {
      const provider = new LocalKeyProvider(randomBytes(32));

      const { plaintext, wrapped } = await provider.generateDataKey(context);
      const unwrapped = await provider.decryptDataKey(wrapped, context);

      expect(plaintext).toHaveLength(32);
      expect(unwrapped.equals(plaintext)).toBe(true);
      expect(wrapped.includes(plaintext)).toBe(false);
    });

    it('unwraps a key it wrapped for a rewrap', async () => {
      const provider = new LocalKeyProvider(randomBytes(32));
      const dataKey = randomBytes(32);

      const wrapped = await provider.wrapDataKey(dataKey, context);

      expect((await provider.decryptDataKey(wrapped, context)).equals(dataKey)).toBe(true);
    });
  });

  describe('when the encryption context differs', () => {
    it.each([
      ['another tenant', { ...context, tenantId: 't2' }],
      ['an extra entry', { ...context, extra: 'x' }],
      ['a missing entry', { purpose: context.purpose, tenantId: 't1', appId: 'a1' }],
      ['a character moved from one entry to the next', { ...context, appId: 'a1d', dekId: '1' }],
    ])('refuses to unwrap with DECRYPT_FAILED for %s', async (_name, other) => {
      const provider = new LocalKeyProvider(randomBytes(32));
      const { wrapped } = await provider.generateDataKey(context);

      await expect(provider.decryptDataKey(wrapped, other)).rejects.toMatchObject({
        code: ErrorCode.DecryptFailed,
      });
    });

    it('accepts the same entries in another order', async () => {
      const provider = new LocalKeyProvider(randomBytes(32));
      const { plaintext, wrapped } = await provider.generateDataKey(context);
      const reordered = { dekId: 'd1', appId: 'a1', tenantId: 't1', purpose: context.purpose };

      expect((await provider.decryptDataKey(wrapped, reordered)).equals(plaintext)).toBe(true);
    });
  });

  describe('when the wrapped key or the master key is wrong', () => {
    it('refuses a key wrapped under another master key', async () => {
      const { wrapped } = await new LocalKeyProvider(randomBytes(32)).generateDataKey(context);

      await expect(
        new LocalKeyProvider(randomBytes(32)).decryptDataKey(wrapped, context),
      ).rejects.toMatchObject({ code: ErrorCode.DecryptFailed });
    });

    it('refuses every single-bit change of the wrapped key', async () => {
      const provider = new LocalKeyProvider(randomBytes(32));
      const { wrapped } = await provider.generateDataKey(context);

      for (let bit = 0; bit < wrapped.length * 8; bit++) {
        const flipped = Buffer.from(wrapped);
        flipped[bit >> 3]! ^= 1 << (bit & 7);
        await expect(provider.decryptDataKey(flipped, context), `bit ${bit}`).rejects.toMatchObject(
          { code: ErrorCode.DecryptFailed },
        );
      }
    });
  });

  describe('when it names itself', () => {
    it('uses a stable fingerprint of the master key that reveals none of its bytes', async () => {
      const master = randomBytes(32);
      const provider = new LocalKeyProvider(master);

      expect(provider.keyRef).toMatch(/^local:[0-9a-f]{32}$/);
      expect(new LocalKeyProvider(Buffer.from(master)).keyRef).toBe(provider.keyRef);
      expect(new LocalKeyProvider(randomBytes(32)).keyRef).not.toBe(provider.keyRef);
      expect(provider.keyRef).not.toContain(master.toString('hex').slice(0, 8));
      expect(await provider.describe()).toMatchObject({
        arn: provider.keyRef,
        enabled: true,
        state: 'Enabled',
        spec: 'SYMMETRIC_DEFAULT',
        usage: 'ENCRYPT_DECRYPT',
      });
    });

    it('refuses a master key that is not 32 bytes', () => {
      expect(() => new LocalKeyProvider(randomBytes(16))).toThrow(/expected 32 bytes, received 16/);
    });
  });
});

describe('loadOrCreateMasterKey', () => {
  let dataDir = '';
  beforeEach(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'byok-master-'));
  });
  afterEach(async () => {
    await rm(dataDir, { recursive: true, force: true });
  });

  describe('when the environment holds a key', () => {
    it('uses it and writes no file', async () => {
      const key = randomBytes(32);

      const found = await loadOrCreateMasterKey({ dataDir, fromEnv: key.toString('base64') });

      expect(found.key.equals(key)).toBe(true);
      expect(found.source).toBe('environment');
      await expect(stat(join(dataDir, masterKeyFileName))).rejects.toThrow();
    });

    it('refuses a value that is not 32 bytes of base64, naming the variable', async () => {
      await expect(
        loadOrCreateMasterKey({ dataDir, fromEnv: randomBytes(16).toString('base64') }),
      ).rejects.toMatchObject({
        code: ErrorCode.ConfigInvalid,
        message: expect.stringMatching(/BYOK_LOCAL_MASTER_KEY: expected 32 bytes/),
      });
    });
  });

  describe('when no key exists yet', () => {
    it('creates a file readable by its owner only and reuses it on the next start', async () => {
      const first = await loadOrCreateMasterKey({ dataDir });
      const second = await loadOrCreateMasterKey({ dataDir });

      const mode = (await stat(join(dataDir, masterKeyFileName))).mode & 0o777;
      expect(mode).toBe(0o600);
      expect(first.created).toBe(true);
      expect(second.created).toBe(false);
      expect(second.key.equals(first.key)).toBe(true);
    });

    it('gives processes that start at once the same key', async () => {
      const starts = await Promise.all(
        Array.from({ length: 8 }, () => loadOrCreateMasterKey({ dataDir })),
      );

      expect(starts.filter((s) => s.created)).toHaveLength(1);
      expect(starts.every((s) => s.key.equals(starts[0]!.key))).toBe(true);
    });
  });

  describe('when the key file is unsafe', () => {
    it('refuses a file others may read, with the fix in the message', async () => {
      await loadOrCreateMasterKey({ dataDir });
      await chmod(join(dataDir, masterKeyFileName), 0o644);

      await expect(loadOrCreateMasterKey({ dataDir })).rejects.toMatchObject({
        code: ErrorCode.ConfigInvalid,
        message: expect.stringMatching(/mode 0644.*chmod 600/),
      });
    });

    it('refuses a symbolic link', async () => {
      const elsewhere = join(dataDir, 'elsewhere');
      await writeFile(elsewhere, `${randomBytes(32).toString('base64')}\n`, { mode: 0o600 });
      await symlink(elsewhere, join(dataDir, masterKeyFileName));

      await expect(loadOrCreateMasterKey({ dataDir })).rejects.toMatchObject({
        code: ErrorCode.ConfigInvalid,
      });
    });

    it('refuses a file that does not hold 32 bytes', async () => {
      await writeFile(join(dataDir, masterKeyFileName), 'not a key\n', { mode: 0o600 });

      await expect(loadOrCreateMasterKey({ dataDir })).rejects.toMatchObject({
        code: ErrorCode.ConfigInvalid,
      });
    });
  });
});
