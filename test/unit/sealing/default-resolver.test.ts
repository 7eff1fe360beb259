import { randomBytes } from 'node:crypto';

import { describe, expect, it } from 'vitest';

import { LocalKeyProvider } from '../../../src/aws/local-key.js';
import { ErrorCode } from '../../../src/base/errors.js';
import { dataKeyContext, DefaultKeyResolver } from '../../../src/sealing/index.js';

describe('DefaultKeyResolver', () => {
  describe('when new data of any owner is sealed', () => {
    it('binds the platform default key with no key configuration', async () => {
      const provider = new LocalKeyProvider(randomBytes(32));
      const resolver = new DefaultKeyResolver(provider);

      const binding = await resolver.resolveForSeal({ tenantId: 't1', appId: 'a1' }, Date.now());

      expect(binding).toEqual({ provider, keyConfigId: null, keyName: 'platform default key' });
    });
  });

  describe('when data sealed under a key configuration is opened', () => {
    it('reports KEY_NOT_FOUND instead of trying the default key', async () => {
      const resolver = new DefaultKeyResolver(new LocalKeyProvider(randomBytes(32)));

      await expect(resolver.providerFor('t1', 'config-1')).rejects.toMatchObject({
        code: ErrorCode.KeyNotFound,
      });
      expect((await resolver.providerFor('t1', null)).keyConfigId).toBeNull();
    });
  });
});

describe('dataKeyContext', () => {
  it('names purpose, tenant, app and data key, and nothing else', () => {
    expect(dataKeyContext('t1', 'a1', 'd1')).toEqual({
      purpose: 'byok-harness:data-key',
      tenantId: 't1',
      appId: 'a1',
      dekId: 'd1',
    });
  });
});
