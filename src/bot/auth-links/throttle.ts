/**
 * Throttling of wrong credentials on authorization links, per link and per client address,
 * kept in MongoDB so every host process sees the same counts. Counts live in fixed windows; a
 * burst across a window boundary can therefore reach twice the limit, which is acceptable for
 * a validation page.
 *
 * Every wrong attempt is its own document, inserted under a random `_id`, and a count is a
 * count of documents. A shared counter incremented with `$inc` would be simpler, but FerretDB
 * loses concurrent increments (see `claimOnce`); inserts are never lost. Attempts checked at
 * the same moment all see the same count, so a burst of simultaneous tries can pass the limit
 * once by its size; every one of them is still counted against the next.
 *
 * FerretDB has no TTL indexes: the expiry sweeper calls {@link AttemptThrottle.prune}, which
 * deletes a bounded batch of attempts of past windows each time.
 */
import { createHash, randomUUID } from 'node:crypto';

import type { Collection, Db } from 'mongodb';

import { type Clock, systemClock } from '../../base/clock.js';

/** The limits; defaults: 5 wrong tries per link and 20 per client in 10 minutes. */
export interface ThrottleLimits {
  perLink: number;
  perClient: number;
  windowSeconds: number;
}

/** Default limits. */
export const defaultThrottleLimits: Readonly<ThrottleLimits> = {
  perLink: 5,
  perClient: 20,
  windowSeconds: 600,
};

/** One wrong attempt. */
interface AttemptDocument {
  /** Random: attempts never collide, so no insert is ever refused or merged. */
  _id: string;
  linkId: string;
  /** Digest of the client address. */
  client: string;
  /** The number of the fixed window the attempt counts in: its start divided by its length. */
  window: number;
  /** When the attempt stops counting; {@link AttemptThrottle.prune} deletes it after. */
  expiresAt: Date;
}

/** Attempts deleted per {@link AttemptThrottle.prune} call by default. */
const pruneBatch = 500;

/** The collection attempt counts live in. */
export const attemptCollection = 'auth_link_attempts';

/** Whether a request may try credentials now, and if not, when it may. */
export type ThrottleVerdict = { allowed: true } | { allowed: false; retryAfterSeconds: number };

/** Counts wrong credentials per link and per client. */
export class AttemptThrottle {
  private readonly attempts: Collection<AttemptDocument>;

  constructor(
    db: Db,
    private readonly limits: ThrottleLimits = defaultThrottleLimits,
    private readonly clock: Clock = systemClock,
  ) {
    this.attempts = db.collection(attemptCollection);
  }

  /** Creates the indexes the counts and the pruning use. Idempotent. */
  async ensureIndexes(): Promise<void> {
    await this.attempts.createIndex({ linkId: 1, window: 1 });
    await this.attempts.createIndex({ client: 1, window: 1 });
    await this.attempts.createIndex({ expiresAt: 1 });
  }

  /** Whether the link and the client are both under their limits in the current window. */
  async check(linkId: string, clientAddress: string): Promise<ThrottleVerdict> {
    const { client, window, windowEnd } = this.keys(clientAddress);
    const { perLink, perClient } = this.limits;
    const [onLink, fromClient] = await Promise.all([
      this.attempts.countDocuments({ linkId, window }, { limit: perLink }),
      this.attempts.countDocuments({ client, window }, { limit: perClient }),
    ]);

    if (onLink < perLink && fromClient < perClient) return { allowed: true };
    return {
      allowed: false,
      retryAfterSeconds: Math.max(1, Math.ceil((windowEnd - this.clock.now()) / 1000)),
    };
  }

  /** Counts one wrong attempt against the link and the client. */
  async recordFailure(linkId: string, clientAddress: string): Promise<void> {
    const { client, window, windowEnd } = this.keys(clientAddress);
    await this.attempts.insertOne({
      _id: randomUUID(),
      linkId,
      client,
      window,
      expiresAt: new Date(windowEnd),
    });
  }

  /**
   * Deletes up to `limit` attempts of past windows (FerretDB has no TTL indexes) and returns
   * how many it deleted. Bounded so that one call never holds the database for long; the
   * sweeper of every host calls it on each sweep, and a backlog shrinks by a batch each time.
   */
  async prune(limit = pruneBatch): Promise<number> {
    const expired = await this.attempts
      .find({ expiresAt: { $lte: new Date(this.clock.now()) } }, { projection: { _id: 1 } })
      .limit(limit)
      .toArray();
    if (expired.length === 0) return 0;

    const result = await this.attempts.deleteMany({ _id: { $in: expired.map((a) => a._id) } });
    return result.deletedCount;
  }

  private keys(clientAddress: string) {
    const windowMs = this.limits.windowSeconds * 1000;
    const window = Math.floor(this.clock.now() / windowMs);
    // Client addresses are personal data: only a digest is stored.
    const client = createHash('sha256').update(`auth-client/${clientAddress}`).digest('hex');
    return { client, window, windowEnd: (window + 1) * windowMs };
  }
}
