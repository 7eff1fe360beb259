/**
 * Turns AWS SDK failures into {@link ByokError}s. The decision is made from what the SDK parsed
 * off the wire (the exception `name`, `$metadata.httpStatusCode`, `$retryable`) and from Node's
 * network error codes, never from message text. Messages tell the admin what to change in their
 * AWS account; `details.awsCode` keeps the AWS name for the API, the console and the audit trail.
 *
 * Retrying is not decided here: the SDK's standard retry strategy has already retried throttling
 * and transient failures by the time an error reaches these functions (see `clients.ts`).
 */
import { ByokError, decryptFailed, ErrorCode } from '../base/errors.js';

/** What the SDK parsed about a failure; every field is optional because anything can be thrown. */
export interface AwsErrorFacts {
  /** AWS exception name (`AccessDeniedException`), or the JS error name for local failures. */
  name: string | undefined;
  /** HTTP status of the answer; undefined when no answer arrived. */
  status: number | undefined;
  /** Attempts the SDK made, retries included. */
  attempts: number | undefined;
  /** The error is marked as throttling by the service model or by status 429. */
  throttling: boolean;
  /** No answer: a timeout, a refused or reset connection, an unresolvable host. */
  network: boolean;
}

/** Key states in which KMS refuses a key because it is about to be deleted. */
export const pendingDeletionStates: readonly string[] = [
  'PendingDeletion',
  'PendingReplicaDeletion',
];

const kmsThrottleNames = new Set([
  'ThrottlingException',
  'LimitExceededException',
  'TooManyRequests',
  'TooManyRequestsException',
]);
const kmsTransientNames = new Set([
  'KMSInternalException',
  'DependencyTimeoutException',
  'KeyUnavailableException',
]);
const stsThrottleNames = new Set(['Throttling', 'ThrottlingException', 'TooManyRequests']);
const timeoutNames = new Set(['TimeoutError', 'RequestTimeout', 'RequestTimeoutException']);
const networkCodes = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'UND_ERR_SOCKET',
]);
/** The platform's own credentials were refused; the tenant cannot fix that. */
const platformCredentialNames = new Set([
  'InvalidClientTokenId',
  'UnrecognizedClientException',
  'SignatureDoesNotMatch',
  'InvalidSignatureException',
  'ExpiredToken',
  'ExpiredTokenException',
  'IncompleteSignature',
]);

/** Reads the facts the SDK attached to a thrown value. */
export function awsErrorFacts(error: unknown): AwsErrorFacts {
  const e = (typeof error === 'object' && error !== null ? error : {}) as {
    name?: unknown;
    code?: unknown;
    $metadata?: { httpStatusCode?: unknown; attempts?: unknown };
    $retryable?: { throttling?: unknown };
  };
  const name = typeof e.name === 'string' ? e.name : undefined;
  const status =
    typeof e.$metadata?.httpStatusCode === 'number' ? e.$metadata.httpStatusCode : undefined;
  const attempts = typeof e.$metadata?.attempts === 'number' ? e.$metadata.attempts : undefined;
  const code = typeof e.code === 'string' ? e.code : undefined;

  return {
    name,
    status,
    attempts,
    throttling: status === 429 || e.$retryable?.throttling === true,
    network:
      status === undefined &&
      ((name !== undefined && timeoutNames.has(name)) ||
        (code !== undefined && networkCodes.has(code))),
  };
}

/** True when the failure is `KMSInvalidStateException`, whose meaning depends on the key state. */
export function isKmsInvalidState(error: unknown): boolean {
  return awsErrorFacts(error).name === 'KMSInvalidStateException';
}

/** What was being done when KMS failed. */
export interface KmsFailureContext {
  /** KMS operation, e.g. `GenerateDataKey`. */
  operation: string;
  cmkArn: string;
  /** KeyState from a follow-up DescribeKey, for `KMSInvalidStateException`. */
  keyState?: string | undefined;
}

/** Maps a KMS failure; a {@link ByokError} (e.g. from assuming the role) passes through. */
export function fromKmsError(error: unknown, context: KmsFailureContext): ByokError {
  if (error instanceof ByokError) return error;
  const facts = awsErrorFacts(error);
  const { operation, cmkArn } = context;
  const make = (code: ErrorCode, message: string) =>
    new ByokError(code, message, { cause: error, details: detailsOf(facts, operation, context) });

  switch (facts.name) {
    case 'AccessDeniedException':
      return make(
        ErrorCode.KeyAccessDenied,
        `KMS refused ${operation} on ${cmkArn} for the assumed role: the role's IAM policy must ` +
          'allow kms:Encrypt, kms:Decrypt, kms:GenerateDataKey* and kms:DescribeKey on this key, ' +
          'and the key policy must name the role as a key user',
      );
    case 'DisabledException':
      return make(
        ErrorCode.KeyDisabled,
        `the KMS key ${cmkArn} is disabled: enable it in AWS KMS to restore access`,
      );
    case 'KMSInvalidStateException':
      return pendingDeletionStates.includes(context.keyState ?? '')
        ? make(
            ErrorCode.KeyPendingDeletion,
            `the KMS key ${cmkArn} is scheduled for deletion: cancel the deletion and enable ` +
              'the key, or everything sealed under it becomes unreadable once it is deleted',
          )
        : make(
            ErrorCode.KeyUnusable,
            `the KMS key ${cmkArn} is in state ${context.keyState ?? 'unknown'} and cannot be ` +
              'used: bring it back to Enabled in AWS KMS',
          );
    case 'InvalidKeyUsageException':
    case 'UnsupportedOperationException':
      return make(
        ErrorCode.KeyUnusable,
        `the KMS key ${cmkArn} cannot ${operation}: BYOK needs a symmetric key ` +
          '(SYMMETRIC_DEFAULT) with key usage ENCRYPT_DECRYPT',
      );
    case 'NotFoundException':
      return make(
        ErrorCode.KeyNotFound,
        `KMS has no key ${cmkArn}: check the key ARN (its region and account too) and that ` +
          'the key was not deleted',
      );
    case 'InvalidCiphertextException':
    case 'IncorrectKeyException':
      return decryptFailed(error);
  }

  if (facts.throttling || (facts.name !== undefined && kmsThrottleNames.has(facts.name))) {
    return make(
      ErrorCode.KmsThrottled,
      `KMS throttled ${operation} on ${cmkArn} after ${facts.attempts ?? 1} attempts: ` +
        'try again later, or raise the KMS request quota of the key’s account',
    );
  }
  if (
    facts.network ||
    (facts.status !== undefined && facts.status >= 500) ||
    (facts.name !== undefined && kmsTransientNames.has(facts.name))
  ) {
    return make(
      ErrorCode.KmsUnavailable,
      `KMS could not be reached or failed for ${operation} in ${regionOf(cmkArn)} after ` +
        `${facts.attempts ?? 1} attempts: try again later`,
    );
  }
  if (facts.name !== undefined && platformCredentialNames.has(facts.name)) {
    return make(
      ErrorCode.KmsUnavailable,
      `KMS did not accept the assumed-role credentials for ${operation}: try again later`,
    );
  }
  return make(ErrorCode.Internal, `KMS ${operation} failed unexpectedly`);
}

/** What was being done when STS failed. */
export interface StsFailureContext {
  roleArn: string;
  /** The platform's service role, named in the fix. */
  serviceRoleArn?: string | undefined;
}

/** Maps an STS AssumeRole failure. */
export function fromStsError(error: unknown, context: StsFailureContext): ByokError {
  if (error instanceof ByokError) return error;
  const facts = awsErrorFacts(error);
  const make = (code: ErrorCode, message: string) =>
    new ByokError(code, message, {
      cause: error,
      details: detailsOf(facts, 'AssumeRole', {}),
    });
  const principal = context.serviceRoleArn ?? "the platform's service role";

  if (facts.name === 'AccessDenied' || facts.name === 'AccessDeniedException') {
    return make(
      ErrorCode.RoleTrustNotConfigured,
      `the platform may not assume ${context.roleArn}: the role's trust policy must allow ` +
        `${principal} to call sts:AssumeRole with the condition StringEquals sts:ExternalId ` +
        "equal to this workspace's external ID",
    );
  }
  if (facts.name === 'RegionDisabledException') {
    return make(
      ErrorCode.RoleTrustNotConfigured,
      `STS is not activated for the role's account in this region: activate the region in ` +
        `the account of ${context.roleArn}`,
    );
  }
  if (
    facts.throttling ||
    facts.network ||
    (facts.status !== undefined && facts.status >= 500) ||
    (facts.name !== undefined && stsThrottleNames.has(facts.name))
  ) {
    return make(
      ErrorCode.StsUnavailable,
      `STS could not be reached, failed or throttled AssumeRole after ${facts.attempts ?? 1} ` +
        'attempts: try again later',
    );
  }
  if (facts.name !== undefined && platformCredentialNames.has(facts.name)) {
    return make(
      ErrorCode.StsUnavailable,
      "STS refused the platform's own AWS credentials: the platform operator must fix them",
    );
  }
  return make(ErrorCode.Internal, 'STS AssumeRole failed unexpectedly');
}

function detailsOf(
  facts: AwsErrorFacts,
  operation: string,
  context: { keyState?: string | undefined },
): Record<string, unknown> {
  return {
    awsCode: facts.name ?? 'Unknown',
    operation,
    ...(facts.attempts === undefined ? {} : { attempts: facts.attempts }),
    ...(context.keyState === undefined ? {} : { keyState: context.keyState }),
  };
}

function regionOf(cmkArn: string): string {
  return cmkArn.split(':')[3] ?? 'its region';
}
