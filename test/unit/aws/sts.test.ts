import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';

import { AwsClients } from '../../../src/aws/clients.js';
import { AssumedRoleCredentials, sessionNameFor } from '../../../src/aws/sts.js';
import { ManualClock } from '../../../src/base/clock.js';
import { type AwsFaultServer, startAwsFaultServer } from '../../support/aws-fault-server.js';

const target = {
  roleArn: 'arn:aws:iam::111122223333:role/byok-customer',
  externalId: 'ext-7f3a',
  tenantId: 'acme',
  region: 'us-east-1',
};
const hour = 3_600_000;
const minute = 60_000;

describe('sessionNameFor', () => {
  describe('when the tenant id fits the STS character set', () => {
    it('prefixes it so the customer recognises the platform in CloudTrail', () => {
      expect(sessionNameFor('acme-42')).toBe('byok-harness-acme-42');
    });
  });

  describe('when the tenant id holds characters STS refuses', () => {
    it('replaces each with a dash', () => {
      expect(sessionNameFor('acme corp/ü:1')).toBe('byok-harness-acme-corp---1');
      expect(sessionNameFor('a+b=c,d.e@f_g')).toBe('byok-harness-a+b=c,d.e@f_g');
    });
  });

  describe('when the tenant id is long or empty', () => {
    it('cuts the name to 64 characters and never leaves it empty', () => {
      const name = sessionNameFor('t'.repeat(100));
      expect(name).toHaveLength(64);
      expect(name.startsWith('byok-harness-ttt')).toBe(true);
      expect(sessionNameFor('')).toBe('byok-harness-unknown');
    });
  });
});

describe('AssumedRoleCredentials', () => {
  let faults: AwsFaultServer;
  let clients: AwsClients;
  let clock: ManualClock;
  let credentials: AssumedRoleCredentials;

  beforeAll(async () => {
    // No upstream: STS answers come only from the scripts below.
    faults = await startAwsFaultServer({ upstream: {} });
  });
  afterAll(async () => {
    await faults.close();
  });
  beforeEach(() => {
    faults.reset();
    clients = new AwsClients({ endpoint: faults.url, maxAttempts: 3 });
    clock = new ManualClock();
    credentials = new AssumedRoleCredentials({
      sts: (region) => clients.sts(region),
      clock,
      refreshMarginMs: 5 * minute,
    });
    return () => {
      clients.destroy();
    };
  });

  const expiringIn = (ms: number) => ({
    succeed: true as const,
    expiration: new Date(clock.now() + ms),
  });

  describe('when credentials are first asked for', () => {
    it('assumes the role with the external ID, the session name and one hour', async () => {
      faults.script('sts', 'AssumeRole', expiringIn(hour));
      const got = await credentials.get(target);

      expect(got.expiration.getTime()).toBe(clock.now() + hour);
      expect(faults.requests('sts', 'AssumeRole')).toEqual([
        expect.objectContaining({
          roleArn: target.roleArn,
          externalId: 'ext-7f3a',
          roleSessionName: 'byok-harness-acme',
          durationSeconds: 3600,
          region: 'us-east-1',
        }),
      ]);
    });
  });

  describe('when cached credentials are still far from expiry', () => {
    it('reuses them without calling STS', async () => {
      faults.script('sts', 'AssumeRole', expiringIn(hour));
      const first = await credentials.get(target);
      clock.advance(54 * minute);
      const second = await credentials.get(target);

      expect(second).toBe(first);
      expect(faults.count('sts', 'AssumeRole')).toBe(1);
    });
  });

  describe('when cached credentials are within the refresh margin', () => {
    it('assumes the role again before they expire', async () => {
      faults.script('sts', 'AssumeRole', expiringIn(hour), expiringIn(2 * hour));
      const first = await credentials.get(target);
      clock.advance(56 * minute);
      const second = await credentials.get(target);

      expect(second.accessKeyId).not.toBe(first.accessKeyId);
      expect(faults.count('sts', 'AssumeRole')).toBe(2);
    });
  });

  describe('when many callers ask at once', () => {
    it('makes a single AssumeRole call for all of them', async () => {
      faults.script('sts', 'AssumeRole', { ...expiringIn(hour), delayMs: 50 });
      const all = await Promise.all(Array.from({ length: 8 }, () => credentials.get(target)));

      expect(new Set(all.map((c) => c.accessKeyId)).size).toBe(1);
      expect(faults.count('sts', 'AssumeRole')).toBe(1);
    });
  });

  describe('when the trust policy refuses the platform', () => {
    it('fails with ROLE_TRUST_NOT_CONFIGURED after one request, and does not cache the failure', async () => {
      faults.script('sts', 'AssumeRole', { error: 'AccessDenied' }, expiringIn(hour));

      await expect(credentials.get(target)).rejects.toMatchObject({
        code: 'ROLE_TRUST_NOT_CONFIGURED',
        details: { awsCode: 'AccessDenied' },
      });
      expect(faults.count('sts', 'AssumeRole')).toBe(1);

      await expect(credentials.get(target)).resolves.toMatchObject({
        expiration: new Date(clock.now() + hour),
      });
      expect(faults.count('sts', 'AssumeRole')).toBe(2);
    });
  });

  describe('when STS fails transiently', () => {
    it('retries and succeeds', async () => {
      faults.script('sts', 'AssumeRole', { error: 'InternalFailure' }, expiringIn(hour));
      await credentials.get(target);
      expect(faults.count('sts', 'AssumeRole')).toBe(2);
    });

    it('gives STS_UNAVAILABLE once every attempt failed', async () => {
      faults.script('sts', 'AssumeRole', { error: 'ServiceUnavailable', times: 3 });
      await expect(credentials.get(target)).rejects.toMatchObject({
        code: 'STS_UNAVAILABLE',
        details: { attempts: 3 },
      });
      expect(faults.count('sts', 'AssumeRole')).toBe(3);
    });
  });

  describe('when a fresh session is asked for', () => {
    it('assumes the role even though cached credentials are valid', async () => {
      faults.script('sts', 'AssumeRole', expiringIn(hour), expiringIn(hour));
      await credentials.get(target);
      await credentials.get(target, { fresh: true });
      expect(faults.count('sts', 'AssumeRole')).toBe(2);
    });
  });

  describe('when the external ID changes', () => {
    it('keeps a separate session for it', async () => {
      faults.script('sts', 'AssumeRole', expiringIn(hour), expiringIn(hour));
      await credentials.get(target);
      await credentials.get({ ...target, externalId: 'ext-other' });
      expect(faults.requests('sts', 'AssumeRole').map((r) => r.externalId)).toEqual([
        'ext-7f3a',
        'ext-other',
      ]);
    });
  });
});
