import { describe, expect, it } from 'vitest';

import { ByokError } from '../../../src/base/errors.js';
import { decide, parsePolicy } from '../../../src/customer/policy-document.js';

const keyArn = 'arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab';
const roleArn = 'arn:aws:iam::111122223333:role/byok-role';

function allowed(document: unknown, action: string, principal?: string): string {
  const request = { action, resource: keyArn, ...(principal === undefined ? {} : { principal }) };
  return decide(parsePolicy(document), request).decision;
}

const identity = (statement: object) => ({ Version: '2012-10-17', Statement: statement });

describe('parsePolicy', () => {
  describe('when the document comes URL-encoded from IAM', () => {
    it('reads it like the plain JSON', () => {
      const document = identity({ Effect: 'Allow', Action: 'kms:Encrypt', Resource: keyArn });
      const encoded = encodeURIComponent(JSON.stringify(document, null, 2));
      expect(allowed(encoded, 'kms:Encrypt')).toBe('allowed');
    });
  });

  describe('when Statement is a single object and Action a single string', () => {
    it('reads the one statement', () => {
      const policy = parsePolicy(
        identity({ Effect: 'Allow', Action: 'kms:Decrypt', Resource: '*' }),
      );
      expect(policy.statements).toHaveLength(1);
      expect(policy.statements[0]?.actions.patterns).toEqual(['kms:Decrypt']);
    });
  });

  describe('when statements have no Sid', () => {
    it('labels them by position so messages can point at them', () => {
      const policy = parsePolicy(
        identity([
          { Effect: 'Allow', Action: 'kms:Decrypt', Resource: '*' },
          { Sid: 'Named', Effect: 'Deny', Action: 'kms:Encrypt', Resource: '*' },
        ]),
      );
      expect(policy.statements.map((s) => s.label)).toEqual(['#1', 'Named']);
    });
  });

  describe('when the input is not a policy', () => {
    it.each([['not json'], [{ Statement: [{ Effect: 'Maybe' }] }], [42], [{ $gt: '' }]])(
      'refuses %j with BAD_INPUT',
      (raw) => {
        expect(() => parsePolicy(raw)).toThrow(ByokError);
      },
    );
  });
});

describe('decide', () => {
  describe('when actions use wildcards', () => {
    it('counts kms:* and * as every KMS action', () => {
      expect(
        allowed(identity({ Effect: 'Allow', Action: 'kms:*', Resource: '*' }), 'kms:Decrypt'),
      ).toBe('allowed');
      expect(
        allowed(identity({ Effect: 'Allow', Action: '*', Resource: '*' }), 'kms:Encrypt'),
      ).toBe('allowed');
    });

    it('counts kms:GenerateDataKey* for GenerateDataKey but not for Encrypt', () => {
      const document = identity({
        Effect: 'Allow',
        Action: ['kms:GenerateDataKey*'],
        Resource: '*',
      });
      expect(allowed(document, 'kms:GenerateDataKey')).toBe('allowed');
      expect(allowed(document, 'kms:Encrypt')).toBe('not-allowed');
    });

    it('does not count kms:GenerateDataKeyWithoutPlaintext for GenerateDataKey', () => {
      const document = identity({
        Effect: 'Allow',
        Action: 'kms:GenerateDataKeyWithoutPlaintext',
        Resource: '*',
      });
      expect(allowed(document, 'kms:GenerateDataKey')).toBe('not-allowed');
    });

    it('matches action names without regard to case, as AWS does', () => {
      expect(
        allowed(identity({ Effect: 'Allow', Action: 'KMS:encrypt', Resource: '*' }), 'kms:Encrypt'),
      ).toBe('allowed');
    });
  });

  describe('when a statement uses NotAction', () => {
    it('covers every action except the listed ones', () => {
      const document = identity({ Effect: 'Allow', NotAction: 'kms:Decrypt', Resource: '*' });
      expect(allowed(document, 'kms:Encrypt')).toBe('allowed');
      expect(allowed(document, 'kms:Decrypt')).toBe('not-allowed');
    });
  });

  describe('when the resource names another key', () => {
    it('does not allow this key', () => {
      const other = keyArn.replace('1234abcd', 'ffffffff');
      expect(
        allowed(identity({ Effect: 'Allow', Action: 'kms:*', Resource: other }), 'kms:Encrypt'),
      ).toBe('not-allowed');
      expect(
        allowed(
          identity({
            Effect: 'Allow',
            Action: 'kms:*',
            Resource: 'arn:aws:kms:*:111122223333:key/*',
          }),
          'kms:Encrypt',
        ),
      ).toBe('allowed');
    });
  });

  describe('when a Deny covers the action', () => {
    it('denies even though an Allow matches too', () => {
      const document = identity([
        { Effect: 'Allow', Action: 'kms:*', Resource: '*' },
        { Sid: 'NoDecrypt', Effect: 'Deny', Action: 'kms:Decrypt', Resource: '*' },
      ]);
      const decision = decide(parsePolicy(document), { action: 'kms:Decrypt', resource: keyArn });
      expect(decision).toMatchObject({ decision: 'denied', by: ['NoDecrypt'] });
    });
  });

  describe('when principals are given as a string or a list', () => {
    it('finds the role in either form', () => {
      const single = identity({
        Effect: 'Allow',
        Principal: { AWS: roleArn },
        Action: 'kms:Encrypt',
        Resource: '*',
      });
      const list = identity({
        Effect: 'Allow',
        Principal: { AWS: ['arn:aws:iam::111122223333:role/other', roleArn] },
        Action: 'kms:Encrypt',
        Resource: '*',
      });
      expect(allowed(single, 'kms:Encrypt', roleArn)).toBe('allowed');
      expect(allowed(list, 'kms:Encrypt', roleArn)).toBe('allowed');
    });

    it('does not treat the account root as a direct grant to the role', () => {
      const root = identity({
        Effect: 'Allow',
        Principal: { AWS: 'arn:aws:iam::111122223333:root' },
        Action: 'kms:*',
        Resource: '*',
      });
      expect(allowed(root, 'kms:Encrypt', roleArn)).toBe('not-allowed');
    });
  });

  describe('when an Allow has conditions the request context cannot answer', () => {
    it('does not count it and reports it as undecided', () => {
      const document = identity({
        Sid: 'ViaS3Only',
        Effect: 'Allow',
        Principal: { AWS: roleArn },
        Action: 'kms:Decrypt',
        Resource: '*',
        Condition: { StringEquals: { 'kms:ViaService': 's3.us-east-1.amazonaws.com' } },
      });
      const decision = decide(parsePolicy(document), {
        action: 'kms:Decrypt',
        resource: keyArn,
        principal: roleArn,
      });
      expect(decision).toMatchObject({ decision: 'not-allowed', undecided: ['ViaS3Only'] });
    });
  });
});
