import { randomBytes } from 'node:crypto';

import { describe, expect, it } from 'vitest';

import { LocalKeyProvider } from '../../../src/aws/local-key.js';
import { RotatingKeyProvider } from '../../../src/keys/rotating-provider.js';

const context = { tenant: 'ws_1', app: 'app_1', purpose: 'dek' };

describe('RotatingKeyProvider', () => {
  describe('when a data key was wrapped by a retired key', () => {
    it('unwraps it with the retired key', async () => {
      const old = new LocalKeyProvider(randomBytes(32));
      const rotating = new RotatingKeyProvider(new LocalKeyProvider(randomBytes(32)), [old]);
      const { plaintext, wrapped } = await old.generateDataKey(context);

      await expect(rotating.decryptDataKey(wrapped, context)).resolves.toEqual(plaintext);
    });
  });

  describe('when new data keys are made', () => {
    it('wraps them with the current key only', async () => {
      const current = new LocalKeyProvider(randomBytes(32));
      const rotating = new RotatingKeyProvider(current, [new LocalKeyProvider(randomBytes(32))]);
      const { plaintext, wrapped } = await rotating.generateDataKey(context);

      expect(rotating.keyRef).toBe(current.keyRef);
      await expect(current.decryptDataKey(wrapped, context)).resolves.toEqual(plaintext);
    });
  });

  describe('when no key can unwrap', () => {
    it('fails with the opaque decrypt failure', async () => {
      const rotating = new RotatingKeyProvider(new LocalKeyProvider(randomBytes(32)), [
        new LocalKeyProvider(randomBytes(32)),
      ]);
      const stranger = new LocalKeyProvider(randomBytes(32));
      const { wrapped } = await stranger.generateDataKey(context);

      await expect(rotating.decryptDataKey(wrapped, context)).rejects.toMatchObject({
        code: 'DECRYPT_FAILED',
      });
    });
  });
});
