/**
 * Finds authorization links that expired unused and tells their conversations, through the
 * same resume path as a completed link. Every host process may run one: a link moves to
 * `expired` only through its single claim (see `LinkStore`), so of all sweepers and a racing
 * submission exactly one decides the link and tells the user. Each sweep handles a bounded
 * batch, sweeps never overlap, and `stop()` waits for the sweep in flight.
 */
import { toByokError } from '../../base/errors.js';
import { type Logger, silentLogger } from '../../base/log.js';
import { ownerFields } from '../plugin/owner.js';
import { LinkOutcome, type ResumeConversation } from './resume.js';
import type { BasicAuthService } from './service.js';

/** Options of {@link LinkExpirySweeper}. */
export interface LinkExpirySweeperOptions {
  service: BasicAuthService;
  resume: ResumeConversation;
  logger?: Logger;
  /** Time between sweeps; default 15 seconds. */
  intervalMs?: number;
  /** Most links expired per sweep; default 50. */
  batchSize?: number;
}

/** The periodic expiry sweep. */
export class LinkExpirySweeper {
  private readonly intervalMs: number;
  private readonly batchSize: number;
  private readonly logger: Logger;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<number> | undefined;

  constructor(private readonly options: LinkExpirySweeperOptions) {
    this.intervalMs = options.intervalMs ?? 15_000;
    this.batchSize = options.batchSize ?? 50;
    this.logger = (options.logger ?? silentLogger).child({ component: 'link-sweeper' });
  }

  /** Starts sweeping every interval. Calling it twice does nothing more. */
  start(): void {
    if (this.timer !== undefined) return;
    this.timer = setInterval(() => {
      void this.sweepOnce().catch((error: unknown) => {
        this.logger.warn({ code: toByokError(error).code }, 'link expiry sweep failed');
      });
    }, this.intervalMs);
    this.timer.unref();
  }

  /** Stops sweeping and waits for a sweep in flight. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.running?.catch(() => undefined);
  }

  /**
   * Expires one batch of due links, tells each conversation, prunes old throttle counts.
   * Returns how many links this call expired. A call while another runs joins it.
   */
  async sweepOnce(): Promise<number> {
    this.running ??= this.sweep().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private async sweep(): Promise<number> {
    const { service, resume } = this.options;
    const expired = await service.store.expireDue(this.batchSize);
    for (const link of expired) {
      const result = {
        linkId: link._id,
        owner: ownerFields(link),
        outcome: LinkOutcome.Expired,
      };
      await service.resumeFor(link, result, resume);
    }
    await service.throttle.prune();
    if (expired.length > 0) this.logger.info({ count: expired.length }, 'expired unused links');
    return expired.length;
  }
}
