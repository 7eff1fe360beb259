import { describe, expect, it } from 'vitest';

import { parseIamRoleArn, parseKmsKeyArn } from '../../../src/aws/arn.js';
import { ByokError } from '../../../src/base/errors.js';

const keyUuid = '1234abcd-12ab-34cd-56ef-1234567890ab';
const goodKey = `arn:aws:kms:us-east-1:111122223333:key/${keyUuid}`;
const goodRole = 'arn:aws:iam::111122223333:role/byok-customer';

/** Runs `parse` and returns the ByokError it throws (fails the test when it does not throw). */
function refusal(parse: () => unknown): ByokError {
  try {
    parse();
  } catch (error) {
    expect(error).toBeInstanceOf(ByokError);
    return error as ByokError;
  }
  throw new Error('expected the ARN to be refused');
}

describe('parseKmsKeyArn', () => {
  describe('when the ARN is a valid key ARN', () => {
    it('returns partition, region, account and key id', () => {
      expect(parseKmsKeyArn(goodKey)).toEqual({
        arn: goodKey,
        partition: 'aws',
        region: 'us-east-1',
        accountId: '111122223333',
        keyId: keyUuid,
        multiRegion: false,
      });
    });

    it('accepts a multi-Region key id', () => {
      const arn = 'arn:aws:kms:eu-west-1:111122223333:key/mrk-1234abcd12ab34cd56ef1234567890ab';
      expect(parseKmsKeyArn(arn)).toMatchObject({
        keyId: 'mrk-1234abcd12ab34cd56ef1234567890ab',
        multiRegion: true,
      });
    });

    it.each([
      ['aws-cn', 'cn-north-1'],
      ['aws-us-gov', 'us-gov-west-1'],
      ['aws', 'ap-southeast-2'],
      ['aws', 'il-central-1'],
    ])('accepts partition %s with region %s', (partition, region) => {
      const arn = `arn:${partition}:kms:${region}:111122223333:key/${keyUuid}`;
      expect(parseKmsKeyArn(arn)).toMatchObject({ partition, region });
    });
  });

  describe('when one part is wrong', () => {
    it.each([
      ['partition', `arn:aws-xx:kms:us-east-1:111122223333:key/${keyUuid}`],
      ['service', `arn:aws:kmss:us-east-1:111122223333:key/${keyUuid}`],
      ['service', `arn:aws:iam:us-east-1:111122223333:key/${keyUuid}`],
      ['region', `arn:aws:kms::111122223333:key/${keyUuid}`],
      ['region', `arn:aws:kms:moon-base-1:111122223333:key/${keyUuid}`],
      ['region', `arn:aws:kms:US-EAST-1:111122223333:key/${keyUuid}`],
      ['region', `arn:aws:kms:cn-north-1:111122223333:key/${keyUuid}`],
      ['region', `arn:aws-cn:kms:us-east-1:111122223333:key/${keyUuid}`],
      ['account', `arn:aws:kms:us-east-1:11112222333:key/${keyUuid}`],
      ['account', `arn:aws:kms:us-east-1:11112222333a:key/${keyUuid}`],
      ['resource', 'arn:aws:kms:us-east-1:111122223333:key/not-a-uuid'],
      ['resource', `arn:aws:kms:us-east-1:111122223333:key/${keyUuid.toUpperCase()}`],
      ['resource', `arn:aws:kms:us-east-1:111122223333:keys/${keyUuid}`],
      ['resource', 'arn:aws:kms:us-east-1:111122223333:key/mrk-123'],
      ['arn', `arn:aws:kms:us-east-1:111122223333`],
      ['arn', `urn:aws:kms:us-east-1:111122223333:key/${keyUuid}`],
      ['arn', `${goodKey}:extra`],
      ['arn', keyUuid],
    ])('names the %s as the wrong part of %s', (field, arn) => {
      const error = refusal(() => parseKmsKeyArn(arn));
      expect(error.code).toBe('INVALID_ARN');
      expect(error.details).toMatchObject({ field });
      expect(error.message).toContain('KMS key ARN');
    });
  });

  describe('when an alias is given', () => {
    it('refuses it and says a key ARN is required', () => {
      const error = refusal(() =>
        parseKmsKeyArn('arn:aws:kms:us-east-1:111122223333:alias/byok-key'),
      );
      expect(error.code).toBe('INVALID_ARN');
      expect(error.details).toMatchObject({ field: 'resource' });
      expect(error.message).toMatch(/alias/);
      expect(error.message).toMatch(/key ARN .* is required/);
    });
  });

  describe('when the value is not a string', () => {
    it.each([[{ $gt: '' }], [null], [undefined], [42], [[goodKey]]])('refuses %j', (value) => {
      const error = refusal(() => parseKmsKeyArn(value));
      expect(error.code).toBe('INVALID_ARN');
      expect(error.details).toMatchObject({ field: 'arn' });
    });
  });

  describe('when the value is enormous', () => {
    it('refuses it without echoing it back', () => {
      const error = refusal(() => parseKmsKeyArn(`arn:aws:kms:${'x'.repeat(5000)}`));
      expect(error.details).toMatchObject({ field: 'arn' });
      expect(error.message.length).toBeLessThan(200);
    });
  });
});

describe('parseIamRoleArn', () => {
  describe('when the ARN is a valid role ARN', () => {
    it('returns partition, account, role name and the root path', () => {
      expect(parseIamRoleArn(goodRole)).toEqual({
        arn: goodRole,
        partition: 'aws',
        accountId: '111122223333',
        roleName: 'byok-customer',
        path: '/',
      });
    });

    it('returns the path of a role with one', () => {
      const arn = 'arn:aws-us-gov:iam::111122223333:role/platform/keys/Byok.Role+1@x=y,z';
      expect(parseIamRoleArn(arn)).toMatchObject({
        partition: 'aws-us-gov',
        roleName: 'Byok.Role+1@x=y,z',
        path: '/platform/keys/',
      });
    });
  });

  describe('when one part is wrong', () => {
    it.each([
      ['partition', 'arn:azure:iam::111122223333:role/r'],
      ['service', 'arn:aws:sts::111122223333:role/r'],
      ['region', 'arn:aws:iam:us-east-1:111122223333:role/r'],
      ['account', 'arn:aws:iam::1111-2222-3333:role/r'],
      ['resource', 'arn:aws:iam::111122223333:user/r'],
      ['resource', 'arn:aws:iam::111122223333:assumed-role/r/s'],
      ['resource', 'arn:aws:iam::111122223333:role/'],
      ['resource', 'arn:aws:iam::111122223333:role/has space'],
      ['resource', `arn:aws:iam::111122223333:role/${'n'.repeat(65)}`],
      ['resource', 'arn:aws:iam::111122223333:role/a//b'],
      ['resource', `arn:aws:iam::111122223333:role/${'p/'.repeat(300)}r`],
    ])('names the %s as the wrong part of %s', (field, arn) => {
      const error = refusal(() => parseIamRoleArn(arn));
      expect(error.code).toBe('INVALID_ARN');
      expect(error.details).toMatchObject({ field });
      expect(error.message).toContain('IAM role ARN');
    });
  });

  describe('when the value is not a string', () => {
    it.each([[{ $ne: null }], [true], [{}]])('refuses %j', (value) => {
      expect(refusal(() => parseIamRoleArn(value)).details).toMatchObject({ field: 'arn' });
    });
  });
});
