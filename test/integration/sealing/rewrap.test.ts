import { randomBytes, randomUUID } from 'node:crypto';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { KeyProvider } from '../../../src/aws/key-provider.js';
import { LocalKeyProvider } from '../../../src/aws/local-key.js';
import { ByokError, ErrorCode } from '../../../src/base/errors.js';
import {
  defaultKeyBinding,
  DefaultKeyResolver,
  EnvelopeSealer,
  rewrapDataKeys,
  type RewrapProgress,
  type Sealed,
  type SealScope,
} from '../../../src/sealing/index.js';
import { MongoKeyVault } from '../../../src/store/key-vault.js';
import { CountingKeyProvider } from '../../support/counting-provider.js';
import { type TestDatabase, testDatabase } from '../../support/db.js';

let database: TestDatabase;
let vault: MongoKeyVault;

beforeAll(async () => {
  database = await testDatabase('rewrap');
  vault = new MongoKeyVault(database.db);
  await vault.ensureIndexes();
});

afterAll(async () => {
  await database.drop();
});

/** A tenant with values sealed in `apps` apps under `oldKey`, one data key per app. */
async function tenantWithData(oldKey: KeyProvider, apps: number) {
  const tenantId = `tenant-${randomUUID()}`;
  const sealer = new EnvelopeSealer({ vault, resolver: new DefaultKeyResolver(oldKey) });
  const values: { scope: SealScope; sealed: Sealed; plaintext: string }[] = [];
  for (let app = 0; app < apps; app++) {
    for (let record = 0; record < 2; record++) {
      const scope = {
        tenantId,
        appId: `app-${app}`,
        collection: 'transcripts',
        recordId: `r-${record}`,
        field: 'text',
      };
      const plaintext = `value ${app}/${record}`;
      values.push({ scope, plaintext, sealed: await sealer.seal(scope, Buffer.from(plaintext)) });
    }
  }
  return { tenantId, values };
}

const keyRefsOf = async (tenantId: string) =>
  (
    await database.db
      .collection<{ tenantId: string; keyRef: string }>('keyVault')
      .find({ tenantId })
      .toArray()
  ).map((d) => d.keyRef);

describe('rewrapDataKeys', () => {
  describe('when a tenant moves to a new key', () => {
    it('moves every data key, the records still open, and a second run moves nothing', async () => {
      const oldKey = new LocalKeyProvider(randomBytes(32));
      const newKey = new CountingKeyProvider(new LocalKeyProvider(randomBytes(32)));
      const { tenantId, values } = await tenantWithData(oldKey, 3);
      const progress: RewrapProgress[] = [];
      const options = {
        vault,
        tenantId,
        keyConfigId: null,
        from: { provider: oldKey },
        to: defaultKeyBinding(newKey),
        batchSize: 2,
        onProgress: (p: RewrapProgress) => {
          progress.push(p);
        },
      };

      const first = await rewrapDataKeys(options);
      const second = await rewrapDataKeys(options);

      expect(first).toEqual({ total: 3, moved: 3, skipped: 0, failed: 0 });
      expect(progress.map((p) => p.moved)).toEqual([2, 3]);
      expect(second).toEqual({ total: 0, moved: 0, skipped: 0, failed: 0 });
      expect(newKey.calls.wrapDataKey).toBe(3);
      expect(await keyRefsOf(tenantId)).toEqual([newKey.keyRef, newKey.keyRef, newKey.keyRef]);

      const reader = new EnvelopeSealer({ vault, resolver: new DefaultKeyResolver(newKey) });
      for (const { scope, sealed, plaintext } of values) {
        expect((await reader.open(scope, sealed.envelope)).toString()).toBe(plaintext);
      }
      const oldReader = new EnvelopeSealer({ vault, resolver: new DefaultKeyResolver(oldKey) });
      await expect(oldReader.open(values[0]!.scope, values[0]!.sealed.envelope)).rejects.toThrow();
    });

    it('leaves other tenants where they are', async () => {
      const oldKey = new LocalKeyProvider(randomBytes(32));
      const newKey = new LocalKeyProvider(randomBytes(32));
      const moving = await tenantWithData(oldKey, 1);
      const staying = await tenantWithData(oldKey, 1);

      await rewrapDataKeys({
        vault,
        tenantId: moving.tenantId,
        keyConfigId: null,
        from: { provider: oldKey },
        to: defaultKeyBinding(newKey),
      });

      expect(await keyRefsOf(staying.tenantId)).toEqual([oldKey.keyRef]);
    });
  });

  describe('when a run stops half-way', () => {
    it('reports progress, and the next run moves only what is left', async () => {
      const oldKey = new LocalKeyProvider(randomBytes(32));
      const newKey = new LocalKeyProvider(randomBytes(32));
      const { tenantId } = await tenantWithData(oldKey, 3);
      // The new key's KMS becomes unreachable after one wrap, like a crash of the job.
      let wraps = 0;
      const flaky = Object.assign(Object.create(newKey) as LocalKeyProvider, {
        wrapDataKey: (plaintext: Buffer, context: Record<string, string>) => {
          if (++wraps > 1) {
            return Promise.reject(new ByokError(ErrorCode.KmsUnavailable, 'KMS unreachable'));
          }
          return newKey.wrapDataKey(plaintext, context);
        },
      });
      const progress: RewrapProgress[] = [];
      const base = { vault, tenantId, keyConfigId: null, from: { provider: oldKey } };

      await expect(
        rewrapDataKeys({
          ...base,
          to: defaultKeyBinding(flaky),
          onProgress: (p) => {
            progress.push(p);
          },
        }),
      ).rejects.toMatchObject({ code: ErrorCode.KmsUnavailable });
      const resumed = await rewrapDataKeys({ ...base, to: defaultKeyBinding(newKey) });

      expect(progress.at(-1)).toMatchObject({ total: 3, moved: 1 });
      expect(resumed).toEqual({ total: 2, moved: 2, skipped: 0, failed: 0 });
      expect(new Set(await keyRefsOf(tenantId))).toEqual(new Set([newKey.keyRef]));
    });
  });

  describe('when two runs work on the same tenant at once', () => {
    it('leaves every data key wrapped by the new key, and every record opens', async () => {
      const oldKey = new LocalKeyProvider(randomBytes(32));
      const newKey = new LocalKeyProvider(randomBytes(32));
      const { tenantId, values } = await tenantWithData(oldKey, 4);
      const options = {
        vault,
        tenantId,
        keyConfigId: null,
        from: { provider: oldKey },
        to: defaultKeyBinding(newKey),
      };

      const runs = await Promise.all([rewrapDataKeys(options), rewrapDataKeys(options)]);

      // Each run accounts for every key it saw; on FerretDB both may count one as moved.
      for (const run of runs) expect(run.moved + run.skipped + run.failed).toBe(run.total);
      expect(runs[0].moved + runs[1].moved).toBeGreaterThanOrEqual(4);
      expect(new Set(await keyRefsOf(tenantId))).toEqual(new Set([newKey.keyRef]));
      const reader = new EnvelopeSealer({ vault, resolver: new DefaultKeyResolver(newKey) });
      for (const { scope, sealed, plaintext } of values) {
        expect((await reader.open(scope, sealed.envelope)).toString()).toBe(plaintext);
      }
    });
  });

  describe('when a data key cannot be unwrapped by the old key', () => {
    it('counts it as failed, leaves it, and moves the others', async () => {
      const oldKey = new LocalKeyProvider(randomBytes(32));
      const newKey = new LocalKeyProvider(randomBytes(32));
      const { tenantId, values } = await tenantWithData(oldKey, 2);
      const broken = values[0]!.sealed.provenance.dekId;
      await database.db
        .collection<{ _id: string }>('keyVault')
        .updateOne({ _id: broken }, { $set: { wrapped: randomBytes(61) } });

      const result = await rewrapDataKeys({
        vault,
        tenantId,
        keyConfigId: null,
        from: { provider: oldKey },
        to: defaultKeyBinding(newKey),
      });

      expect(result).toEqual({ total: 2, moved: 1, skipped: 0, failed: 1 });
      expect((await vault.get(broken))?.keyRef).toBe(oldKey.keyRef);
    });
  });
});
