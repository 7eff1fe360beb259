/**
 * BasicAuthValidationDialog: answers with a sign-in card holding a single-use authorization
 * link, waits while the admin enters Basic credentials in the browser, and when the host
 * resumes the conversation, reads the stored credentials back through decryption and says
 * which key protects them (or why they cannot be read, or that the link expired).
 *
 * The result reaches the dialog through turn state set by the host's resume path, never
 * through the activity: a user cannot fake a completed link by sending an event.
 */
import { TurnContext } from 'botbuilder';
import {
  Dialog,
  type DialogContext,
  type DialogInstance,
  DialogReason,
  type DialogTurnResult,
} from 'botbuilder-dialogs';

import { ByokError, ErrorCode } from '../../base/errors.js';
import { LinkOutcome, type LinkResult } from '../auth-links/resume.js';
import type { BasicAuthService } from '../auth-links/service.js';
import {
  cancelledText,
  expiredText,
  isCancel,
  keyUnavailableText,
  signInCard,
  successText,
  validationTrigger,
  waitingText,
} from '../messages.js';
import type { BotOwner } from '../plugin/owner.js';

/** The dialog's id: the same as the utterance that starts it. */
export const basicAuthValidationDialogId = validationTrigger;

const resumedResult = Symbol('byok.resumedLinkResult');

/** Hands a link result to this turn; called by the host's resume path only. */
export function setResumedResult(context: TurnContext, result: LinkResult): void {
  context.turnState.set(resumedResult, result);
}

/** The link result this turn was resumed with, if it was. */
export function resumedResultOf(context: TurnContext): LinkResult | undefined {
  return context.turnState.get<LinkResult | undefined>(resumedResult);
}

/** What the dialog needs. */
export interface BasicAuthValidationDialogOptions {
  owner: BotOwner;
  service: BasicAuthService;
  /** Link lifetime shown on the card. */
  ttlSeconds: number;
}

interface ValidationState {
  linkId: string;
}

/** The Basic Auth validation, as a botbuilder dialog. */
export class BasicAuthValidationDialog extends Dialog {
  constructor(private readonly options: BasicAuthValidationDialogOptions) {
    super(basicAuthValidationDialogId);
  }

  /** Issues a link for this conversation and user, and shows it as a sign-in card. */
  override async beginDialog(dc: DialogContext): Promise<DialogTurnResult> {
    const reference = TurnContext.getConversationReference(dc.context.activity);
    const link = await this.options.service.issueLink(this.options.owner, reference);
    stateOf(dc).linkId = link.linkId;

    const minutes = Math.max(1, Math.round(this.options.ttlSeconds / 60));
    await dc.context.sendActivity(signInCard(link.url, minutes));
    return Dialog.EndOfTurn;
  }

  /** Reacts to the link's result, to "cancel", or reminds the user of the link. */
  override async continueDialog(dc: DialogContext): Promise<DialogTurnResult> {
    const state = stateOf(dc);
    const result = resumedResultOf(dc.context);
    if (result !== undefined) {
      await reportLinkResult(dc.context, this.options.service, this.options.owner, result);
      return result.linkId === state.linkId ? dc.endDialog(result.outcome) : Dialog.EndOfTurn;
    }

    if (isCancel(dc.context.activity.text)) {
      await dc.context.sendActivity(cancelledText);
      return dc.cancelAllDialogs();
    }
    await dc.context.sendActivity(waitingText);
    return Dialog.EndOfTurn;
  }

  /** A validation that is cancelled or replaced takes its pending link with it. */
  override async endDialog(
    _context: TurnContext,
    instance: DialogInstance,
    reason: DialogReason,
  ): Promise<void> {
    const linkId = (instance.state as Partial<ValidationState> | undefined)?.linkId;
    if (linkId === undefined) return;
    if (reason === DialogReason.cancelCalled || reason === DialogReason.replaceCalled) {
      await this.options.service.cancelLink(this.options.owner, linkId);
    }
  }
}

/**
 * Tells the user what became of a link: the confirmation with the protecting key, the
 * reason the credentials cannot be read, or that the link expired.
 */
export async function reportLinkResult(
  context: TurnContext,
  service: BasicAuthService,
  owner: BotOwner,
  result: LinkResult,
): Promise<void> {
  if (result.outcome === LinkOutcome.Expired) {
    await context.sendActivity(expiredText);
    return;
  }

  const report = await service.readStoredCredentials(owner, result.linkId);
  await context.sendActivity(
    report.status === 'readable'
      ? successText(report.username, report.keyLabel)
      : keyUnavailableText(report.keyLabel, report.code),
  );
}

function stateOf(dc: DialogContext): ValidationState {
  const instance = dc.activeDialog;
  if (instance === undefined) {
    throw new ByokError(ErrorCode.Internal, 'the validation dialog is not on the dialog stack');
  }
  return instance.state as ValidationState;
}
