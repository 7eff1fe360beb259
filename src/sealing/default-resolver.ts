/**
 * The key resolver where BYOK is not configured: every owner's data is sealed under the
 * platform default key. Hosts with key configurations use the key services' resolver instead,
 * which falls back to the same binding for apps that are not on BYOK.
 */
import type { KeyProvider } from '../aws/key-provider.js';
import { ByokError, ErrorCode } from '../base/errors.js';
import type { DataOwner, KeyBinding, KeyResolver } from './types.js';

/** The name admins see for data sealed under the platform default key. */
export const defaultKeyName = 'platform default key';

/** The binding of the platform default key. */
export function defaultKeyBinding(provider: KeyProvider): KeyBinding {
  return { provider, keyConfigId: null, keyName: defaultKeyName };
}

/** Binds every owner to the platform default key. */
export class DefaultKeyResolver implements KeyResolver {
  readonly binding: KeyBinding;

  constructor(provider: KeyProvider) {
    this.binding = defaultKeyBinding(provider);
  }

  /** The default key, for every owner at every time. */
  resolveForSeal(_owner: DataOwner, _at: number): Promise<KeyBinding> {
    return Promise.resolve(this.binding);
  }

  /**
   * The default key for `keyConfigId` null. Data sealed under a key configuration cannot be
   * opened here: this resolver knows no configurations.
   */
  providerFor(_tenantId: string, keyConfigId: string | null): Promise<KeyBinding> {
    if (keyConfigId === null) return Promise.resolve(this.binding);
    return Promise.reject(
      new ByokError(
        ErrorCode.KeyNotFound,
        'this data key belongs to a key configuration, and this host knows only the ' +
          'platform default key',
        { details: { keyConfigId } },
      ),
    );
  }
}
