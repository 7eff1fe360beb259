/**
 * One error type for the whole project. Every failure that crosses a module boundary is a
 * {@link ByokError} with a stable string `code`, the `fault` it belongs to, and (where there is
 * one) the underlying `cause`. Callers branch on `code`, never on `message`; HTTP maps codes to
 * status in one place (`src/http/errors.ts`), and the CLI maps them to exit codes.
 *
 * Messages are written for the person who has to act on them and must never contain plaintext
 * secrets, message text or key material.
 */

/** Who has to act for the failure to go away. */
export const Fault = {
  /** The request itself is wrong: bad input, missing authentication, a refused action. */
  Caller: 'caller',
  /** The tenant's AWS set-up (role trust, key policy, key state) does not allow the operation. */
  TenantConfig: 'tenant-config',
  /** A dependency (KMS, STS, the database) failed or was unreachable. */
  Dependency: 'dependency',
  /** A bug or an unexpected state inside this service. */
  Internal: 'internal',
} as const;
export type Fault = (typeof Fault)[keyof typeof Fault];

/**
 * Stable error codes. Adding a code is fine; renaming or reusing one breaks API clients,
 * stored audit entries and dashboards.
 */
export const ErrorCode = {
  // Caller faults.
  BadInput: 'BAD_INPUT',
  InvalidArn: 'INVALID_ARN',
  NotFound: 'NOT_FOUND',
  Conflict: 'CONFLICT',
  Unauthenticated: 'UNAUTHENTICATED',
  Forbidden: 'FORBIDDEN',
  PayloadTooLarge: 'PAYLOAD_TOO_LARGE',
  UnsupportedMediaType: 'UNSUPPORTED_MEDIA_TYPE',
  RateLimited: 'RATE_LIMITED',
  LinkExpired: 'LINK_EXPIRED',
  LinkInvalid: 'LINK_INVALID',
  // Envelope problems: structure is checked before any key is touched.
  EnvelopeMalformed: 'ENVELOPE_MALFORMED',
  EnvelopeVersionUnsupported: 'ENVELOPE_VERSION_UNSUPPORTED',
  /** The one opaque failure for every ciphertext that does not authenticate. */
  DecryptFailed: 'DECRYPT_FAILED',
  // Tenant configuration faults (the customer's AWS account must change).
  KeyAccessDenied: 'KEY_ACCESS_DENIED',
  KeyDisabled: 'KEY_DISABLED',
  KeyPendingDeletion: 'KEY_PENDING_DELETION',
  KeyNotFound: 'KEY_NOT_FOUND',
  KeyUnusable: 'KEY_UNUSABLE',
  RoleTrustNotConfigured: 'ROLE_TRUST_NOT_CONFIGURED',
  // Dependency faults.
  KmsThrottled: 'KMS_THROTTLED',
  KmsUnavailable: 'KMS_UNAVAILABLE',
  StsUnavailable: 'STS_UNAVAILABLE',
  DatabaseUnavailable: 'DATABASE_UNAVAILABLE',
  // Internal.
  ConfigInvalid: 'CONFIG_INVALID',
  NotSupported: 'NOT_SUPPORTED',
  Internal: 'INTERNAL',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

const faultOf: Record<ErrorCode, Fault> = {
  BAD_INPUT: Fault.Caller,
  INVALID_ARN: Fault.Caller,
  NOT_FOUND: Fault.Caller,
  CONFLICT: Fault.Caller,
  UNAUTHENTICATED: Fault.Caller,
  FORBIDDEN: Fault.Caller,
  PAYLOAD_TOO_LARGE: Fault.Caller,
  UNSUPPORTED_MEDIA_TYPE: Fault.Caller,
  RATE_LIMITED: Fault.Caller,
  LINK_EXPIRED: Fault.Caller,
  LINK_INVALID: Fault.Caller,
  ENVELOPE_MALFORMED: Fault.Caller,
  ENVELOPE_VERSION_UNSUPPORTED: Fault.Caller,
  DECRYPT_FAILED: Fault.Caller,
  KEY_ACCESS_DENIED: Fault.TenantConfig,
  KEY_DISABLED: Fault.TenantConfig,
  KEY_PENDING_DELETION: Fault.TenantConfig,
  KEY_NOT_FOUND: Fault.TenantConfig,
  KEY_UNUSABLE: Fault.TenantConfig,
  ROLE_TRUST_NOT_CONFIGURED: Fault.TenantConfig,
  KMS_THROTTLED: Fault.Dependency,
  KMS_UNAVAILABLE: Fault.Dependency,
  STS_UNAVAILABLE: Fault.Dependency,
  DATABASE_UNAVAILABLE: Fault.Dependency,
  CONFIG_INVALID: Fault.Internal,
  NOT_SUPPORTED: Fault.Internal,
  INTERNAL: Fault.Internal,
};

/** Codes whose operation may succeed if simply tried again later. */
const retryableCodes: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  ErrorCode.KmsThrottled,
  ErrorCode.KmsUnavailable,
  ErrorCode.StsUnavailable,
  ErrorCode.DatabaseUnavailable,
]);

/** Options accepted by {@link ByokError}. */
export interface ByokErrorOptions {
  /** The error that caused this one; kept for logs, never shown to API clients. */
  cause?: unknown;
  /** Safe, structured facts for API clients (a field name, an AWS error code); never secrets. */
  details?: Readonly<Record<string, unknown>>;
}

/** The project's error: a stable code, a fault, and a message a person can act on. */
export class ByokError extends Error {
  override readonly name = 'ByokError';
  readonly code: ErrorCode;
  readonly details: Readonly<Record<string, unknown>> | undefined;

  constructor(code: ErrorCode, message: string, options: ByokErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.details = options.details;
  }

  /** Who has to act for this failure to go away. */
  get fault(): Fault {
    return faultOf[this.code];
  }

  /** Whether trying the same operation again later may succeed. */
  get retryable(): boolean {
    return retryableCodes.has(this.code);
  }
}

/** A known gap: the operation is understood but not implemented. Listed in the README. */
export class NotSupported extends ByokError {
  constructor(what: string) {
    super(ErrorCode.NotSupported, `${what} is not supported by byok-harness yet`);
  }
}

/** The single error for any ciphertext that fails to open; it says nothing about why. */
export function decryptFailed(cause?: unknown): ByokError {
  return new ByokError(
    ErrorCode.DecryptFailed,
    'the sealed value could not be opened',
    cause === undefined ? {} : { cause },
  );
}

/** True when `error` is a {@link ByokError}, optionally with one of the given codes. */
export function isByokError(error: unknown, ...codes: ErrorCode[]): error is ByokError {
  return error instanceof ByokError && (codes.length === 0 || codes.includes(error.code));
}

/** Wraps anything thrown into a {@link ByokError}; a ByokError passes through unchanged. */
export function toByokError(error: unknown): ByokError {
  if (error instanceof ByokError) return error;
  return new ByokError(ErrorCode.Internal, 'an unexpected internal error occurred', {
    cause: error,
  });
}
