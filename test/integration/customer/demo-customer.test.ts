import { describe, expect, it } from 'vitest';

import { verifyOnline } from '../../../src/customer/index.js';
import { demoCustomerNames, ensureDemoCustomer } from '../../../src/customer/provision.js';
import { localAwsRegion } from '../../../src/devservices/index.js';

const serviceRoleArn = 'arn:aws:iam::000000000000:role/byok-harness-service';
const externalId = 'demoExternalId0123456789abcdefAB';

describe('ensureDemoCustomer', () => {
  describe('when the embedded host starts with local AWS', () => {
    it('creates a set-up that passes every check of the customer checklist', async () => {
      const demo = await ensureDemoCustomer({ serviceRoleArn, externalId, region: localAwsRegion });

      const results = await verifyOnline({
        roleName: demoCustomerNames.roleName,
        keyArn: demo.cmkArn,
        externalId,
        serviceRoleArn,
        policyName: demoCustomerNames.policyName,
      });

      expect(results.filter((r) => r.status !== 'pass')).toEqual([]);
      expect(demo.roleArn).toMatch(/:role\/BYOK_Role$/);
    });
  });

  describe('when it runs again on the same servers', () => {
    it('reuses the key and the role instead of creating new ones', async () => {
      const first = await ensureDemoCustomer({
        serviceRoleArn,
        externalId,
        region: localAwsRegion,
      });
      const second = await ensureDemoCustomer({
        serviceRoleArn,
        externalId,
        region: localAwsRegion,
      });

      expect(second).toEqual(first);
    });
  });
});
