import { describe, expect, it } from 'vitest';

import {
  generatePolicies,
  keyUserActions,
  type PolicyInput,
  policyJson,
} from '../../../src/aws/policies.js';
import { ByokError } from '../../../src/base/errors.js';

const input: PolicyInput = {
  accountId: '111122223333',
  region: 'eu-west-1',
  keyId: '1234abcd-12ab-34cd-56ef-1234567890ab',
  roleName: 'byok-role',
  serviceRoleArn: 'arn:aws:iam::999988887777:role/platform-service',
  externalId: 'ws-ext-0123456789',
};
const keyArn = 'arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab';
const roleArn = 'arn:aws:iam::111122223333:role/byok-role';

function refusal(bad: Partial<Record<keyof PolicyInput, string>>): ByokError {
  try {
    generatePolicies({ ...input, ...bad } as PolicyInput);
  } catch (error) {
    if (error instanceof ByokError) return error;
    throw error;
  }
  throw new Error('the input was accepted');
}

describe('generatePolicies', () => {
  describe('when the input is valid', () => {
    const generated = generatePolicies(input);

    it('allows exactly the four KMS actions on the key ARN in the IAM policy', () => {
      expect(generated.iamPolicy).toEqual({
        Version: '2012-10-17',
        Statement: [
          {
            Sid: 'ByokKeyUse',
            Effect: 'Allow',
            Action: ['kms:Encrypt', 'kms:Decrypt', 'kms:GenerateDataKey*', 'kms:DescribeKey'],
            Resource: keyArn,
          },
        ],
      });
    });

    it('lets only the platform service role assume the role, with the external ID', () => {
      expect(generated.trustPolicy.Statement).toEqual([
        {
          Sid: 'ByokPlatformAssumeRole',
          Effect: 'Allow',
          Principal: { AWS: input.serviceRoleArn },
          Action: 'sts:AssumeRole',
          Condition: { StringEquals: { 'sts:ExternalId': input.externalId } },
        },
      ]);
    });

    it('makes the role a key user with the same actions on Resource "*"', () => {
      expect(generated.keyPolicyStatement).toMatchObject({
        Effect: 'Allow',
        Principal: { AWS: roleArn },
        Action: [...keyUserActions],
        Resource: '*',
      });
    });

    it('puts the root account statement before the role statement in the full key policy', () => {
      expect(generated.keyPolicy.Statement).toEqual([
        {
          Sid: 'Enable IAM User Permissions',
          Effect: 'Allow',
          Principal: { AWS: 'arn:aws:iam::111122223333:root' },
          Action: 'kms:*',
          Resource: '*',
        },
        generated.keyPolicyStatement,
      ]);
    });

    it('names the policy byok-key-access unless told otherwise', () => {
      expect(generated.policyName).toBe('byok-key-access');
      expect(generatePolicies({ ...input, policyName: 'Custom.Name' }).policyName).toBe(
        'Custom.Name',
      );
    });

    it('prints the same JSON for the same input, ready to paste', () => {
      const text = policyJson(generatePolicies(input).trustPolicy);
      expect(text).toBe(policyJson(generatePolicies({ ...input }).trustPolicy));
      expect(text.endsWith('}\n')).toBe(true);
      expect(JSON.parse(text)).toEqual(generated.trustPolicy);
      expect(text.split('\n')[1]).toBe('  "Version": "2012-10-17",');
    });
  });

  describe('when the region is in another partition', () => {
    it('uses that partition in every ARN', () => {
      const generated = generatePolicies({
        ...input,
        region: 'cn-north-1',
        serviceRoleArn: 'arn:aws-cn:iam::999988887777:role/platform-service',
      });
      expect(generated.keyArn).toMatch(/^arn:aws-cn:kms:cn-north-1:111122223333:key\//);
      expect(generated.keyPolicy.Statement[0]?.Principal).toEqual({
        AWS: 'arn:aws-cn:iam::111122223333:root',
      });
    });

    it('refuses a partition that does not match the region', () => {
      expect(refusal({ partition: 'aws-us-gov' }).message).toContain('not in the aws-us-gov');
    });

    it('refuses a service role from another partition', () => {
      const error = refusal({ region: 'cn-north-1' });
      expect(error.details).toEqual({ fields: ['serviceRoleArn'] });
    });
  });

  describe('when the key is a multi-Region key', () => {
    it('accepts its mrk- id', () => {
      const keyId = `mrk-${'a1'.repeat(16)}`;
      expect(generatePolicies({ ...input, keyId }).keyArn.endsWith(`key/${keyId}`)).toBe(true);
    });
  });

  describe('when an input is malformed', () => {
    it.each([
      ['accountId', '11112222333'],
      ['accountId', '1111222233334'],
      ['region', 'useast1'],
      ['region', 'US-EAST-1'],
      ['keyId', 'alias/my-key'],
      ['keyId', '1234ABCD-12AB-34CD-56EF-1234567890AB'],
      ['roleName', 'path/role'],
      ['roleName', 'r'.repeat(65)],
      ['serviceRoleArn', 'arn:aws:iam::999988887777:user/someone'],
      ['externalId', 'x'],
      ['externalId', 'has space'],
      ['policyName', 'bad*name'],
    ] as const)('refuses %s = %j with BAD_INPUT naming the field', (field, value) => {
      const error = refusal({ [field]: value });
      expect(error.code).toBe('BAD_INPUT');
      expect(error.details).toEqual({ fields: [field] });
    });

    it('refuses a MongoDB operator object in place of a string', () => {
      const error = refusal({ roleName: { $gt: '' } as unknown as string });
      expect(error.details).toEqual({ fields: ['roleName'] });
    });
  });
});
