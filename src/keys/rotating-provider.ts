/**
 * A key configuration's provider across rotations. New data keys are generated and wrapped by
 * the current CMK; a data key that is still wrapped by a retired CMK (rotation not finished
 * yet) is unwrapped by that CMK. KMS Decrypt is pinned to one key and refuses a ciphertext of
 * another key as `DECRYPT_FAILED`, so only that failure moves on to the next older key: an
 * access or availability failure of the current key is reported as it is, never masked.
 */
import {
  type EncryptionContext,
  type GeneratedDataKey,
  type KeyDescription,
  type KeyProvider,
  ProviderKind,
} from '../aws/key-provider.js';
import { isByokError } from '../base/errors.js';

/** The current CMK of a configuration, falling back to retired CMKs for unwrapping only. */
export class RotatingKeyProvider implements KeyProvider {
  readonly kind = ProviderKind.Aws;
  readonly keyRef: string;

  /**
   * @param current - the configuration's CMK now.
   * @param retired - CMKs it used before, newest first.
   */
  constructor(
    readonly current: KeyProvider,
    readonly retired: readonly KeyProvider[],
  ) {
    this.keyRef = current.keyRef;
  }

  generateDataKey(context: EncryptionContext): Promise<GeneratedDataKey> {
    return this.current.generateDataKey(context);
  }

  async decryptDataKey(wrapped: Buffer, context: EncryptionContext): Promise<Buffer> {
    let firstFailure: unknown;
    for (const provider of [this.current, ...this.retired]) {
      try {
        return await provider.decryptDataKey(wrapped, context);
      } catch (error) {
        if (!isByokError(error, 'DECRYPT_FAILED')) throw error;
        firstFailure ??= error;
      }
    }
    throw firstFailure;
  }

  wrapDataKey(plaintext: Buffer, context: EncryptionContext): Promise<Buffer> {
    return this.current.wrapDataKey(plaintext, context);
  }

  describe(): Promise<KeyDescription> {
    return this.current.describe();
  }

  /** The provider for a given key reference (current or retired), if this configuration used it. */
  forKeyRef(keyRef: string): KeyProvider | undefined {
    return [this.current, ...this.retired].find((p) => p.keyRef === keyRef);
  }
}
