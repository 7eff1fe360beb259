import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';

import { AwsClients } from '../../../src/aws/clients.js';
import {
  type AwsKeyConfig,
  type AwsKeyProviders,
  AwsKmsKeyProvider,
  createAwsKeyProviders,
} from '../../../src/aws/kms-provider.js';
import { AssumedRoleCredentials } from '../../../src/aws/sts.js';
import { type AwsFaultServer, startAwsFaultServer } from '../../support/aws-fault-server.js';
import { provisionCustomer } from '../../support/customer-aws.js';

const serviceRoleArn = 'arn:aws:iam::000000000000:role/byok-harness-service';
const context = { tenant: 'acme', app: 'support-bot', purpose: 'dek' };
const maxAttempts = 3;

// Faults local-kms and moto cannot produce, answered in AWS's wire format by the fault endpoint;
// everything not scripted is forwarded to the real local servers.
describe('AwsKmsKeyProvider against AWS faults', () => {
  let faults: AwsFaultServer;
  let config: AwsKeyConfig;
  let aws: AwsKeyProviders;
  let wrapped: Buffer;

  beforeAll(async () => {
    faults = await startAwsFaultServer();
    const externalId = `ext-${randomUUID()}`;
    const customer = await provisionCustomer({ serviceRoleArn, externalId });
    config = { cmkArn: customer.cmkArn, roleArn: customer.roleArn, externalId, tenantId: 'acme' };

    const setup = createAwsKeyProviders({ endpoint: faults.url });
    wrapped = (await setup.provider(config).generateDataKey(context)).wrapped;
    setup.destroy();
  });
  afterAll(async () => {
    await faults.close();
  });
  beforeEach(() => {
    // A new factory per test: no cached session, and a full SDK retry budget.
    faults.reset();
    aws = createAwsKeyProviders({
      endpoint: faults.url,
      serviceRoleArn,
      maxAttempts,
      connectionTimeoutMs: 500,
      requestTimeoutMs: 500,
    });
    return () => {
      aws.destroy();
    };
  });

  describe('when STS refuses the role (wrong external ID or principal)', () => {
    it('fails with ROLE_TRUST_NOT_CONFIGURED after one request and never calls KMS', async () => {
      faults.script('sts', 'AssumeRole', { error: 'AccessDenied' });

      await expect(aws.provider(config).decryptDataKey(wrapped, context)).rejects.toMatchObject({
        code: 'ROLE_TRUST_NOT_CONFIGURED',
        details: { awsCode: 'AccessDenied' },
        message: expect.stringContaining(serviceRoleArn) as unknown,
      });
      expect(faults.count('sts', 'AssumeRole')).toBe(1);
      expect(faults.count('kms')).toBe(0);
    });
  });

  describe('when STS is throttled once', () => {
    it('retries and goes on to KMS', async () => {
      faults.script('sts', 'AssumeRole', { error: 'Throttling' });
      await expect(aws.provider(config).decryptDataKey(wrapped, context)).resolves.toHaveLength(32);
      expect(faults.count('sts', 'AssumeRole')).toBe(2);
    });
  });

  describe('when KMS denies access (key or IAM policy)', () => {
    it('fails with KEY_ACCESS_DENIED after one request', async () => {
      faults.script('kms', 'Decrypt', { error: 'AccessDeniedException' });
      await expect(aws.provider(config).decryptDataKey(wrapped, context)).rejects.toMatchObject({
        code: 'KEY_ACCESS_DENIED',
        details: { awsCode: 'AccessDeniedException', operation: 'Decrypt' },
      });
      expect(faults.count('kms', 'Decrypt')).toBe(1);
    });
  });

  describe('when KMS throttles twice, then answers', () => {
    it('succeeds on the third request', async () => {
      faults.script('kms', 'GenerateDataKey', { error: 'ThrottlingException', times: 2 });
      await expect(aws.provider(config).generateDataKey(context)).resolves.toMatchObject({
        plaintext: expect.any(Buffer) as unknown,
      });
      expect(faults.requests('kms', 'GenerateDataKey').map((r) => r.answer)).toEqual([
        'error:ThrottlingException',
        'error:ThrottlingException',
        'forward',
      ]);
    });
  });

  describe('when KMS throttles every request', () => {
    it('gives up with KMS_THROTTLED after the maximum attempts', async () => {
      faults.script('kms', 'Decrypt', { error: 'ThrottlingException', times: 10 });
      await expect(aws.provider(config).decryptDataKey(wrapped, context)).rejects.toMatchObject({
        code: 'KMS_THROTTLED',
        details: { awsCode: 'ThrottlingException', attempts: maxAttempts },
      });
      expect(faults.count('kms', 'Decrypt')).toBe(maxAttempts);
    });
  });

  describe.each(['KMSInternalException', 'DependencyTimeoutException'])(
    'when KMS answers %s',
    (code) => {
      it('retries and succeeds when the next answer is good', async () => {
        faults.script('kms', 'Decrypt', { error: code });
        await expect(aws.provider(config).decryptDataKey(wrapped, context)).resolves.toHaveLength(
          32,
        );
        expect(faults.count('kms', 'Decrypt')).toBe(2);
      });

      it('fails with KMS_UNAVAILABLE when every attempt fails', async () => {
        faults.script('kms', 'Decrypt', { error: code, times: 10 });
        await expect(aws.provider(config).decryptDataKey(wrapped, context)).rejects.toMatchObject({
          code: 'KMS_UNAVAILABLE',
          details: { awsCode: code },
        });
        expect(faults.count('kms', 'Decrypt')).toBe(maxAttempts);
      });
    },
  );

  describe('when KMS never answers', () => {
    it('fails with KMS_UNAVAILABLE once every attempt timed out', async () => {
      faults.script('kms', 'Decrypt', { hang: true, times: 10 });
      await expect(aws.provider(config).decryptDataKey(wrapped, context)).rejects.toMatchObject({
        code: 'KMS_UNAVAILABLE',
      });
      expect(faults.count('kms', 'Decrypt')).toBe(maxAttempts);
    });
  });

  describe('when nothing listens at the KMS endpoint', () => {
    it('fails with KMS_UNAVAILABLE', async () => {
      const closed = await unusedPort();
      const kmsOnly = new AwsClients({ endpoint: `http://127.0.0.1:${closed}`, maxAttempts: 2 });
      const provider = new AwsKmsKeyProvider({
        ...config,
        clients: kmsOnly,
        credentials: new AssumedRoleCredentials({ sts: (region) => aws.clients.sts(region) }),
      });
      try {
        await expect(provider.decryptDataKey(wrapped, context)).rejects.toMatchObject({
          code: 'KMS_UNAVAILABLE',
        });
      } finally {
        kmsOnly.destroy();
      }
    });
  });

  describe('when KMS says the key state is invalid', () => {
    it('asks for the key state and reports KEY_UNUSABLE with it', async () => {
      faults.script('kms', 'Decrypt', { error: 'KMSInvalidStateException' });
      faults.script('kms', 'DescribeKey', {
        json: { KeyMetadata: { KeyId: 'k', Arn: config.cmkArn, KeyState: 'PendingImport' } },
      });
      await expect(aws.provider(config).decryptDataKey(wrapped, context)).rejects.toMatchObject({
        code: 'KEY_UNUSABLE',
        details: { awsCode: 'KMSInvalidStateException', keyState: 'PendingImport' },
      });
      expect(faults.count('kms', 'Decrypt')).toBe(1);
    });
  });

  describe('when the key may not be used for encryption', () => {
    it('fails with KEY_UNUSABLE after one request', async () => {
      faults.script('kms', 'GenerateDataKey', { error: 'InvalidKeyUsageException' });
      await expect(aws.provider(config).generateDataKey(context)).rejects.toMatchObject({
        code: 'KEY_UNUSABLE',
      });
      expect(faults.count('kms', 'GenerateDataKey')).toBe(1);
    });
  });

  describe.each(['InvalidCiphertextException', 'IncorrectKeyException'])(
    'when KMS answers %s',
    (code) => {
      it('fails with the opaque DECRYPT_FAILED after one request', async () => {
        faults.script('kms', 'Decrypt', { error: code });
        await expect(aws.provider(config).decryptDataKey(wrapped, context)).rejects.toMatchObject({
          code: 'DECRYPT_FAILED',
          message: 'the sealed value could not be opened',
        });
        expect(faults.count('kms', 'Decrypt')).toBe(1);
      });
    },
  );
});

/** A port nothing listens on: bound once, then released. */
async function unusedPort(): Promise<number> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => {
    server.close(() => {
      resolve();
    });
  });
  return port;
}
