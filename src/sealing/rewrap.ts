/**
 * Rotation: moves a tenant's data keys (DEKs) from one wrapping key to another. Each DEK is
 * unwrapped by the old key and wrapped by the new one; the sealed records are never read or
 * rewritten, because they stay sealed under the same DEKs.
 *
 * The job is idempotent and resumable without any state of its own: it only ever selects DEKs
 * still wrapped by the old key, and each update is a compare-and-set on that old key. A run
 * interrupted by a crash is finished by running it again; a second run after a complete one
 * finds nothing to move. DEKs are moved one at a time because the KMS request quota belongs
 * to the customer's account and is shared with their own workloads.
 */
import type { KeyProvider } from '../aws/key-provider.js';
import { type Clock, systemClock } from '../base/clock.js';
import { ByokError, ErrorCode, isByokError } from '../base/errors.js';
import type { KeyVault, WrappedByQuery } from '../store/key-vault.js';
import { dataKeyContext } from './sealer.js';
import type { KeyBinding } from './types.js';

/** Counts of a rewrap run. */
export interface RewrapProgress {
  /** DEKs wrapped by the old key when the run started. */
  total: number;
  /** DEKs this run moved to the new key. */
  moved: number;
  /** DEKs another run moved first (or that disappeared) while this one worked. */
  skipped: number;
  /** DEKs the old key could not unwrap (`DECRYPT_FAILED`); they stay where they are. */
  failed: number;
}

/** What {@link rewrapDataKeys} moves, from where, to where. */
export interface RewrapOptions {
  vault: KeyVault;
  tenantId: string;
  /** The key configuration whose DEKs move; null for the platform default key. */
  keyConfigId: string | null;
  /** The key the DEKs are wrapped by now. */
  from: { provider: KeyProvider };
  /** The key they move to; its `keyConfigId` is recorded with each moved DEK. */
  to: KeyBinding;
  /** DEKs read per query. Default 100. */
  batchSize?: number;
  /** Called after every batch, e.g. to store progress for an admin page. */
  onProgress?: (progress: RewrapProgress) => void | Promise<void>;
  clock?: Clock;
}

/**
 * Rewraps every DEK of `tenantId` and `keyConfigId` wrapped by `from` under `to`.
 *
 * @returns the counts of the run.
 * @throws the first error that is not about one DEK (key access, throttling, the database),
 *   after reporting progress: running again later resumes where this run stopped.
 */
export async function rewrapDataKeys(options: RewrapOptions): Promise<RewrapProgress> {
  const { vault, from, to } = options;
  const batchSize = options.batchSize ?? 100;
  if (!Number.isSafeInteger(batchSize) || batchSize < 1) {
    throw new ByokError(
      ErrorCode.BadInput,
      `rewrap batchSize: expected a positive integer, received ${String(batchSize)}`,
    );
  }
  const clock = options.clock ?? systemClock;
  const query: WrappedByQuery = {
    tenantId: options.tenantId,
    keyConfigId: options.keyConfigId,
    keyRef: from.provider.keyRef,
  };
  const progress: RewrapProgress = { total: 0, moved: 0, skipped: 0, failed: 0 };
  if (from.provider.keyRef === to.provider.keyRef && options.keyConfigId === to.keyConfigId) {
    return progress;
  }

  progress.total = await vault.countWrappedBy(query);
  let afterId: string | null = null;
  for (;;) {
    const batch = await vault.listWrappedBy(query, afterId, batchSize);
    if (batch.length === 0) break;

    for (const record of batch) {
      afterId = record._id;
      const context = dataKeyContext(record.tenantId, record.appId, record._id);
      let wrapped: Buffer;
      try {
        const plaintext = await from.provider.decryptDataKey(record.wrapped, context);
        try {
          wrapped = await to.provider.wrapDataKey(plaintext, context);
        } finally {
          plaintext.fill(0);
        }
      } catch (error) {
        if (!isByokError(error, ErrorCode.DecryptFailed)) {
          await options.onProgress?.({ ...progress });
          throw error;
        }
        progress.failed++;
        continue;
      }

      const moved = await vault.compareAndSetWrapped(record._id, {
        fromKeyRef: from.provider.keyRef,
        wrapped,
        keyRef: to.provider.keyRef,
        provider: to.provider.kind,
        keyConfigId: to.keyConfigId,
        at: new Date(clock.now()),
      });
      if (moved) progress.moved++;
      else progress.skipped++;
    }
    await options.onProgress?.({ ...progress });
  }

  // The total was counted before paging. Keys another run moved meanwhile never reached this
  // run's pages: they were skipped here. Keys wrapped by the old key after the count raise it.
  const accounted = progress.moved + progress.skipped + progress.failed;
  if (accounted < progress.total) progress.skipped += progress.total - accounted;
  else progress.total = accounted;
  return progress;
}
