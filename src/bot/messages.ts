/**
 * Everything the validation bot says, in one place, so dialogs, tests and the conversation
 * scripts under `dialogs/` agree on the wording.
 */
import { ActionTypes, type Activity, type Attachment, MessageFactory } from 'botbuilder';

/** The utterance that starts the validation (matched without regard to case or spaces). */
export const validationTrigger = 'BasicAuthValidationDialog';

/** The utterance that stops a validation waiting for its link. */
export const cancelWord = 'cancel';

/** The page the browser lands on after right credentials says exactly this. */
export const successPageText = 'Basic authentication successful.';

/** The welcome, offering the validation as a button. */
export function welcomeMessage(botName: string): Partial<Activity> {
  return MessageFactory.suggestedActions(
    [validationTrigger],
    `Welcome to ${botName}. Type ${validationTrigger} (or pick it below) to check that ` +
      'Basic authentication credentials are stored under the right key.',
  );
}

/** The answer to anything else when no validation is running. */
export const helpText = `Type ${validationTrigger} to validate Basic authentication for this app.`;

/** The reminder while a validation waits for its link. */
export const waitingText = `Open the authorization link above to continue, or type ${cancelWord} to stop.`;

/** The answer to "cancel". */
export const cancelledText =
  'The validation was cancelled; its authorization link no longer works.';

/** The sign-in card with the authorization link; the link opens in the browser. */
export function signInCard(url: string, expiresInMinutes: number): Partial<Activity> {
  const card: Attachment = {
    contentType: 'application/vnd.microsoft.card.signin',
    content: {
      text:
        'Open the authorization link and enter the Basic authentication credentials of the ' +
        `validation profile. The link works once and expires in ${expiresInMinutes} minutes.`,
      buttons: [{ type: ActionTypes.OpenUrl, title: 'Open authorization link', value: url }],
    },
  };
  return MessageFactory.attachment(card, 'Here is your authorization link.');
}

/** The confirmation once the credentials were stored and read back. */
export function successText(username: string, keyLabel: string): string {
  return (
    `Basic authentication succeeded for user ${username}. The credentials were stored sealed ` +
    `and read back through decryption: they are protected by the ${keyLabel}.`
  );
}

/** The answer when the stored credentials cannot be opened. */
export function keyUnavailableText(keyLabel: string, code: string): string {
  return `The stored credentials cannot be read because the ${keyLabel} is unavailable (${code}).`;
}

/** The notice when a link expired unused. */
export const expiredText = `The authorization link expired before it was used. Type ${validationTrigger} to get a new one.`;

/** Whether `text` is the validation trigger. */
export function isTrigger(text: string | undefined): boolean {
  return text?.trim().toLowerCase() === validationTrigger.toLowerCase();
}

/** Whether `text` asks to cancel. */
export function isCancel(text: string | undefined): boolean {
  return text?.trim().toLowerCase() === cancelWord;
}
