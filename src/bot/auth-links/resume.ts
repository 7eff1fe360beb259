/**
 * The contract between the authorization page (or the expiry sweeper) and the bot host: when a
 * link is completed or expires, the host continues the link's conversation by itself, with no
 * message from the user. The host implements {@link ResumeConversation} with its adapter:
 *
 * ```ts
 * const resume: ResumeConversation = (reference, result) =>
 *   adapter.continueConversationAsync(appId, reference, (context) =>
 *     botFor(result.owner).resume(context, result),
 *   );
 * ```
 */
import type { ConversationReference } from 'botbuilder';

import type { Provenance } from '../../sealing/types.js';
import type { BotOwner } from '../plugin/owner.js';

/** What happened to a link. */
export const LinkOutcome = { Succeeded: 'succeeded', Expired: 'expired' } as const;
export type LinkOutcome = (typeof LinkOutcome)[keyof typeof LinkOutcome];

/** What the bot is told when its conversation is resumed for a link. */
export interface LinkResult {
  linkId: string;
  /** The bot whose conversation this is: the host routes the resumed turn to it. */
  owner: BotOwner;
  outcome: LinkOutcome;
}

/**
 * Continues the conversation of `reference` and hands `result` to the bot of `result.owner`
 * (its `resume(context, result)`). Resolves when the bot's turn is done.
 */
export type ResumeConversation = (
  reference: Partial<ConversationReference>,
  result: LinkResult,
) => Promise<void>;

/** How a sealed value's key is named to the user: the default key or the workspace key. */
export function keyLabelOf(provenance: Provenance): string {
  return provenance.keyConfigId === null
    ? 'default platform key'
    : `workspace key ${provenance.keyName}`;
}
