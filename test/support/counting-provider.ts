/**
 * A key provider wrapper that counts calls, so tests can see how often the sealing code asks
 * KMS (or the local key) for something. It forwards every call to the real provider.
 */
import type {
  EncryptionContext,
  GeneratedDataKey,
  KeyDescription,
  KeyProvider,
} from '../../src/aws/key-provider.js';

/** Calls per method. */
export interface ProviderCalls {
  generateDataKey: number;
  decryptDataKey: number;
  wrapDataKey: number;
  describe: number;
}

/** Counts the calls made to `inner`. */
export class CountingKeyProvider implements KeyProvider {
  readonly calls: ProviderCalls = {
    generateDataKey: 0,
    decryptDataKey: 0,
    wrapDataKey: 0,
    describe: 0,
  };

  constructor(readonly inner: KeyProvider) {}

  get kind() {
    return this.inner.kind;
  }

  get keyRef() {
    return this.inner.keyRef;
  }

  generateDataKey(context: EncryptionContext): Promise<GeneratedDataKey> {
    this.calls.generateDataKey++;
    return this.inner.generateDataKey(context);
  }

  decryptDataKey(wrapped: Buffer, context: EncryptionContext): Promise<Buffer> {
    this.calls.decryptDataKey++;
    return this.inner.decryptDataKey(wrapped, context);
  }

  wrapDataKey(plaintext: Buffer, context: EncryptionContext): Promise<Buffer> {
    this.calls.wrapDataKey++;
    return this.inner.wrapDataKey(plaintext, context);
  }

  describe(): Promise<KeyDescription> {
    this.calls.describe++;
    return this.inner.describe();
  }

  /** Sets every counter back to zero. */
  reset(): void {
    this.calls.generateDataKey = 0;
    this.calls.decryptDataKey = 0;
    this.calls.wrapDataKey = 0;
    this.calls.describe = 0;
  }
}
