/**
 * Middleware that writes every incoming and outgoing activity of a turn to a
 * {@link SealedTranscriptStore} and waits for each write. The SDK's own
 * `TranscriptLoggerMiddleware` fires its writes after the turn without awaiting them, so a
 * crash could lose a turn the user already saw; here the incoming activity is stored before
 * the bot runs and each reply is stored before `sendActivity` resolves.
 *
 * When the key is unusable nothing is stored: for the incoming activity the bot does not run
 * at all; in every case the user is told once that the turn could not be saved securely.
 */
import { randomUUID } from 'node:crypto';

import {
  type Activity,
  ActivityEventNames,
  ActivityTypes,
  type Middleware,
  type ResourceResponse,
  TurnContext,
} from 'botbuilder';

import { isKeyFailure, type SealingFailureHandler } from './failures.js';
import type { SealedTranscriptStore } from './transcript-store.js';

/** Event names the host raises inside a turn that carry no channel data worth logging. */
const internalEventNames: ReadonlySet<string> = new Set<string>([
  ActivityEventNames.ContinueConversation,
]);

/** Options of {@link SealedTranscriptLogger}. */
export interface SealedTranscriptLoggerOptions {
  store: SealedTranscriptStore;
  failures: SealingFailureHandler;
}

/** Awaited, sealed transcript logging for one bot. Add with `adapter.use(...)` or a bot wrapper. */
export class SealedTranscriptLogger implements Middleware {
  private readonly store: SealedTranscriptStore;
  private readonly failures: SealingFailureHandler;

  constructor(options: SealedTranscriptLoggerOptions) {
    this.store = options.store;
    this.failures = options.failures;
  }

  /** Stores the incoming activity, hooks the send pipelines, runs the bot. */
  async onTurn(context: TurnContext, next: () => Promise<void>): Promise<void> {
    if (!isInternalEvent(context.activity)) {
      const from = (context.activity as Partial<Activity>).from ?? { id: 'unknown', name: '' };
      const incoming: Activity = {
        ...context.activity,
        from: { ...from, role: from.role ?? 'user' },
      };
      const stored = await this.tryLog(context, incoming);
      if (!stored) return;
    }

    // Replies without a channel id get one derived from the incoming activity, so a retried
    // turn stores its replies once; turns with no incoming id (resumed ones) get a fresh one.
    let replies = 0;
    const turnId = context.activity.id ?? `turn-${randomUUID()}`;
    context.onSendActivities(async (ctx, activities, sendNext) => {
      const responses = await sendNext();
      if (this.failures.isSendingNotice(ctx)) return responses;

      for (const [index, activity] of activities.entries()) {
        replies += 1;
        const id = idOf(responses, index) ?? activity.id ?? `${turnId}/reply-${replies}`;
        await this.tryLog(ctx, outgoing(activity, id));
      }
      return responses;
    });

    context.onUpdateActivity(async (ctx, activity, updateNext) => {
      await updateNext();
      await this.tryLog(ctx, outgoing({ ...activity, type: ActivityTypes.MessageUpdate }));
    });

    context.onDeleteActivity(async (ctx, reference, deleteNext) => {
      await deleteNext();
      const deletion = TurnContext.applyConversationReference(
        {
          type: ActivityTypes.MessageDelete,
          ...(reference.activityId === undefined ? {} : { id: reference.activityId }),
        },
        reference,
        false,
      );
      await this.tryLog(ctx, outgoing(deletion));
    });

    try {
      await next();
    } catch (error) {
      // Conversation or user state that cannot be sealed or opened surfaces here.
      if (!isKeyFailure(error)) throw error;
      await this.failures.handle(context, error, 'state');
    }
  }

  /** Logs one activity; a key failure is handled (user told, health told) and reported false. */
  private async tryLog(context: TurnContext, activity: Partial<Activity>): Promise<boolean> {
    try {
      await this.store.logActivity(activity as Activity);
      return true;
    } catch (error) {
      if (!isKeyFailure(error)) throw error;
      await this.failures.handle(context, error, 'transcript');
      return false;
    }
  }
}

function isInternalEvent(activity: Partial<Activity>): boolean {
  return (
    activity.type === ActivityTypes.Event &&
    typeof activity.name === 'string' &&
    internalEventNames.has(activity.name)
  );
}

function idOf(responses: readonly ResourceResponse[] | undefined, index: number) {
  const id = responses?.[index]?.id;
  return typeof id === 'string' && id.length > 0 ? id : undefined;
}

/** A copy of an outgoing activity marked as the bot's, with an id and a timestamp. */
function outgoing(activity: Partial<Activity>, id?: string): Partial<Activity> {
  const from = activity.from ?? { id: 'bot', name: 'bot' };
  return {
    ...activity,
    ...(id === undefined ? {} : { id }),
    from: { ...from, role: 'bot' },
    timestamp: activity.timestamp ?? new Date(),
  };
}
