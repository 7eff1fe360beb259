import {
  DependencyTimeoutException,
  DisabledException,
  IncorrectKeyException,
  InvalidCiphertextException,
  InvalidKeyUsageException,
  KMSInternalException,
  KMSInvalidStateException,
  KMSServiceException,
  LimitExceededException,
  NotFoundException,
} from '@aws-sdk/client-kms';
import { RegionDisabledException, STSServiceException } from '@aws-sdk/client-sts';
import { describe, expect, it } from 'vitest';

import { fromKmsError, fromStsError } from '../../../src/aws/errors.js';
import { ByokError, ErrorCode } from '../../../src/base/errors.js';

const cmkArn = 'arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab';
const roleArn = 'arn:aws:iam::111122223333:role/byok-customer';
const serviceRoleArn = 'arn:aws:iam::000000000000:role/byok-harness-service';

/** The metadata the SDK attaches to a parsed answer. */
const meta = (httpStatusCode: number, attempts = 1) => ({ httpStatusCode, attempts });

/** An error the SDK builds for a code its model does not declare (KMS access denied, throttling). */
function unmodelled(name: string, status: number, Base = KMSServiceException) {
  return new Base({
    name,
    message: `${name} from the service`,
    $fault: status >= 500 ? 'server' : 'client',
    $metadata: meta(status),
  });
}

/** A Node network failure as the SDK's HTTP handler passes it on. */
function networkError(code: string): Error {
  return Object.assign(new Error(`connect ${code} 127.0.0.1:1`), {
    code,
    $metadata: { attempts: 3 },
  });
}

const kmsCases: [string, unknown, ErrorCode][] = [
  ['AccessDeniedException', unmodelled('AccessDeniedException', 400), ErrorCode.KeyAccessDenied],
  [
    'DisabledException',
    new DisabledException({ message: 'disabled', $metadata: meta(400) }),
    ErrorCode.KeyDisabled,
  ],
  [
    'NotFoundException',
    new NotFoundException({ message: 'no key', $metadata: meta(400) }),
    ErrorCode.KeyNotFound,
  ],
  [
    'InvalidKeyUsageException',
    new InvalidKeyUsageException({ message: 'sign only', $metadata: meta(400) }),
    ErrorCode.KeyUnusable,
  ],
  ['ThrottlingException', unmodelled('ThrottlingException', 400), ErrorCode.KmsThrottled],
  [
    'LimitExceededException',
    new LimitExceededException({ message: 'quota', $metadata: meta(400, 3) }),
    ErrorCode.KmsThrottled,
  ],
  ['TooManyRequests', unmodelled('TooManyRequests', 429), ErrorCode.KmsThrottled],
  [
    'KMSInternalException',
    new KMSInternalException({ message: 'oops', $metadata: meta(500, 3) }),
    ErrorCode.KmsUnavailable,
  ],
  [
    'DependencyTimeoutException',
    new DependencyTimeoutException({ message: 'slow', $metadata: meta(503, 3) }),
    ErrorCode.KmsUnavailable,
  ],
  ['an unnamed 502', unmodelled('UnknownError', 502), ErrorCode.KmsUnavailable],
  ['a refused connection', networkError('ECONNREFUSED'), ErrorCode.KmsUnavailable],
  ['a reset connection', networkError('ECONNRESET'), ErrorCode.KmsUnavailable],
  [
    'a request timeout',
    Object.assign(new Error('timed out'), { name: 'TimeoutError' }),
    ErrorCode.KmsUnavailable,
  ],
  ['a validation error', unmodelled('ValidationException', 400), ErrorCode.Internal],
  ['a bug in our code', new TypeError('x is undefined'), ErrorCode.Internal],
];

describe('fromKmsError', () => {
  describe.each(kmsCases)('when KMS fails with %s', (_label, error, code) => {
    it(`maps it to ${code} and keeps the AWS code and the cause`, () => {
      const mapped = fromKmsError(error, { operation: 'Decrypt', cmkArn });
      expect(mapped.code).toBe(code);
      expect(mapped.cause).toBe(error);
      const expected = (error as { name: string }).name;
      expect(mapped.details).toMatchObject({ awsCode: expected, operation: 'Decrypt' });
    });
  });

  describe('when access is denied', () => {
    it('says which policies must allow which actions', () => {
      const mapped = fromKmsError(unmodelled('AccessDeniedException', 400), {
        operation: 'GenerateDataKey',
        cmkArn,
      });
      expect(mapped.message).toContain(cmkArn);
      expect(mapped.message).toMatch(/kms:GenerateDataKey\*/);
      expect(mapped.message).toMatch(/key policy/);
      expect(mapped.retryable).toBe(false);
    });
  });

  describe('when the key is in an invalid state', () => {
    const invalidState = new KMSInvalidStateException({ message: 'state', $metadata: meta(400) });

    it.each(['PendingDeletion', 'PendingReplicaDeletion'])(
      'maps %s to KEY_PENDING_DELETION',
      (keyState) => {
        const mapped = fromKmsError(invalidState, { operation: 'Decrypt', cmkArn, keyState });
        expect(mapped.code).toBe(ErrorCode.KeyPendingDeletion);
        expect(mapped.details).toMatchObject({ awsCode: 'KMSInvalidStateException', keyState });
        expect(mapped.message).toMatch(/cancel the deletion/);
      },
    );

    it('maps any other state to KEY_UNUSABLE naming the state', () => {
      const mapped = fromKmsError(invalidState, {
        operation: 'Decrypt',
        cmkArn,
        keyState: 'PendingImport',
      });
      expect(mapped.code).toBe(ErrorCode.KeyUnusable);
      expect(mapped.message).toContain('PendingImport');
    });

    it('maps an unknown state to KEY_UNUSABLE', () => {
      expect(fromKmsError(invalidState, { operation: 'Decrypt', cmkArn }).code).toBe(
        ErrorCode.KeyUnusable,
      );
    });
  });

  describe('when the ciphertext does not open', () => {
    it.each([
      new InvalidCiphertextException({ message: 'bad', $metadata: meta(400) }),
      new IncorrectKeyException({ message: 'other key', $metadata: meta(400) }),
    ])('gives the one opaque DECRYPT_FAILED', (error) => {
      const mapped = fromKmsError(error, { operation: 'Decrypt', cmkArn });
      expect(mapped.code).toBe(ErrorCode.DecryptFailed);
      expect(mapped.message).toBe('the sealed value could not be opened');
      expect(mapped.details).toBeUndefined();
    });
  });

  describe('when throttled or unavailable', () => {
    it('reports the attempts made and is retryable', () => {
      const mapped = fromKmsError(
        new LimitExceededException({ message: 'quota', $metadata: meta(400, 3) }),
        { operation: 'Decrypt', cmkArn },
      );
      expect(mapped.details).toMatchObject({ attempts: 3 });
      expect(mapped.message).toMatch(/after 3 attempts/);
      expect(mapped.retryable).toBe(true);
    });
  });

  describe('when a ByokError arrives (assuming the role failed)', () => {
    it('passes it through unchanged', () => {
      const trust = new ByokError(ErrorCode.RoleTrustNotConfigured, 'trust');
      expect(fromKmsError(trust, { operation: 'Decrypt', cmkArn })).toBe(trust);
    });
  });
});

describe('fromStsError', () => {
  describe('when STS answers AccessDenied (wrong external ID or principal)', () => {
    it('maps it to ROLE_TRUST_NOT_CONFIGURED naming the service role and the condition', () => {
      const error = unmodelled('AccessDenied', 403, STSServiceException);
      const mapped = fromStsError(error, { roleArn, serviceRoleArn });
      expect(mapped.code).toBe(ErrorCode.RoleTrustNotConfigured);
      expect(mapped.details).toMatchObject({ awsCode: 'AccessDenied', operation: 'AssumeRole' });
      expect(mapped.cause).toBe(error);
      expect(mapped.message).toContain(roleArn);
      expect(mapped.message).toContain(serviceRoleArn);
      expect(mapped.message).toMatch(/sts:ExternalId/);
      expect(mapped.retryable).toBe(false);
    });
  });

  describe('when STS is not activated in the region', () => {
    it('maps it to ROLE_TRUST_NOT_CONFIGURED', () => {
      const error = new RegionDisabledException({ message: 'off', $metadata: meta(403) });
      expect(fromStsError(error, { roleArn }).code).toBe(ErrorCode.RoleTrustNotConfigured);
    });
  });

  describe.each([
    ['Throttling', unmodelled('Throttling', 400, STSServiceException)],
    ['InternalFailure', unmodelled('InternalFailure', 500, STSServiceException)],
    ['ServiceUnavailable', unmodelled('ServiceUnavailable', 503, STSServiceException)],
    ['a refused connection', networkError('ECONNREFUSED')],
    ['a request timeout', Object.assign(new Error('slow'), { name: 'TimeoutError' })],
  ])('when STS fails with %s', (_label, error) => {
    it('maps it to STS_UNAVAILABLE, which is retryable', () => {
      const mapped = fromStsError(error, { roleArn });
      expect(mapped.code).toBe(ErrorCode.StsUnavailable);
      expect(mapped.retryable).toBe(true);
    });
  });

  describe("when STS refuses the platform's own credentials", () => {
    it('maps it to STS_UNAVAILABLE and says the operator must act', () => {
      const mapped = fromStsError(unmodelled('InvalidClientTokenId', 403, STSServiceException), {
        roleArn,
      });
      expect(mapped.code).toBe(ErrorCode.StsUnavailable);
      expect(mapped.message).toMatch(/operator/);
    });
  });
});
