/**
 * The contract between the features that store bot data and the key machinery below them.
 * A feature says *where* a value lives ({@link SealScope}); the {@link Sealer} decides *which
 * key* seals it (via a {@link KeyResolver}) and returns an opaque envelope plus non-secret
 * provenance that may be stored in the clear.
 */
import type { KeyProvider, ProviderKind } from '../aws/key-provider.js';

/** The owner of a piece of data: every record carries workspace, app and (for bot data) bot. */
export interface DataOwner {
  tenantId: string;
  appId: string;
  botId?: string;
}

/**
 * Where a sealed value lives. All of it is bound into the AEAD's additional data, so a
 * ciphertext copied to another tenant, app, collection, record or field fails to open.
 */
export interface SealScope extends DataOwner {
  collection: string;
  recordId: string;
  field: string;
}

/** Which key a value is sealed under, as resolved for an owner at a moment in time. */
export interface KeyBinding {
  provider: KeyProvider;
  /** The key configuration behind an AWS binding; null for the platform default key. */
  keyConfigId: string | null;
  /** Human name shown to admins ("platform default key" or the key configuration's name). */
  keyName: string;
}

/** Decides which key seals new data and finds the key that wrapped old data. */
export interface KeyResolver {
  /** The key that seals new data of `owner` at time `at` (ms since epoch). */
  resolveForSeal(owner: DataOwner, at: number): Promise<KeyBinding>;
  /** The provider for a key configuration (null: the platform default key) of a tenant. */
  providerFor(tenantId: string, keyConfigId: string | null): Promise<KeyBinding>;
}

/** Non-secret facts about how a value was sealed; safe to store in the clear for analytics. */
export interface Provenance {
  provider: ProviderKind;
  keyConfigId: string | null;
  keyName: string;
  /** The CMK ARN, or `local:<id>` for the platform default key. */
  keyRef: string;
  dekId: string;
}

/** A sealed value and how it was sealed. */
export interface Sealed {
  envelope: Buffer;
  provenance: Provenance;
}

/** Seals and opens values of bot data. Implementations must never log or throw plaintext. */
export interface Sealer {
  seal(scope: SealScope, plaintext: Buffer): Promise<Sealed>;
  /** Opens an envelope sealed for exactly this scope; any mismatch is `DECRYPT_FAILED`. */
  open(scope: SealScope, envelope: Buffer): Promise<Buffer>;
  /** Which key an envelope was sealed under, without opening it. */
  provenanceOf(scope: SealScope, envelope: Buffer): Promise<Provenance>;
}
