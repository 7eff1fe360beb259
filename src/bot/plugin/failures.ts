/**
 * What happens when bot data cannot be sealed (or opened) because its key is unusable: nothing
 * is stored in plaintext, the user is told the turn could not be saved securely, the failure is
 * logged by code and counted, and key health hears about it. One handler per bot, so a turn
 * that fails in several places tells the user once.
 */
import type { TurnContext } from 'botbuilder';

import { type Clock, systemClock } from '../../base/clock.js';
import { ByokError, ErrorCode, isByokError } from '../../base/errors.js';
import type { Logger } from '../../base/log.js';
import type { KeyResolver } from '../../sealing/types.js';
import type { BotOwner } from './owner.js';

/**
 * Called when a key could not be used. `keyConfigId` is null for the platform default key.
 * Key health (status, audit) hangs off this; it must not throw, and errors it does throw are
 * logged and swallowed so a failing health hook never breaks a turn.
 */
export type OnKeyFailure = (
  tenantId: string,
  keyConfigId: string | null,
  error: ByokError,
) => void | Promise<void>;

/** Which kind of record could not be sealed or opened. */
export type SealedRecordKind = 'transcript' | 'state' | 'credentials' | 'link';

const keyFailureCodes: ReadonlySet<string> = new Set<string>([
  ErrorCode.KeyAccessDenied,
  ErrorCode.KeyDisabled,
  ErrorCode.KeyPendingDeletion,
  ErrorCode.KeyNotFound,
  ErrorCode.KeyUnusable,
  ErrorCode.RoleTrustNotConfigured,
  ErrorCode.KmsThrottled,
  ErrorCode.KmsUnavailable,
  ErrorCode.StsUnavailable,
]);

/** True when `error` means the key could not be used (as opposed to bad data or a bug). */
export function isKeyFailure(error: unknown): error is ByokError {
  return isByokError(error) && keyFailureCodes.has(error.code);
}

/**
 * The key configuration a key failure belongs to, when the sealer named it in the error's
 * details (`keyConfigId`); null means the platform default key or unknown.
 */
export function keyConfigIdOf(error: ByokError): string | null {
  const id = error.details?.keyConfigId;
  return typeof id === 'string' ? id : null;
}

/** Counts sealing failures by error code, for the host's metrics and tests. */
export class SealingFailureCounter {
  private readonly counts = new Map<string, number>();

  /** Adds one failure with `code`. */
  increment(code: string): void {
    this.counts.set(code, (this.counts.get(code) ?? 0) + 1);
  }

  /** Failures so far, by code. */
  byCode(): Readonly<Record<string, number>> {
    return Object.fromEntries(this.counts);
  }

  /** All failures so far. */
  get total(): number {
    let sum = 0;
    for (const count of this.counts.values()) sum += count;
    return sum;
  }
}

/** The message a user sees when their turn could not be stored securely. */
export function unsavedTurnNotice(code: string): string {
  return (
    `This turn could not be saved securely (${code}), so nothing from it was stored. ` +
    'Please try again later.'
  );
}

/** What a {@link SealingFailureHandler} needs. */
export interface SealingFailureHandlerOptions {
  owner: BotOwner;
  logger: Logger;
  onKeyFailure?: OnKeyFailure | undefined;
  counter?: SealingFailureCounter | undefined;
  /**
   * Names the key configuration of a failure whose error does not: the configuration that
   * seals the owner's new data now. Without it such failures are reported with null.
   */
  keyResolver?: KeyResolver | undefined;
  clock?: Clock | undefined;
}

const noticeSent = Symbol('byok.sealingNoticeSent');
const sendingNotice = Symbol('byok.sendingSealingNotice');

/** Logs, counts and reports key failures, and tells the user once per turn. */
export class SealingFailureHandler {
  readonly counter: SealingFailureCounter;
  private readonly log: Logger;

  constructor(private readonly options: SealingFailureHandlerOptions) {
    this.counter = options.counter ?? new SealingFailureCounter();
    this.log = options.logger.child({ component: 'bot-sealing', ...options.owner });
  }

  /**
   * Logs (code only), counts and reports a key failure outside any turn. `keyConfigId` is the
   * failing key's configuration when the caller knows it (null: the platform default key).
   */
  async record(error: ByokError, kind: SealedRecordKind, keyConfigId?: string | null) {
    this.counter.increment(error.code);
    this.log.warn({ code: error.code, record: kind }, 'bot data could not be sealed or opened');

    const hook = this.options.onKeyFailure;
    if (hook === undefined) return;
    try {
      const configId = keyConfigId === undefined ? await this.keyConfigOf(error) : keyConfigId;
      await hook(this.options.owner.tenantId, configId, error);
    } catch (hookError) {
      this.log.error({ code: codeOf(hookError) }, 'key failure hook failed');
    }
  }

  /**
   * Records the failure and, the first time in this turn, tells the user that the turn could
   * not be saved securely. The notice itself is not logged to the transcript: sealing it would
   * fail the same way, and it carries no user data.
   */
  async handle(context: TurnContext, error: ByokError, kind: SealedRecordKind): Promise<void> {
    await this.record(error, kind);
    if (context.turnState.get(noticeSent) === true) return;

    context.turnState.set(noticeSent, true);
    context.turnState.set(sendingNotice, true);
    try {
      await context.sendActivity(unsavedTurnNotice(error.code));
    } finally {
      context.turnState.set(sendingNotice, false);
    }
  }

  private async keyConfigOf(error: ByokError): Promise<string | null> {
    const named = keyConfigIdOf(error);
    const resolver = this.options.keyResolver;
    if (named !== null || resolver === undefined) return named;
    const now = (this.options.clock ?? systemClock).now();
    const binding = await resolver.resolveForSeal(this.options.owner, now).catch(() => null);
    return binding?.keyConfigId ?? null;
  }

  /** True while the notice is being sent, so the transcript logger skips it. */
  isSendingNotice(context: TurnContext): boolean {
    return context.turnState.get(sendingNotice) === true;
  }
}

function codeOf(error: unknown): string {
  return error instanceof ByokError ? error.code : ErrorCode.Internal;
}
