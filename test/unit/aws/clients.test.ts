import { describe, expect, it } from 'vitest';

import { AwsClients } from '../../../src/aws/clients.js';
import { awsOptionsFromConfig } from '../../../src/aws/kms-provider.js';
import { loadConfig } from '../../../src/base/config.js';

const role = { roleArn: 'arn:aws:iam::111122223333:role/a', externalId: 'ext-a' };
const noCredentials = () => Promise.reject(new Error('not used: no request is sent'));

describe('AwsClients', () => {
  describe('when the same region and role are asked for twice', () => {
    it('returns the same KMS client, so connections and the retry budget are shared', () => {
      const clients = new AwsClients();
      expect(clients.kms('us-east-1', role, noCredentials)).toBe(
        clients.kms('us-east-1', role, noCredentials),
      );
      expect(clients.sts('us-east-1')).toBe(clients.sts('us-east-1'));
      clients.destroy();
    });
  });

  describe('when region, role or external ID differ', () => {
    it('keeps a client for each', () => {
      const clients = new AwsClients();
      const base = clients.kms('us-east-1', role, noCredentials);
      expect(clients.kms('eu-west-1', role, noCredentials)).not.toBe(base);
      expect(clients.kms('us-east-1', { ...role, externalId: 'ext-b' }, noCredentials)).not.toBe(
        base,
      );
      expect(
        clients.kms('us-east-1', { ...role, roleArn: `${role.roleArn}b` }, noCredentials),
      ).not.toBe(base);
      expect(clients.sts('eu-west-1')).not.toBe(clients.sts('us-east-1'));
      clients.destroy();
    });
  });

  describe('when more roles are used than the bound allows', () => {
    it('drops the least recently used client', () => {
      const clients = new AwsClients({ maxKmsClients: 2 });
      const a = clients.kms('us-east-1', role, noCredentials);
      const b = clients.kms('us-east-1', { ...role, externalId: 'b' }, noCredentials);
      expect(clients.kms('us-east-1', role, noCredentials)).toBe(a);
      clients.kms('us-east-1', { ...role, externalId: 'c' }, noCredentials);

      expect(clients.kms('us-east-1', role, noCredentials)).toBe(a);
      expect(clients.kms('us-east-1', { ...role, externalId: 'b' }, noCredentials)).not.toBe(b);
      clients.destroy();
    });
  });

  describe('when the client region comes from the caller', () => {
    it('configures the KMS client for that region with the retry settings', async () => {
      const clients = new AwsClients({ maxAttempts: 5 });
      const kms = clients.kms('eu-central-1', role, noCredentials);
      expect(await kms.config.region()).toBe('eu-central-1');
      expect(await kms.config.maxAttempts()).toBe(5);
      clients.destroy();
    });
  });

  describe('when the settings come from the environment', () => {
    it('uses the attempts and timeouts the operator set', () => {
      const options = awsOptionsFromConfig(
        loadConfig({
          BYOK_AWS_MAX_ATTEMPTS: '5',
          BYOK_AWS_CONNECT_TIMEOUT_MS: '1000',
          BYOK_AWS_REQUEST_TIMEOUT_MS: '2000',
        }),
      );
      expect(new AwsClients(options).options).toMatchObject({
        maxAttempts: 5,
        connectionTimeoutMs: 1000,
        requestTimeoutMs: 2000,
      });
    });

    it('refuses zero attempts, naming the variable', () => {
      expect(() => loadConfig({ BYOK_AWS_MAX_ATTEMPTS: '0' })).toThrow(/BYOK_AWS_MAX_ATTEMPTS/);
    });
  });
});
