/**
 * Throttling of wrong credentials on authorization links, per link and per client address,
 * kept in MongoDB so every host process sees the same counts. Counts live in fixed windows
 * (one document per subject and window, incremented atomically); a burst across a window
 * boundary can therefore reach twice the limit, which is acceptable for a validation page.
 */
import { createHash } from 'node:crypto';

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

interface AttemptDocument {
  _id: string;
  count: number;
  /** When this window's count stops mattering; the sweeper deletes older documents. */
  expiresAt: Date;
}

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

  /** Whether the link and the client are both under their limits in the current window. */
  async check(linkId: string, clientAddress: string): Promise<ThrottleVerdict> {
    const { linkKey, clientKey, windowEnd } = this.keys(linkId, clientAddress);
    const found = await this.attempts.find({ _id: { $in: [linkKey, clientKey] } }).toArray();
    const countOf = (key: string) => found.find((d) => d._id === key)?.count ?? 0;

    if (countOf(linkKey) < this.limits.perLink && countOf(clientKey) < this.limits.perClient) {
      return { allowed: true };
    }
    return {
      allowed: false,
      retryAfterSeconds: Math.max(1, Math.ceil((windowEnd - this.clock.now()) / 1000)),
    };
  }

  /** Counts one wrong attempt against the link and the client. */
  async recordFailure(linkId: string, clientAddress: string): Promise<void> {
    const { linkKey, clientKey, windowEnd } = this.keys(linkId, clientAddress);
    for (const _id of [linkKey, clientKey]) {
      await this.attempts.updateOne(
        { _id },
        { $inc: { count: 1 }, $setOnInsert: { expiresAt: new Date(windowEnd) } },
        { upsert: true },
      );
    }
  }

  /** Deletes counts of past windows (FerretDB has no TTL indexes). */
  async prune(): Promise<number> {
    const result = await this.attempts.deleteMany({
      expiresAt: { $lte: new Date(this.clock.now()) },
    });
    return result.deletedCount;
  }

  private keys(linkId: string, clientAddress: string) {
    const windowMs = this.limits.windowSeconds * 1000;
    const window = Math.floor(this.clock.now() / windowMs);
    // Client addresses are personal data: only a digest is stored.
    const client = createHash('sha256').update(`auth-client/${clientAddress}`).digest('hex');
    return {
      linkKey: `link:${linkId}:${window}`,
      clientKey: `client:${client}:${window}`,
      windowEnd: (window + 1) * windowMs,
    };
  }
}
