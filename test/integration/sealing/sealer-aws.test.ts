/**
 * Envelope encryption through the tenant's own KMS key, end to end: the customer side is set up
 * as a customer would (policy, role trusting the platform with an external ID, key with a key
 * policy), the platform assumes the role, and every request to STS and KMS passes through the
 * fault endpoint (forwarding to moto and local-kms) so the test can count them on the wire.
 */
import { randomUUID } from 'node:crypto';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { type AwsKeyProviders, createAwsKeyProviders } from '../../../src/aws/kms-provider.js';
import { ManualClock } from '../../../src/base/clock.js';
import { DekCache, readHeader } from '../../../src/crypto/index.js';
import {
  EnvelopeSealer,
  type KeyBinding,
  type KeyResolver,
  type SealScope,
} from '../../../src/sealing/index.js';
import { MongoKeyVault } from '../../../src/store/key-vault.js';
import { type AwsFaultServer, startAwsFaultServer } from '../../support/aws-fault-server.js';
import { provisionCustomer, type ProvisionedCustomer } from '../../support/customer-aws.js';
import { type TestDatabase, testDatabase } from '../../support/db.js';
import { findPlaintext } from '../../support/plaintext-scan.js';

const serviceRoleArn = 'arn:aws:iam::000000000000:role/byok-harness-service';
const maxAgeMs = 5 * 60_000;
const tenantId = 'acme';
const keyConfigId = 'kc_acme';
const messages = ['order 4711 is late', 'my card ends in 4242', 'please call me back'];

let database: TestDatabase;
let faults: AwsFaultServer;
let customer: ProvisionedCustomer;
let aws: AwsKeyProviders;
const externalId = `ext${randomUUID().replaceAll('-', '')}`;

/** Binds every owner of the tenant to its CMK, as an enforced key configuration does. */
function cmkResolver(): KeyResolver {
  const binding: KeyBinding = {
    provider: aws.provider({
      cmkArn: customer.cmkArn,
      roleArn: customer.roleArn,
      externalId,
      tenantId,
    }),
    keyConfigId,
    keyName: 'Acme CMK',
  };
  return {
    resolveForSeal: () => Promise.resolve(binding),
    providerFor: () => Promise.resolve(binding),
  };
}

/** One host process: its own data-key cache and clock over the shared database. */
function hostProcess(clock = new ManualClock()) {
  const cache = new DekCache({ clock, maxAgeMs });
  const sealer = new EnvelopeSealer({
    vault: new MongoKeyVault(database.db),
    resolver: cmkResolver(),
    cache,
    clock,
  });
  return { sealer, clock };
}

function scope(appId: string, recordId: string): SealScope {
  return { tenantId, appId, collection: 'transcripts', recordId, field: 'text' };
}

beforeAll(async () => {
  database = await testDatabase('sealer_aws');
  await new MongoKeyVault(database.db).ensureIndexes();
  faults = await startAwsFaultServer();
  customer = await provisionCustomer({ serviceRoleArn, externalId });
  aws = createAwsKeyProviders({ endpoint: faults.url, serviceRoleArn });
});

afterAll(async () => {
  aws.destroy();
  await faults.close();
  await database.drop();
});

describe('EnvelopeSealer under the tenant CMK', () => {
  const sealed: { scope: SealScope; envelope: Buffer; text: string }[] = [];

  describe('when records of two apps are sealed and opened in one process', () => {
    it('generates one data key per app and decrypts none while the cache holds them', async () => {
      const { sealer } = hostProcess();
      for (const appId of ['app-support', 'app-sales']) {
        for (const text of messages) {
          const where = scope(appId, randomUUID());
          const result = await sealer.seal(where, Buffer.from(text));
          expect(result.provenance).toMatchObject({
            provider: 'aws',
            keyConfigId,
            keyRef: customer.cmkArn,
          });
          sealed.push({ scope: where, envelope: result.envelope, text });
        }
      }
      for (const record of sealed) {
        expect((await sealer.open(record.scope, record.envelope)).toString()).toBe(record.text);
      }

      expect(faults.count('kms', 'GenerateDataKey')).toBe(2);
      expect(faults.count('kms', 'Decrypt')).toBe(0);
    });

    it('reached KMS through the assumed role, with the external ID and no secret in the context', () => {
      const assumed = faults.requests('sts', 'AssumeRole');
      expect(assumed.length).toBeGreaterThanOrEqual(1);
      expect(assumed[0]).toMatchObject({ roleArn: customer.roleArn, externalId });
      expect(assumed[0]?.roleSessionName).toMatch(/^byok-harness-/);

      for (const request of faults.requests('kms', 'GenerateDataKey')) {
        expect(request.keyId).toBe(customer.cmkArn);
        expect(Object.keys(request.encryptionContext ?? {}).sort()).toEqual([
          'appId',
          'dekId',
          'purpose',
          'tenantId',
        ]);
      }
    });
  });

  describe('when another process opens the records', () => {
    it('decrypts each data key once, then serves from its cache until the max age passes', async () => {
      const other = hostProcess();
      const before = faults.count('kms', 'Decrypt');

      for (const record of sealed) {
        expect((await other.sealer.open(record.scope, record.envelope)).toString()).toBe(
          record.text,
        );
      }
      expect(faults.count('kms', 'Decrypt') - before).toBe(2);

      other.clock.advance(maxAgeMs + 1);
      const first = sealed[0]!;
      await other.sealer.open(first.scope, first.envelope);
      expect(faults.count('kms', 'Decrypt') - before).toBe(3);
    });
  });

  describe('when the database is read directly', () => {
    it('holds no message text and no plaintext data key', async () => {
      // The plaintext data keys, recovered through KMS from the wrapped ones the vault holds.
      const vault = new MongoKeyVault(database.db);
      const provider = (await cmkResolver().providerFor(tenantId, keyConfigId)).provider;
      const dataKeys: Buffer[] = [];
      for (const dekId of new Set(sealed.map((r) => readHeader(r.envelope).dekId))) {
        const record = await vault.get(dekId);
        expect(record?.keyRef).toBe(customer.cmkArn);
        dataKeys.push(await provider.decryptDataKey(record!.wrapped, record!.encryptionContext));
      }
      expect(dataKeys).toHaveLength(2);

      const found = await findPlaintext(database.db, [...messages, ...dataKeys]);

      expect(found).toEqual([]);
    });
  });
});
