/**
 * The seam between the key lifecycle and AWS: assume a tenant's role and get a key provider
 * for its CMK. The key library depends only on this small interface; `module.ts` builds it
 * from the platform's STS and KMS clients, and tests use the same real clients against the
 * local servers or the fault endpoint.
 */
import type { KeyProvider } from '../aws/key-provider.js';

/** Everything needed to reach one tenant's key. */
export interface KeyTarget {
  tenantId: string;
  cmkArn: string;
  roleArn: string;
  /** The workspace's external ID, sent with AssumeRole. */
  externalId: string;
}

/** Reaches tenants' keys through their roles. */
export interface AwsKeyAccess {
  /** Assumes the role with the external ID; throws `ByokError` (`ROLE_TRUST_NOT_CONFIGURED`, ...). */
  assumeRole(target: KeyTarget): Promise<void>;
  /** A provider for the CMK whose calls run with the assumed role's credentials. */
  provider(target: KeyTarget): KeyProvider;
}
