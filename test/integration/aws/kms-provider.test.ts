import { randomBytes, randomUUID } from 'node:crypto';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import {
  type AwsKeyProviders,
  type AwsKmsKeyProvider,
  createAwsKeyProviders,
} from '../../../src/aws/kms-provider.js';
import { type AwsFaultServer, startAwsFaultServer } from '../../support/aws-fault-server.js';
import { provisionCustomer, type ProvisionedCustomer } from '../../support/customer-aws.js';

const serviceRoleArn = 'arn:aws:iam::000000000000:role/byok-harness-service';
const context = { tenant: 'acme', app: 'support-bot', purpose: 'dek' };

describe('AwsKmsKeyProvider', () => {
  let faults: AwsFaultServer;
  let customer: ProvisionedCustomer;
  let externalId: string;
  let aws: AwsKeyProviders;
  let provider: AwsKmsKeyProvider;

  beforeAll(async () => {
    // Every request passes through the fault endpoint to moto and local-kms, so the test can
    // see what reached STS and KMS without changing any answer.
    faults = await startAwsFaultServer();
    externalId = `ext-${randomUUID()}`;
    customer = await provisionCustomer({ serviceRoleArn, externalId });
    aws = createAwsKeyProviders({ endpoint: faults.url, serviceRoleArn });
    provider = aws.provider({
      cmkArn: customer.cmkArn,
      roleArn: customer.roleArn,
      externalId,
      tenantId: 'acme',
    });
  });
  afterAll(async () => {
    aws.destroy();
    await faults.close();
  });

  describe('when a data key is generated and unwrapped', () => {
    it('returns a 256-bit key whose wrapped form unwraps to the same bytes', async () => {
      const { plaintext, wrapped } = await provider.generateDataKey(context);
      expect(plaintext).toHaveLength(32);
      expect(wrapped.equals(plaintext)).toBe(false);

      const unwrapped = await provider.decryptDataKey(wrapped, context);
      expect(unwrapped.equals(plaintext)).toBe(true);
    });

    it('sends the encryption context and the CMK ARN to KMS', () => {
      const [generate] = faults.requests('kms', 'GenerateDataKey');
      const [decrypt] = faults.requests('kms', 'Decrypt');
      expect(generate).toMatchObject({ keyId: customer.cmkArn, encryptionContext: context });
      expect(decrypt).toMatchObject({ keyId: customer.cmkArn, encryptionContext: context });
      expect(generate?.region).toBe(customer.region);
    });

    it('assumed the customer role once, with the external ID and a recognisable session name', () => {
      expect(faults.requests('sts', 'AssumeRole')).toEqual([
        expect.objectContaining({
          roleArn: customer.roleArn,
          externalId,
          roleSessionName: 'byok-harness-acme',
          durationSeconds: 3600,
          answer: 'forward',
        }),
      ]);
    });
  });

  describe('when the encryption context differs from the one the key was wrapped with', () => {
    it('fails with the opaque DECRYPT_FAILED', async () => {
      const { wrapped } = await provider.generateDataKey(context);
      await expect(
        provider.decryptDataKey(wrapped, { ...context, app: 'another-app' }),
      ).rejects.toMatchObject({ code: 'DECRYPT_FAILED' });
    });
  });

  describe('when an existing data key is wrapped again (rotation)', () => {
    it('unwraps to the same key', async () => {
      const key = randomBytes(32);
      const wrapped = await provider.wrapDataKey(key, context);
      expect((await provider.decryptDataKey(wrapped, context)).equals(key)).toBe(true);
    });

    it('refuses a value that is not a 256-bit key, before calling KMS', async () => {
      const before = faults.count('kms', 'Encrypt');
      await expect(provider.wrapDataKey(randomBytes(16), context)).rejects.toMatchObject({
        code: 'INTERNAL',
      });
      expect(faults.count('kms', 'Encrypt')).toBe(before);
    });
  });

  describe('when a probe value is encrypted and decrypted', () => {
    it('returns the probe', async () => {
      const probe = Buffer.from('byok-harness probe');
      const sealed = await provider.encrypt(probe, { probe: 'test-configuration' });
      const opened = await provider.decrypt(sealed, { probe: 'test-configuration' });
      expect(opened.toString()).toBe('byok-harness probe');
    });
  });

  describe('when the key is described', () => {
    it('reports an enabled symmetric encrypt/decrypt key with its ARN', async () => {
      await expect(provider.describe()).resolves.toEqual({
        keyId: customer.keyId,
        arn: customer.cmkArn,
        enabled: true,
        state: 'Enabled',
        spec: 'SYMMETRIC_DEFAULT',
        usage: 'ENCRYPT_DECRYPT',
      });
    });
  });

  describe('when a fresh session is asked for (Test Configuration step 1)', () => {
    it('assumes the role again and says until when the session holds', async () => {
      const before = faults.count('sts', 'AssumeRole');
      const { expiration } = await provider.assumeRole({ fresh: true });
      expect(expiration.getTime()).toBeGreaterThan(Date.now());
      expect(faults.count('sts', 'AssumeRole')).toBe(before + 1);
    });
  });

  describe('when no endpoint is given', () => {
    it('reaches the servers named by the SDK variables', async () => {
      const direct = createAwsKeyProviders({ serviceRoleArn });
      try {
        const own = direct.provider({
          cmkArn: customer.cmkArn,
          roleArn: customer.roleArn,
          externalId,
          tenantId: 'acme',
        });
        const { plaintext, wrapped } = await own.generateDataKey(context);
        expect((await own.decryptDataKey(wrapped, context)).equals(plaintext)).toBe(true);
      } finally {
        direct.destroy();
      }
    });
  });

  describe('when an ARN is malformed', () => {
    it('refuses to build the provider with INVALID_ARN', () => {
      expect(() =>
        aws.provider({
          cmkArn: customer.cmkArn.replace(':key/', ':alias/'),
          roleArn: customer.roleArn,
          externalId,
          tenantId: 'acme',
        }),
      ).toThrow(expect.objectContaining({ code: 'INVALID_ARN' }));
    });

    it('refuses a role and a key in different partitions', () => {
      expect(() =>
        aws.provider({
          cmkArn: customer.cmkArn,
          roleArn: customer.roleArn.replace('arn:aws:', 'arn:aws-cn:'),
          externalId,
          tenantId: 'acme',
        }),
      ).toThrow(
        expect.objectContaining({
          code: 'INVALID_ARN',
          details: expect.objectContaining({ field: 'partition' }),
        }),
      );
    });
  });
});
