/**
 * What an admin should change when their key cannot be used, by error code. Test
 * Configuration shows these next to each failed step and key health shows them next to a lost
 * key, so both always say the same thing.
 */
import type { ByokError } from '../base/errors.js';
import type { KeyTarget } from './aws-access.js';

/** Which DescribeKey check failed, carried in `details.mismatch` of a `KEY_UNUSABLE` error. */
export const mismatch = { keyType: 'key_type', region: 'region', arn: 'arn' } as const;

/** Facts a fix may quote; none of them is a secret. */
export type FixTarget = KeyTarget & { serviceRoleArn: string };

/** An actionable fix for `error` on `target`. */
export function fixFor(error: ByokError, t: FixTarget): string {
  const keyActions = 'kms:Encrypt, kms:Decrypt, kms:GenerateDataKey* and kms:DescribeKey';
  switch (error.code) {
    case 'ROLE_TRUST_NOT_CONFIGURED':
      return (
        `the trust policy of ${t.roleArn} must name ${t.serviceRoleArn} as principal for ` +
        `sts:AssumeRole with the condition sts:ExternalId = ${t.externalId}`
      );
    case 'KEY_ACCESS_DENIED':
      return (
        `the key policy of ${t.cmkArn} must allow ${t.roleArn} ${keyActions}, and the role ` +
        `must have an IAM policy allowing the same actions on the key`
      );
    case 'KEY_DISABLED':
      return `enable the key ${t.cmkArn} in AWS KMS (EnableKey), then test again`;
    case 'KEY_PENDING_DELETION':
      return (
        `cancel the scheduled deletion of ${t.cmkArn} (CancelKeyDeletion) and enable the key, ` +
        `then test again`
      );
    case 'KEY_NOT_FOUND':
      return (
        `no key ${t.cmkArn} was found: check the key id, the region and the account in the ` +
        `ARN; the ARN must be the key's own ARN from the KMS console`
      );
    case 'KEY_UNUSABLE':
      return unusableFix(error, t);
    case 'KMS_THROTTLED':
    case 'KMS_UNAVAILABLE':
    case 'STS_UNAVAILABLE':
      return 'AWS did not answer in time or throttled the request; test again in a few minutes';
    case 'INVALID_ARN':
      return 'correct the ARN as the message says';
    default:
      return 'an unexpected error occurred; test again, and contact support if it persists';
  }
}

function unusableFix(error: ByokError, t: FixTarget): string {
  const kind = error.details?.mismatch;
  if (kind === mismatch.keyType) {
    return 'use a symmetric encryption key: key spec SYMMETRIC_DEFAULT, key usage ENCRYPT_DECRYPT';
  }
  if (kind === mismatch.region) {
    const actual =
      typeof error.details?.actualRegion === 'string'
        ? error.details.actualRegion
        : 'another region';
    return `the key lives in ${actual}: copy the key ARN from that region's KMS console`;
  }
  if (kind === mismatch.arn) {
    return `the key found is not ${t.cmkArn}: copy the key ARN (not an alias) from the KMS console`;
  }
  return `the key ${t.cmkArn} cannot be used as is: check its state in AWS KMS and test again`;
}
