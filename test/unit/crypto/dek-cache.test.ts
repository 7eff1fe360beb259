import { randomBytes } from 'node:crypto';

import { describe, expect, it } from 'vitest';

import { ManualClock } from '../../../src/base/clock.js';
import { ByokError, ErrorCode } from '../../../src/base/errors.js';
import { DekCache } from '../../../src/crypto/index.js';

const isZero = (buffer: Buffer) => buffer.every((byte) => byte === 0);

/** A loader that hands out fresh random keys and remembers them, counting its calls. */
function keySource() {
  const issued: Buffer[] = [];
  return {
    issued,
    load: () => {
      const key = randomBytes(32);
      issued.push(key);
      return Promise.resolve(key);
    },
  };
}

const copy = (dek: Buffer) => Buffer.from(dek);

describe('DekCache', () => {
  describe('when a key is used twice', () => {
    it('loads it once and serves the second use from memory', async () => {
      const cache = new DekCache();
      const source = keySource();

      const first = await cache.use('a', source.load, copy);
      const second = await cache.use('a', source.load, copy);

      expect(second.equals(first)).toBe(true);
      expect(source.issued).toHaveLength(1);
      expect(cache.stats()).toMatchObject({ hits: 1, misses: 1, loads: 1, size: 1 });
    });
  });

  describe('when more keys are used than it may hold', () => {
    it('evicts the least recently used key and zeroes its buffer', async () => {
      const cache = new DekCache({ maxEntries: 2 });
      const source = keySource();
      await cache.use('a', source.load, copy);
      await cache.use('b', source.load, copy);
      await cache.use('a', source.load, copy);

      await cache.use('c', source.load, copy);

      const [keyA, keyB, keyC] = source.issued;
      expect(isZero(keyB!)).toBe(true);
      expect(isZero(keyA!)).toBe(false);
      expect(isZero(keyC!)).toBe(false);
      expect(cache.stats()).toMatchObject({ size: 2, evictions: 1 });
    });

    it('loads an evicted key again on its next use', async () => {
      const cache = new DekCache({ maxEntries: 1 });
      const source = keySource();
      await cache.use('a', source.load, copy);
      await cache.use('b', source.load, copy);

      await cache.use('a', source.load, copy);

      expect(source.issued).toHaveLength(3);
    });
  });

  describe('when a key reaches its maximum age', () => {
    it('loads it again and zeroes the expired buffer', async () => {
      const clock = new ManualClock();
      const cache = new DekCache({ maxAgeMs: 60_000, clock });
      const source = keySource();
      await cache.use('a', source.load, copy);

      clock.advance(59_999);
      await cache.use('a', source.load, copy);
      expect(source.issued).toHaveLength(1);

      clock.advance(1);
      await cache.use('a', source.load, copy);
      expect(source.issued).toHaveLength(2);
      expect(isZero(source.issued[0]!)).toBe(true);
      expect(cache.stats().expirations).toBe(1);
    });

    it('counts the age from the start of the load, not its end', async () => {
      const clock = new ManualClock();
      const cache = new DekCache({ maxAgeMs: 60_000, clock });
      const slowLoad = () => {
        clock.advance(20_000);
        return Promise.resolve(randomBytes(32));
      };
      await cache.use('a', slowLoad, copy);

      clock.advance(40_000);
      const source = keySource();
      await cache.use('a', source.load, copy);

      expect(source.issued).toHaveLength(1);
    });

    it('drops expired keys on a sweep even when nobody asks for them', async () => {
      const clock = new ManualClock();
      const cache = new DekCache({ maxAgeMs: 1000, clock });
      const source = keySource();
      await cache.use('a', source.load, copy);
      await cache.use('b', source.load, copy);

      clock.advance(1000);
      const dropped = cache.sweep();

      expect(dropped).toBe(2);
      expect(cache.size).toBe(0);
      expect(source.issued.every(isZero)).toBe(true);
    });
  });

  describe('when ten callers miss the same key at once', () => {
    it('makes one load and gives all of them the key', async () => {
      const cache = new DekCache();
      let calls = 0;
      let release: (key: Buffer) => void = () => undefined;
      const gate = new Promise<Buffer>((resolve) => (release = resolve));
      const load = () => {
        calls++;
        return gate;
      };

      const results = Array.from({ length: 10 }, () => cache.use('a', load, copy));
      const key = randomBytes(32);
      release(key);
      const keys = await Promise.all(results);

      expect(calls).toBe(1);
      expect(keys.every((k) => k.equals(key))).toBe(true);
      expect(cache.stats()).toMatchObject({ loads: 1, misses: 10 });
    });
  });

  describe('when a load fails', () => {
    it('fails every waiting caller and does not cache the failure', async () => {
      const cache = new DekCache();
      let calls = 0;
      const failing = () => {
        calls++;
        return Promise.reject(new ByokError(ErrorCode.KmsUnavailable, 'KMS is unreachable'));
      };

      const attempts = await Promise.allSettled([
        cache.use('a', failing, copy),
        cache.use('a', failing, copy),
      ]);
      const source = keySource();
      const recovered = await cache.use('a', source.load, copy);

      expect(attempts.map((a) => a.status)).toEqual(['rejected', 'rejected']);
      expect(calls).toBe(1);
      expect(recovered.equals(source.issued[0]!)).toBe(true);
      expect(cache.stats()).toMatchObject({ loadFailures: 1, loads: 2 });
    });

    it('recovers when the load throws before returning a promise', async () => {
      const cache = new DekCache();
      const throwing = (): Promise<Buffer> => {
        throw new ByokError(ErrorCode.KmsUnavailable, 'KMS is unreachable');
      };

      await expect(cache.use('a', throwing, copy)).rejects.toMatchObject({
        code: ErrorCode.KmsUnavailable,
      });
      const source = keySource();
      await cache.use('a', source.load, copy);

      expect(source.issued).toHaveLength(1);
    });
  });

  describe('when keys are invalidated or cleared', () => {
    it('zeroes an invalidated key and loads it again on the next use', async () => {
      const cache = new DekCache();
      const source = keySource();
      await cache.use('a', source.load, copy);

      cache.invalidate('a');
      await cache.use('a', source.load, copy);

      expect(isZero(source.issued[0]!)).toBe(true);
      expect(source.issued).toHaveLength(2);
    });

    it('does not keep a key whose load was in progress when it was invalidated', async () => {
      const cache = new DekCache();
      const source = keySource();
      const pending = cache.use('a', source.load, copy);

      cache.invalidate('a');
      await pending;

      expect(isZero(source.issued[0]!)).toBe(true);
      expect(source.issued).toHaveLength(2);
      expect(cache.size).toBe(1);
    });

    it('zeroes every key on clear', async () => {
      const cache = new DekCache();
      const source = keySource();
      await cache.use('a', source.load, copy);
      await cache.use('b', source.load, copy);

      cache.clear();

      expect(cache.size).toBe(0);
      expect(source.issued.every(isZero)).toBe(true);
    });
  });

  describe('when a key is primed', () => {
    it('serves it without a load', async () => {
      const cache = new DekCache();
      const key = randomBytes(32);
      cache.prime('a', Buffer.from(key));
      const source = keySource();

      const used = await cache.use('a', source.load, copy);

      expect(used.equals(key)).toBe(true);
      expect(source.issued).toHaveLength(0);
    });
  });

  describe('when it is configured', () => {
    it.each([
      ['maxEntries', { maxEntries: 0 }],
      ['maxAgeMs', { maxAgeMs: -1 }],
    ])('refuses a non-positive %s', (name, options) => {
      expect(() => new DekCache(options)).toThrow(
        new RegExp(`${name}: expected a positive integer`),
      );
    });
  });
});
