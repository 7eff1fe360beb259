import { randomUUID } from 'node:crypto';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import {
  type AwsKeyConfig,
  type AwsKeyProviders,
  createAwsKeyProviders,
} from '../../../src/aws/kms-provider.js';
import { type AwsFaultServer, startAwsFaultServer } from '../../support/aws-fault-server.js';
import {
  cancelCustomerKeyDeletion,
  disableCustomerKey,
  enableCustomerKey,
  provisionCustomer,
  scheduleCustomerKeyDeletion,
} from '../../support/customer-aws.js';

const serviceRoleArn = 'arn:aws:iam::000000000000:role/byok-harness-service';
const context = { tenant: 'acme', app: 'support-bot', purpose: 'dek' };

// The key states here are real: local-kms refuses disabled and pending-deletion keys the way
// AWS does. The fault endpoint only forwards, so the test can count what reached KMS.
describe('AwsKmsKeyProvider and the state of the customer key', () => {
  let faults: AwsFaultServer;
  let aws: AwsKeyProviders;

  beforeAll(async () => {
    faults = await startAwsFaultServer();
    aws = createAwsKeyProviders({ endpoint: faults.url, serviceRoleArn });
  });
  afterAll(async () => {
    aws.destroy();
    await faults.close();
  });

  async function freshCustomer(): Promise<AwsKeyConfig> {
    const externalId = `ext-${randomUUID()}`;
    const customer = await provisionCustomer({ serviceRoleArn, externalId });
    return { cmkArn: customer.cmkArn, roleArn: customer.roleArn, externalId, tenantId: 'acme' };
  }

  describe('when the customer disables the key', () => {
    it('fails with KEY_DISABLED without retrying, and works again once enabled', async () => {
      const config = await freshCustomer();
      const provider = aws.provider(config);
      const { wrapped } = await provider.generateDataKey(context);

      await disableCustomerKey(config.cmkArn);
      const before = faults.count('kms', 'Decrypt');
      await expect(provider.decryptDataKey(wrapped, context)).rejects.toMatchObject({
        code: 'KEY_DISABLED',
        details: { awsCode: 'DisabledException', operation: 'Decrypt' },
      });
      expect(faults.count('kms', 'Decrypt')).toBe(before + 1);
      await expect(provider.generateDataKey(context)).rejects.toMatchObject({
        code: 'KEY_DISABLED',
      });

      await enableCustomerKey(config.cmkArn);
      await expect(provider.decryptDataKey(wrapped, context)).resolves.toHaveLength(32);
    });
  });

  describe('when the customer schedules the key for deletion', () => {
    it('fails with KEY_PENDING_DELETION, learned from the key state', async () => {
      const config = await freshCustomer();
      const provider = aws.provider(config);
      const { wrapped } = await provider.generateDataKey(context);

      await scheduleCustomerKeyDeletion(config.cmkArn);
      await expect(provider.decryptDataKey(wrapped, context)).rejects.toMatchObject({
        code: 'KEY_PENDING_DELETION',
        details: { awsCode: 'KMSInvalidStateException', keyState: 'PendingDeletion' },
      });
      await expect(provider.describe()).resolves.toMatchObject({
        enabled: false,
        state: 'PendingDeletion',
      });
    });

    it('says the key is disabled once the deletion is cancelled', async () => {
      const config = await freshCustomer();
      const provider = aws.provider(config);
      await scheduleCustomerKeyDeletion(config.cmkArn);
      await cancelCustomerKeyDeletion(config.cmkArn);

      await expect(provider.generateDataKey(context)).rejects.toMatchObject({
        code: 'KEY_DISABLED',
      });
    });
  });

  describe('when the key does not exist', () => {
    it('fails with KEY_NOT_FOUND', async () => {
      const config = await freshCustomer();
      const missing = config.cmkArn.replace(/key\/.*$/, `key/${randomUUID()}`);
      const provider = aws.provider({ ...config, cmkArn: missing });

      await expect(provider.generateDataKey(context)).rejects.toMatchObject({
        code: 'KEY_NOT_FOUND',
        details: { awsCode: 'NotFoundException' },
      });
      await expect(provider.describe()).rejects.toMatchObject({ code: 'KEY_NOT_FOUND' });
    });
  });

  describe('when the ARN names another region than the key lives in', () => {
    it('asks KMS in that region, which does not know the key', async () => {
      const config = await freshCustomer();
      const elsewhere = config.cmkArn.replace(':us-east-1:', ':eu-west-1:');
      const provider = aws.provider({ ...config, cmkArn: elsewhere });

      await expect(provider.describe()).rejects.toMatchObject({ code: 'KEY_NOT_FOUND' });
      expect(faults.requests('kms', 'DescribeKey').at(-1)?.region).toBe('eu-west-1');
    });
  });

  describe('when the key is asymmetric', () => {
    it('describes its spec so the configuration test can refuse it', async () => {
      const externalId = `ext-${randomUUID()}`;
      const customer = await provisionCustomer({ serviceRoleArn, externalId, keySpec: 'RSA_2048' });
      const provider = aws.provider({
        cmkArn: customer.cmkArn,
        roleArn: customer.roleArn,
        externalId,
        tenantId: 'acme',
      });

      // Only DescribeKey is compared with AWS here: local-kms answers GenerateDataKey on an RSA
      // key with a 500 where AWS says InvalidKeyUsageException (covered by the fault tests).
      await expect(provider.describe()).resolves.toMatchObject({
        spec: 'RSA_2048',
        usage: 'ENCRYPT_DECRYPT',
      });
    });
  });
});
