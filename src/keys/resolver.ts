/**
 * Which key seals an owner's new data, and which key unwraps old data keys. A workspace's
 * scheduled configuration applies from 00:00 UTC of its enforcement date to the apps and bots
 * it selects; everything else uses the platform default key. Lookups are cached briefly (a
 * few seconds), and this process drops its copy as soon as a configuration changes; another
 * host process sees a change within the cache time.
 *
 * The resolver never falls back to the default key because the tenant's key failed: if the
 * configuration says CMK, the binding is the CMK and a failure surfaces to the caller.
 */
import type { Clock } from '../base/clock.js';
import { ByokError, ErrorCode } from '../base/errors.js';
import type { DataOwner, KeyBinding, KeyResolver } from '../sealing/types.js';
import type { TenancyDirectory } from '../tenancy/directory.js';
import type { AwsKeyAccess } from './aws-access.js';
import { type KeyConfigDoc, startOfDay } from './model.js';
import { RotatingKeyProvider } from './rotating-provider.js';
import { isSelected } from './selection.js';
import type { KeyConfigStore } from './store.js';

/** What {@link KeyConfigResolver} needs. */
export interface KeyConfigResolverDeps {
  store: KeyConfigStore;
  directory: TenancyDirectory;
  access: AwsKeyAccess;
  clock: Clock;
  /** The platform default key's binding (`keyConfigId: null`). */
  localBinding: KeyBinding;
  /** How long a lookup is reused; default 5 seconds. */
  cacheMs?: number;
}

/** Entries kept per cache; beyond it the cache starts over (a bound, not an eviction policy). */
const maxCachedWorkspaces = 10_000;

interface Cached<T> {
  value: T;
  expiresAt: number;
}

/** The key resolver of BYOK workspaces. */
export class KeyConfigResolver implements KeyResolver {
  private readonly cacheMs: number;
  private readonly active = new Map<string, Cached<KeyConfigDoc | null>>();
  private readonly bindings = new Map<string, Cached<KeyBinding>>();

  constructor(private readonly deps: KeyConfigResolverDeps) {
    this.cacheMs = deps.cacheMs ?? 5_000;
  }

  async resolveForSeal(owner: DataOwner, at: number): Promise<KeyBinding> {
    const config = await this.activeConfig(owner.tenantId);
    if (config === null || startOfDay(config.enforcementDate) > at) return this.deps.localBinding;
    const who =
      owner.botId === undefined
        ? { appId: owner.appId }
        : { appId: owner.appId, botId: owner.botId };
    if (!isSelected(config, who)) return this.deps.localBinding;
    return this.providerFor(owner.tenantId, config._id);
  }

  async providerFor(tenantId: string, keyConfigId: string | null): Promise<KeyBinding> {
    if (keyConfigId === null) return this.deps.localBinding;

    const key = `${tenantId}\u0000${keyConfigId}`;
    const cached = this.fresh(this.bindings.get(key));
    if (cached !== undefined) return cached;

    let doc: KeyConfigDoc;
    try {
      doc = await this.deps.store.get(tenantId, keyConfigId);
    } catch (error) {
      throw new ByokError(
        ErrorCode.KeyNotFound,
        'the key configuration that sealed this data does not exist',
        { cause: error },
      );
    }
    const binding = await this.bindingOf(doc);
    if (this.bindings.size >= maxCachedWorkspaces) this.bindings.clear();
    this.bindings.set(key, { value: binding, expiresAt: this.deps.clock.now() + this.cacheMs });
    return binding;
  }

  /** Drops cached lookups of a workspace; called by the key services after every change. */
  invalidate(workspaceId: string): void {
    this.active.delete(workspaceId);
    for (const key of this.bindings.keys()) {
      if (key.startsWith(`${workspaceId}\u0000`)) this.bindings.delete(key);
    }
  }

  /** A binding for a configuration: its current CMK, with retired CMKs for old data keys. */
  async bindingOf(doc: KeyConfigDoc): Promise<KeyBinding> {
    const { externalId } = await this.deps.directory.getWorkspace(doc.workspaceId);
    const target = (cmkArn: string, roleArn: string) => ({
      tenantId: doc.workspaceId,
      cmkArn,
      roleArn,
      externalId,
    });
    const retired = [...doc.retiredKeys]
      .reverse()
      .map((k) => this.deps.access.provider(target(k.cmkArn, k.roleArn)));
    const provider = new RotatingKeyProvider(
      this.deps.access.provider(target(doc.cmkArn, doc.roleArn)),
      retired,
    );
    return { provider, keyConfigId: doc._id, keyName: doc.name };
  }

  private async activeConfig(tenantId: string): Promise<KeyConfigDoc | null> {
    const cached = this.active.get(tenantId);
    if (cached !== undefined && cached.expiresAt > this.deps.clock.now()) return cached.value;

    const doc = await this.deps.store.findActive(tenantId);
    if (this.active.size >= maxCachedWorkspaces) this.active.clear();
    this.active.set(tenantId, { value: doc, expiresAt: this.deps.clock.now() + this.cacheMs });
    return doc;
  }

  private fresh<T>(entry: Cached<T> | undefined): T | undefined {
    return entry !== undefined && entry.expiresAt > this.deps.clock.now() ? entry.value : undefined;
  }
}
