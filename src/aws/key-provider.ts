/**
 * The small interface every key-encryption key sits behind: the tenant's AWS KMS key (`aws`)
 * or the platform's own default key (`local`). Data keys are generated, wrapped and unwrapped
 * only through it, so the sealing code never knows which one it is talking to.
 */

/**
 * Non-secret facts bound to a wrapped data key. For AWS it is the KMS encryption context,
 * which appears in the customer's CloudTrail: it must never hold a secret.
 */
export type EncryptionContext = Readonly<Record<string, string>>;

/** Which kind of key wraps the data keys. */
export const ProviderKind = { Aws: 'aws', Local: 'local' } as const;
export type ProviderKind = (typeof ProviderKind)[keyof typeof ProviderKind];

/** A fresh data key: the plaintext (zero it when done) and its wrapped form for storage. */
export interface GeneratedDataKey {
  plaintext: Buffer;
  wrapped: Buffer;
}

/** What DescribeKey says about a key, reduced to what the platform checks. */
export interface KeyDescription {
  keyId: string;
  arn: string;
  enabled: boolean;
  /** AWS KeyState: Enabled, Disabled, PendingDeletion, ... */
  state: string;
  /** SYMMETRIC_DEFAULT for the keys BYOK accepts. */
  spec: string;
  /** ENCRYPT_DECRYPT for the keys BYOK accepts. */
  usage: string;
}

/** A key-encryption key. Every method throws `ByokError` with a key or dependency code. */
export interface KeyProvider {
  readonly kind: ProviderKind;
  /** Stable reference stored with each wrapped key: the CMK ARN, or `local:<key id>`. */
  readonly keyRef: string;
  /** Creates a 256-bit data key (KMS GenerateDataKey). */
  generateDataKey(context: EncryptionContext): Promise<GeneratedDataKey>;
  /** Unwraps a stored data key (KMS Decrypt). The result is the caller's to zero. */
  decryptDataKey(wrapped: Buffer, context: EncryptionContext): Promise<Buffer>;
  /** Wraps an existing plaintext data key (KMS Encrypt); used to rewrap on rotation. */
  wrapDataKey(plaintext: Buffer, context: EncryptionContext): Promise<Buffer>;
  /** Reads the key's state (KMS DescribeKey). */
  describe(): Promise<KeyDescription>;
}
