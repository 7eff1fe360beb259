import { randomBytes, randomUUID } from 'node:crypto';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { LocalKeyProvider } from '../../../src/aws/local-key.js';
import { ManualClock } from '../../../src/base/clock.js';
import { ErrorCode } from '../../../src/base/errors.js';
import { DekCache, readHeader } from '../../../src/crypto/index.js';
import {
  dataKeyContext,
  DefaultKeyResolver,
  EnvelopeSealer,
  type SealScope,
} from '../../../src/sealing/index.js';
import { MongoKeyVault } from '../../../src/store/key-vault.js';
import { CountingKeyProvider } from '../../support/counting-provider.js';
import { type TestDatabase, testDatabase } from '../../support/db.js';
import { findPlaintext } from '../../support/plaintext-scan.js';

const maxAgeMs = 5 * 60_000;
let database: TestDatabase;
let vault: MongoKeyVault;
const masterKey = randomBytes(32);

beforeAll(async () => {
  database = await testDatabase('sealer');
  vault = new MongoKeyVault(database.db);
  await vault.ensureIndexes();
});

afterAll(async () => {
  await database.drop();
});

/** One host process: its own provider counters, DEK cache and clock, the shared database. */
function hostProcess(clock = new ManualClock()) {
  const provider = new CountingKeyProvider(new LocalKeyProvider(masterKey));
  const cache = new DekCache({ clock, maxAgeMs });
  const vaultCalls = { count: 0 };
  // Counts every key-vault call this process makes, to show warm seals make none.
  const countedVault = new Proxy(vault, {
    get(target, name, receiver) {
      const value: unknown = Reflect.get(target, name, receiver);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        vaultCalls.count++;
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  const sealer = new EnvelopeSealer({
    vault: countedVault,
    resolver: new DefaultKeyResolver(provider),
    cache,
    clock,
  });
  return { provider, sealer, clock, vaultCalls };
}

/** A scope in a tenant of its own, so tests do not share data keys. */
function scopeIn(tenantId = `tenant-${randomUUID()}`, appId = 'app-1'): SealScope {
  return { tenantId, appId, collection: 'transcripts', recordId: randomUUID(), field: 'text' };
}

describe('EnvelopeSealer', () => {
  describe('when a value is sealed and opened', () => {
    it('returns the value and names the platform default key as its key', async () => {
      const { sealer } = hostProcess();
      const scope = scopeIn();

      const sealed = await sealer.seal(scope, Buffer.from('hello bot'));
      const opened = await sealer.open(scope, sealed.envelope);

      expect(opened.toString()).toBe('hello bot');
      expect(sealed.provenance).toMatchObject({
        provider: 'local',
        keyConfigId: null,
        keyName: 'platform default key',
        keyRef: new LocalKeyProvider(masterKey).keyRef,
        dekId: readHeader(sealed.envelope).dekId,
      });
      expect(await sealer.provenanceOf(scope, sealed.envelope)).toEqual(sealed.provenance);
    });
  });

  describe('when the first values of an app are sealed', () => {
    it('generates one data key per tenant and app, and none for warm seals', async () => {
      const { sealer, provider } = hostProcess();
      const tenantId = `tenant-${randomUUID()}`;

      for (let i = 0; i < 5; i++) await sealer.seal(scopeIn(tenantId, 'app-1'), randomBytes(64));
      expect(provider.calls.generateDataKey).toBe(1);

      await sealer.seal(scopeIn(tenantId, 'app-2'), randomBytes(64));
      await sealer.seal(scopeIn(tenantId, 'app-2'), randomBytes(64));

      expect(provider.calls.generateDataKey).toBe(2);
      expect(provider.calls.decryptDataKey).toBe(0);
      expect(sealer.metrics).toMatchObject({ seals: 7, dataKeysGenerated: 2 });
    });

    it('makes no key-vault or key-provider call for a warm seal', async () => {
      const { sealer, provider, vaultCalls } = hostProcess();
      const tenantId = `tenant-${randomUUID()}`;
      await sealer.seal(scopeIn(tenantId), randomBytes(64));
      const callsAfterFirstSeal = { vault: vaultCalls.count, ...provider.calls };

      for (let i = 0; i < 10; i++) await sealer.seal(scopeIn(tenantId), randomBytes(64));

      expect(vaultCalls.count).toBe(callsAfterFirstSeal.vault);
      expect(provider.calls).toEqual({
        generateDataKey: callsAfterFirstSeal.generateDataKey,
        decryptDataKey: callsAfterFirstSeal.decryptDataKey,
        wrapDataKey: callsAfterFirstSeal.wrapDataKey,
        describe: callsAfterFirstSeal.describe,
      });
    });

    it('seals many values at once with one new data key', async () => {
      const { sealer, provider } = hostProcess();
      const tenantId = `tenant-${randomUUID()}`;

      const sealed = await Promise.all(
        Array.from({ length: 20 }, () => sealer.seal(scopeIn(tenantId), randomBytes(16))),
      );

      expect(new Set(sealed.map((s) => s.provenance.dekId)).size).toBe(1);
      expect(provider.calls.generateDataKey).toBe(1);
    });
  });

  describe('when another process opens the values', () => {
    it('unwraps the data key once, then opens from its cache without the key provider', async () => {
      const writer = hostProcess();
      const scopes = Array.from({ length: 3 }, () => scopeIn(`tenant-${randomUUID()}`));
      const sealed = await Promise.all(scopes.map((s) => writer.sealer.seal(s, Buffer.from('x!'))));
      const reader = hostProcess();

      for (const [i, scope] of scopes.entries()) {
        await reader.sealer.open(scope, sealed[i]!.envelope);
        await reader.sealer.open(scope, sealed[i]!.envelope);
      }

      expect(reader.provider.calls.decryptDataKey).toBe(3);
      expect(reader.provider.calls.generateDataKey).toBe(0);
      expect(writer.provider.calls.decryptDataKey).toBe(0);
    });

    it('unwraps again once the cache maximum age has passed', async () => {
      const writer = hostProcess();
      const scope = scopeIn();
      const { envelope } = await writer.sealer.seal(scope, Buffer.from('aging'));
      const reader = hostProcess();
      await reader.sealer.open(scope, envelope);

      reader.clock.advance(maxAgeMs - 1);
      await reader.sealer.open(scope, envelope);
      expect(reader.provider.calls.decryptDataKey).toBe(1);

      reader.clock.advance(1);
      await reader.sealer.open(scope, envelope);
      expect(reader.provider.calls.decryptDataKey).toBe(2);
    });
  });

  describe('when two processes race to create the first data key of an app', () => {
    it('ends with one active data key that both use', async () => {
      const first = hostProcess();
      const second = hostProcess();
      const scope = scopeIn();
      // Hold both generateDataKey calls until both processes have made one, so both really
      // find no active key and race to store theirs.
      let arrived = 0;
      let releaseBoth: () => void = () => undefined;
      const bothArrived = new Promise<void>((resolve) => (releaseBoth = resolve));
      for (const { provider } of [first, second]) {
        const generate = provider.generateDataKey.bind(provider);
        provider.generateDataKey = async (context) => {
          if (++arrived === 2) releaseBoth();
          await bothArrived;
          return generate(context);
        };
      }

      const [a, b] = await Promise.all([
        first.sealer.seal(scope, Buffer.from('from the first')),
        second.sealer.seal(scope, Buffer.from('from the second')),
      ]);

      expect(first.provider.calls.generateDataKey + second.provider.calls.generateDataKey).toBe(2);
      expect(a.provenance.dekId).toBe(b.provenance.dekId);
      const stored = await database.db
        .collection('keyVault')
        .find({ tenantId: scope.tenantId })
        .toArray();
      expect(stored.map((d) => d._id)).toEqual([a.provenance.dekId]);
      expect((await first.sealer.open(scope, b.envelope)).toString()).toBe('from the second');
      expect((await second.sealer.open(scope, a.envelope)).toString()).toBe('from the first');
    });
  });

  describe('when a data key is retired', () => {
    it('seals new values under a new data key and still opens the old ones', async () => {
      const clock = new ManualClock();
      const { sealer, provider } = hostProcess(clock);
      const scope = scopeIn();
      const before = await sealer.seal(scope, Buffer.from('before retirement'));

      await vault.retire(before.provenance.dekId, new Date(clock.now()));
      clock.advance(maxAgeMs);
      const after = await sealer.seal(scope, Buffer.from('after retirement'));

      expect(after.provenance.dekId).not.toBe(before.provenance.dekId);
      expect(provider.calls.generateDataKey).toBe(2);
      expect((await sealer.open(scope, before.envelope)).toString()).toBe('before retirement');
    });
  });

  describe('when an envelope is opened for another tenant or app', () => {
    it.each([
      ['tenant', { tenantId: 'tenant-other' }],
      ['app', { appId: 'app-other' }],
    ])('fails with DECRYPT_FAILED before asking the other %s key', async (_name, change) => {
      const writer = hostProcess();
      const scope = scopeIn();
      const { envelope } = await writer.sealer.seal(scope, Buffer.from('not yours'));
      const attacker = hostProcess();

      await expect(attacker.sealer.open({ ...scope, ...change }, envelope)).rejects.toMatchObject({
        code: ErrorCode.DecryptFailed,
      });
      expect(attacker.provider.calls.decryptDataKey).toBe(0);
      await expect(
        attacker.sealer.provenanceOf({ ...scope, ...change }, envelope),
      ).rejects.toMatchObject({ code: ErrorCode.DecryptFailed });
    });

    it('fails with DECRYPT_FAILED for another record of the same app', async () => {
      const { sealer } = hostProcess();
      const scope = scopeIn();
      const { envelope } = await sealer.seal(scope, Buffer.from('record one'));

      await expect(sealer.open({ ...scope, recordId: 'another' }, envelope)).rejects.toMatchObject({
        code: ErrorCode.DecryptFailed,
      });
    });
  });

  describe('when the input is bad', () => {
    it('refuses an empty record id before creating a data key', async () => {
      const { sealer, provider } = hostProcess();
      const scope = { ...scopeIn(), recordId: '' };

      await expect(sealer.seal(scope, Buffer.from('x'))).rejects.toMatchObject({
        code: ErrorCode.BadInput,
      });
      expect(provider.calls.generateDataKey).toBe(0);
      expect(
        await database.db.collection('keyVault').countDocuments({ tenantId: scope.tenantId }),
      ).toBe(0);
    });

    it('reports a truncated envelope as ENVELOPE_MALFORMED without a key lookup', async () => {
      const { sealer, provider } = hostProcess();
      const scope = scopeIn();
      const { envelope } = await sealer.seal(scope, Buffer.from('whole'));

      await expect(sealer.open(scope, envelope.subarray(0, 40))).rejects.toMatchObject({
        code: ErrorCode.EnvelopeMalformed,
      });
      expect(provider.calls.decryptDataKey).toBe(0);
    });
  });

  describe('when the database is searched for secrets', () => {
    it('holds neither the sealed plaintext nor any data key in any document', async () => {
      const { sealer } = hostProcess();
      const scope = scopeIn();
      const plaintext = 'the admin password is correct-horse-battery-staple';
      const sealed = await sealer.seal(scope, Buffer.from(plaintext));
      await database.db.collection('records').insertOne({
        _id: scope.recordId as never,
        text: sealed.envelope,
        provenance: sealed.provenance,
      });

      const local = new LocalKeyProvider(masterKey);
      const ids = await database.db.collection<{ _id: string }>('keyVault').distinct('_id');
      const dataKeys = await Promise.all(
        ids.map(async (id) => {
          const record = (await vault.get(id))!;
          return local.decryptDataKey(
            record.wrapped,
            dataKeyContext(record.tenantId, record.appId, record._id),
          );
        }),
      );

      expect(dataKeys.length).toBeGreaterThan(0);
      expect(await findPlaintext(database.db, [plaintext, masterKey, ...dataKeys])).toEqual([]);
    });
  });
});
