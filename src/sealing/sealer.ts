/**
 * The {@link Sealer} of bot data: envelope encryption under a per-tenant, per-app data key
 * (DEK) that the tenant's key wraps.
 *
 * Sealing a value, step by step:
 * 1. The resolver names the key that seals this owner's new data now.
 * 2. The slot (tenant, app, key configuration, wrapping key) has one active DEK; this process
 *    remembers its id for a while, so a warm seal asks neither the database nor KMS. The first
 *    seal of a slot asks KMS for a new DEK (GenerateDataKey) and stores it wrapped; of several
 *    processes racing, the vault keeps one.
 * 3. The plaintext DEK comes from the DEK cache, loaded (KMS Decrypt) only on a miss.
 * 4. The value is sealed into an envelope bound to its place (see `crypto/envelope.ts`).
 *
 * Opening reads the DEK id from the envelope, checks the DEK belongs to the scope's tenant and
 * app before any KMS call, and unwraps it through the key configuration recorded with the DEK.
 * Every failure to authenticate is the one opaque `DECRYPT_FAILED`.
 */
import type { EncryptionContext } from '../aws/key-provider.js';
import { type Clock, systemClock } from '../base/clock.js';
import { ByokError, decryptFailed, ErrorCode } from '../base/errors.js';
import { type Logger, silentLogger } from '../base/log.js';
import {
  checkRecordContext,
  DekCache,
  type DekCacheStats,
  newDekId,
  openValue,
  readHeader,
  sealValue,
} from '../crypto/index.js';
import { type ActiveSlot, DekState, type KeyVault, slotId } from '../store/key-vault.js';
import type { KeyBinding, KeyResolver, Provenance, Sealed, Sealer, SealScope } from './types.js';

/** The encryption context purpose of every data key this platform wraps. */
export const dataKeyPurpose = 'byok-harness:data-key';

/**
 * The KMS encryption context of a data key. It shows up in the customer's CloudTrail, so it
 * names only ids: tenant, app, the DEK and what the key is for.
 */
export function dataKeyContext(tenantId: string, appId: string, dekId: string): EncryptionContext {
  return { purpose: dataKeyPurpose, tenantId, appId, dekId };
}

/** What an {@link EnvelopeSealer} is built from. */
export interface EnvelopeSealerOptions {
  vault: KeyVault;
  resolver: KeyResolver;
  /** The plaintext DEK cache; share one per process. Default: a cache with default limits. */
  cache?: DekCache;
  clock?: Clock;
  logger?: Logger;
  /**
   * How long this process reuses a slot's active DEK id without asking the vault, in ms, so a
   * DEK retired elsewhere stops sealing here within that time. Default: the cache's max age.
   */
  activeDekMaxAgeMs?: number;
}

/** Counters of an {@link EnvelopeSealer}. */
export interface SealerMetrics {
  seals: number;
  opens: number;
  sealFailures: number;
  openFailures: number;
  /** New DEKs requested from a key provider (KMS GenerateDataKey). */
  dataKeysGenerated: number;
  /** DEKs unwrapped by a key provider (KMS Decrypt) on a cache miss. */
  dataKeysUnwrapped: number;
  cache: DekCacheStats;
}

interface ActiveDek {
  dekId: string;
  until: number;
}

/** Most slots whose active DEK id is remembered; beyond it the oldest is forgotten. */
const maxRememberedSlots = 10_000;

/** Envelope encryption of bot data under the tenant's key. */
export class EnvelopeSealer implements Sealer {
  private readonly vault: KeyVault;
  private readonly resolver: KeyResolver;
  private readonly cache: DekCache;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly activeDekMaxAgeMs: number;
  private readonly activeDeks = new Map<string, ActiveDek>();
  private readonly activating = new Map<string, Promise<string>>();
  private readonly counts = {
    seals: 0,
    opens: 0,
    sealFailures: 0,
    openFailures: 0,
    dataKeysGenerated: 0,
    dataKeysUnwrapped: 0,
  };

  constructor(options: EnvelopeSealerOptions) {
    this.vault = options.vault;
    this.resolver = options.resolver;
    this.clock = options.clock ?? systemClock;
    this.cache = options.cache ?? new DekCache({ clock: this.clock });
    this.logger = (options.logger ?? silentLogger).child({ component: 'sealer' });
    this.activeDekMaxAgeMs = options.activeDekMaxAgeMs ?? this.cache.maxAgeMs;
  }

  /** Seals `plaintext` for `scope` under the owner's current key. */
  async seal(scope: SealScope, plaintext: Buffer): Promise<Sealed> {
    try {
      // Refuse bad input before a data key could be created for it.
      checkRecordContext(scope);
      if (!Buffer.isBuffer(plaintext)) {
        throw new ByokError(ErrorCode.BadInput, 'plaintext: expected a Buffer');
      }

      const owner =
        scope.botId === undefined
          ? { tenantId: scope.tenantId, appId: scope.appId }
          : { tenantId: scope.tenantId, appId: scope.appId, botId: scope.botId };
      const binding = await this.resolver.resolveForSeal(owner, this.clock.now());
      const dekId = await this.activeDekId(scope, binding);

      const envelope = await this.cache.use(
        cacheKey(scope.tenantId, scope.appId, dekId),
        () => this.unwrap(scope, dekId),
        (key) => sealValue({ id: dekId, key }, scope, plaintext),
      );
      this.counts.seals++;
      return { envelope, provenance: provenanceOf(binding, dekId) };
    } catch (error) {
      this.counts.sealFailures++;
      throw error;
    }
  }

  /** Opens an envelope sealed for exactly `scope`. */
  async open(scope: SealScope, envelope: Buffer): Promise<Buffer> {
    try {
      // Structure and version errors come before any database or KMS call.
      const { dekId } = readHeader(envelope);
      checkRecordContext(scope);

      const plaintext = await this.cache.use(
        cacheKey(scope.tenantId, scope.appId, dekId),
        () => this.unwrap(scope, dekId),
        (key) => openValue({ id: dekId, key }, scope, envelope),
      );
      this.counts.opens++;
      return plaintext;
    } catch (error) {
      this.counts.openFailures++;
      throw error;
    }
  }

  /** Which key sealed an envelope, read from the key vault; the envelope is not opened. */
  async provenanceOf(scope: SealScope, envelope: Buffer): Promise<Provenance> {
    const { dekId } = readHeader(envelope);
    const record = await this.vault.get(dekId);
    if (record?.tenantId !== scope.tenantId || record.appId !== scope.appId) {
      throw decryptFailed();
    }

    const binding = await this.resolver.providerFor(record.tenantId, record.keyConfigId);
    return {
      provider: record.provider,
      keyConfigId: record.keyConfigId,
      keyName: binding.keyName,
      keyRef: record.keyRef,
      dekId,
    };
  }

  /** A snapshot of the counters, with the DEK cache's. */
  get metrics(): SealerMetrics {
    return { ...this.counts, cache: this.cache.stats() };
  }

  /** The active DEK id of the binding's slot: remembered, found in the vault, or created. */
  private activeDekId(scope: SealScope, binding: KeyBinding): Promise<string> {
    const slot: ActiveSlot = {
      tenantId: scope.tenantId,
      appId: scope.appId,
      keyConfigId: binding.keyConfigId,
      keyRef: binding.provider.keyRef,
    };
    const id = slotId(slot);
    const remembered = this.activeDeks.get(id);
    if (remembered !== undefined && remembered.until > this.clock.now()) {
      return Promise.resolve(remembered.dekId);
    }

    // Concurrent first seals in this process share one lookup and at most one new DEK.
    let pending = this.activating.get(id);
    if (pending === undefined) {
      pending = this.activate(slot, binding)
        .then((dekId) => {
          this.remember(id, dekId);
          return dekId;
        })
        .finally(() => this.activating.delete(id));
      this.activating.set(id, pending);
    }
    return pending;
  }

  private async activate(slot: ActiveSlot, binding: KeyBinding): Promise<string> {
    const existing = await this.vault.findActive(slot);
    if (existing !== null) return existing._id;

    const dekId = newDekId();
    const context = dataKeyContext(slot.tenantId, slot.appId, dekId);
    this.counts.dataKeysGenerated++;
    const { plaintext, wrapped } = await binding.provider.generateDataKey(context);

    let outcome;
    try {
      outcome = await this.vault.createActive({
        _id: dekId,
        ...slot,
        provider: binding.provider.kind,
        wrapped,
        encryptionContext: context,
        state: DekState.Active,
        createdAt: new Date(this.clock.now()),
      });
    } catch (error) {
      plaintext.fill(0);
      throw error;
    }

    if (outcome.created) {
      this.cache.prime(cacheKey(slot.tenantId, slot.appId, dekId), plaintext);
      this.logger.info(
        { tenantId: slot.tenantId, appId: slot.appId, dekId, keyRef: slot.keyRef },
        'created a data key',
      );
    } else {
      plaintext.fill(0);
    }
    return outcome.record._id;
  }

  /**
   * Loads and unwraps a DEK for a cache miss. The ownership check comes first: a DEK id
   * copied from another tenant's envelope must not even reach that tenant's KMS key.
   */
  private async unwrap(scope: SealScope, dekId: string): Promise<Buffer> {
    const record = await this.vault.get(dekId);
    if (record?.tenantId !== scope.tenantId || record.appId !== scope.appId) {
      throw decryptFailed();
    }

    const binding = await this.resolver.providerFor(record.tenantId, record.keyConfigId);
    this.counts.dataKeysUnwrapped++;
    return binding.provider.decryptDataKey(
      record.wrapped,
      dataKeyContext(record.tenantId, record.appId, record._id),
    );
  }

  private remember(id: string, dekId: string): void {
    this.activeDeks.delete(id);
    this.activeDeks.set(id, { dekId, until: this.clock.now() + this.activeDekMaxAgeMs });
    if (this.activeDeks.size > maxRememberedSlots) {
      const oldest = this.activeDeks.keys().next().value;
      if (oldest !== undefined) this.activeDeks.delete(oldest);
    }
  }
}

/**
 * The DEK cache key: a DEK is reachable only under the tenant and app that own it. The DEK
 * id has a fixed length and the tenant id is length-prefixed, so keys cannot run together.
 */
function cacheKey(tenantId: string, appId: string, dekId: string): string {
  return `${dekId}${tenantId.length}:${tenantId}${appId}`;
}

function provenanceOf(binding: KeyBinding, dekId: string): Provenance {
  return {
    provider: binding.provider.kind,
    keyConfigId: binding.keyConfigId,
    keyName: binding.keyName,
    keyRef: binding.provider.keyRef,
    dekId,
  };
}
