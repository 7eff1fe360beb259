import { describe, expect, it } from 'vitest';

import { newExternalId, randomId } from '../../../src/tenancy/ids.js';

describe('tenancy ids', () => {
  describe('when an external ID is generated', () => {
    it('is 32 base62 characters, which the STS external ID format accepts', () => {
      expect(newExternalId()).toMatch(/^[0-9A-Za-z]{32}$/);
    });

    it('does not repeat across many draws', () => {
      const ids = new Set(Array.from({ length: 10_000 }, () => newExternalId()));

      expect(ids.size).toBe(10_000);
    });
  });

  describe('when an object id is generated', () => {
    it('carries the prefix and 20 random base62 characters', () => {
      expect(randomId('app')).toMatch(/^app_[0-9A-Za-z]{20}$/);
    });

    it('draws every base62 character, so no part of the alphabet is skipped', () => {
      const seen = new Set(
        Array.from({ length: 200 }, () => newExternalId())
          .join('')
          .split(''),
      );

      expect(seen.size).toBe(62);
    });
  });
});
