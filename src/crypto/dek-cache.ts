/**
 * The in-process cache of plaintext data keys (DEKs).
 *
 * Its maximum age is a promise to the customer: once they revoke the platform's access to
 * their KMS key, no process keeps using a data key unwrapped more than `maxAgeMs` earlier.
 * The age is counted from the moment the load *started*, because the KMS call that proved
 * access happened no earlier than that.
 *
 * Concurrent misses for one key share one load (single flight), so a burst of requests after
 * a restart makes one KMS call per key, not one each. A failed load is not cached: the next
 * caller tries again.
 *
 * Keys leave the cache zeroed (`fill(0)`) when evicted, expired, invalidated or cleared. This
 * is best effort: V8 may have copied the bytes, and nothing can reach into those copies. To
 * keep zeroing from ever pulling a key out from under its user, the cache never hands a key
 * across an `await`: callers pass a synchronous function to {@link DekCache.use}, which runs
 * while the key is certainly live.
 */
import { type Clock, systemClock } from '../base/clock.js';
import { ByokError, ErrorCode } from '../base/errors.js';

/** Options of a {@link DekCache}. */
export interface DekCacheOptions {
  /** Most keys held at once; the least recently used is evicted first. Default 1000. */
  maxEntries?: number;
  /** How long a loaded key may be used, in milliseconds. Default 5 minutes. */
  maxAgeMs?: number;
  /** Time source; tests pass a `ManualClock`. */
  clock?: Clock;
  /** Drop expired keys on a timer this often (ms), even when the cache is idle; 0: never. */
  sweepEveryMs?: number;
}

/** Counters of a {@link DekCache}, for metrics and tests. */
export interface DekCacheStats {
  size: number;
  hits: number;
  misses: number;
  /** Calls of a load function (KMS Decrypt, for the sealer). */
  loads: number;
  loadFailures: number;
  /** Keys dropped to make room (least recently used first). */
  evictions: number;
  /** Keys dropped because they reached the maximum age. */
  expirations: number;
}

interface Entry {
  readonly key: Buffer;
  readonly loadedAt: number;
  live: boolean;
}

interface FlightState {
  cancelled: boolean;
}

interface Flight {
  readonly state: FlightState;
  readonly promise: Promise<Entry>;
}

/** How often a freshly loaded key may be evicted before use until we call it a bug. */
const maxAttempts = 5;

/** A bounded, aging, single-flight cache of plaintext data keys. */
export class DekCache {
  readonly maxEntries: number;
  readonly maxAgeMs: number;
  private readonly clock: Clock;
  private readonly entries = new Map<string, Entry>();
  private readonly flights = new Map<string, Flight>();
  private readonly timer: NodeJS.Timeout | undefined;
  private readonly counts = {
    hits: 0,
    misses: 0,
    loads: 0,
    loadFailures: 0,
    evictions: 0,
    expirations: 0,
  };

  constructor(options: DekCacheOptions = {}) {
    this.maxEntries = positiveInteger('maxEntries', options.maxEntries ?? 1000);
    this.maxAgeMs = positiveInteger('maxAgeMs', options.maxAgeMs ?? 5 * 60_000);
    this.clock = options.clock ?? systemClock;

    const sweepEveryMs = options.sweepEveryMs ?? 0;
    if (sweepEveryMs > 0) {
      this.timer = setInterval(() => this.sweep(), sweepEveryMs);
      // An idle cache must not keep the process alive.
      this.timer.unref();
    }
  }

  /**
   * Runs `fn` with the key stored under `key`, loading it with `load` on a miss. `fn` must be
   * synchronous and must not keep the key: it may be zeroed once `fn` returns.
   *
   * @throws whatever `load` or `fn` throws; a failed load is not cached.
   */
  async use<T>(key: string, load: () => Promise<Buffer>, fn: (dek: Buffer) => T): Promise<T> {
    for (let attempt = 0; attempt < maxAttempts; attempt++) {
      const hit = this.fresh(key);
      if (hit !== undefined) {
        this.counts.hits++;
        return fn(hit.key);
      }

      this.counts.misses++;
      const flight = this.flights.get(key) ?? this.startFlight(key, load);
      const loaded = await flight.promise;
      // Between the load finishing and this line, other callers may have run and evicted it.
      if (loaded.live) return fn(loaded.key);
    }
    throw new ByokError(
      ErrorCode.Internal,
      `data key cache: a loaded key was evicted ${maxAttempts} times before use; ` +
        `maxEntries (${this.maxEntries}) is too small for the load`,
    );
  }

  /**
   * Stores a key the caller already holds (a freshly generated DEK), so its first use needs
   * no load. The cache takes ownership of `dek` and zeroes it when it leaves.
   */
  prime(key: string, dek: Buffer): void {
    this.insert(key, { key: dek, loadedAt: this.clock.now(), live: true });
  }

  /** Forgets one key (zeroing it); a load in progress for it is not cached either. */
  invalidate(key: string): void {
    const entry = this.entries.get(key);
    if (entry !== undefined) this.drop(key, entry);
    const flight = this.flights.get(key);
    if (flight !== undefined) {
      flight.state.cancelled = true;
      this.flights.delete(key);
    }
  }

  /** Forgets every key (zeroing them) and every load in progress. */
  clear(): void {
    for (const [key, entry] of [...this.entries]) this.drop(key, entry);
    for (const flight of this.flights.values()) flight.state.cancelled = true;
    this.flights.clear();
  }

  /** Drops every expired key now; returns how many. Runs by itself with `sweepEveryMs`. */
  sweep(): number {
    const now = this.clock.now();
    let dropped = 0;
    for (const [key, entry] of [...this.entries]) {
      if (now - entry.loadedAt < this.maxAgeMs) continue;
      this.drop(key, entry);
      this.counts.expirations++;
      dropped++;
    }
    return dropped;
  }

  /** Clears the cache and stops the sweep timer. */
  close(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.clear();
  }

  /** A snapshot of the counters. */
  stats(): DekCacheStats {
    return { size: this.entries.size, ...this.counts };
  }

  /** Number of keys held. */
  get size(): number {
    return this.entries.size;
  }

  /** The live, unexpired entry for `key`, marked most recently used; drops it when expired. */
  private fresh(key: string): Entry | undefined {
    const entry = this.entries.get(key);
    if (entry === undefined) return undefined;

    if (this.clock.now() - entry.loadedAt >= this.maxAgeMs) {
      this.drop(key, entry);
      this.counts.expirations++;
      return undefined;
    }

    this.entries.delete(key);
    this.entries.set(key, entry);
    return entry;
  }

  private startFlight(key: string, load: () => Promise<Buffer>): Flight {
    const state = { cancelled: false };
    const flight: Flight = { state, promise: this.runFlight(key, state, load) };
    this.flights.set(key, flight);
    return flight;
  }

  private async runFlight(key: string, state: FlightState, load: () => Promise<Buffer>) {
    // Yield once so the flight is registered before `load` can fail and unregister it.
    await Promise.resolve();
    const startedAt = this.clock.now();
    try {
      this.counts.loads++;
      const dek = await load();
      if (!Buffer.isBuffer(dek)) {
        throw new ByokError(ErrorCode.Internal, 'data key cache: a load returned no Buffer');
      }

      const entry: Entry = { key: dek, loadedAt: startedAt, live: !state.cancelled };
      if (entry.live) this.insert(key, entry);
      else dek.fill(0);
      return entry;
    } catch (error) {
      this.counts.loadFailures++;
      throw error;
    } finally {
      if (this.flights.get(key)?.state === state) this.flights.delete(key);
    }
  }

  private insert(key: string, entry: Entry): void {
    const previous = this.entries.get(key);
    if (previous !== undefined && previous !== entry) this.drop(key, previous);
    this.entries.set(key, entry);

    while (this.entries.size > this.maxEntries) {
      const oldest = this.entries.entries().next().value;
      if (oldest === undefined) break;
      this.drop(oldest[0], oldest[1]);
      this.counts.evictions++;
    }
  }

  private drop(key: string, entry: Entry): void {
    this.entries.delete(key);
    entry.live = false;
    entry.key.fill(0);
  }
}

function positiveInteger(name: string, value: number): number {
  if (!Number.isSafeInteger(value) || value <= 0) {
    throw new ByokError(
      ErrorCode.BadInput,
      `data key cache ${name}: expected a positive integer, received ${String(value)}`,
    );
  }
  return value;
}
