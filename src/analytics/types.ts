/**
 * What chat analytics reports. Everything here comes from the clear fields of transcript
 * records (time, channel, conversation, direction, type, owner, key provenance) except the
 * readability results, which say whether records opened and never what they held, and the
 * message text of {@link ConversationMessage}, present only when a caller asked for it.
 */
import type { ProviderKind } from '../aws/key-provider.js';
import type { Direction } from '../bot/plugin/transcript-store.js';

/** One key that protected records, and how many. */
export interface KeyUse {
  provider: ProviderKind;
  /** The key configuration; null for the platform default key. */
  keyConfigId: string | null;
  /** The name admins know the key by, as recorded when the record was sealed. */
  keyName: string;
  /** The CMK ARN, or `local:<id>` for the platform default key. */
  keyRef: string;
  records: number;
}

/** Whether a set of sealed records opened under the workspace's keys today. */
export const Readability = {
  /** Every checked record opened. */
  Readable: 'readable',
  /** Some opened, some did not (typically records under two keys, one of them lost). */
  Partial: 'partial',
  /** No checked record opened. */
  Unreadable: 'unreadable',
} as const;
export type Readability = (typeof Readability)[keyof typeof Readability];

/** The result of opening a conversation's most recent records. */
export interface ReadabilityCheck {
  status: Readability;
  /** Records the check tried to open. */
  checked: number;
  opened: number;
  /** Records that did not open, by error code (e.g. `{ KEY_DISABLED: 3 }`). */
  failures: Record<string, number>;
  /** The code of the most frequent failure; null when everything opened. */
  code: string | null;
}

/** One conversation, as the recent-chats report lists it. */
export interface ChatSummary {
  /** Opaque, stable id of the conversation within its workspace; safe in URLs. */
  conversationKey: string;
  appId: string;
  /** Null when the app no longer exists in the directory. */
  appName: string | null;
  botId: string;
  botName: string | null;
  channelId: string;
  conversationId: string;
  /** ISO times of the first and last record in the window. */
  firstAt: string;
  lastAt: string;
  /** Message activities from the user and from the bot. */
  messages: { incoming: number; outgoing: number };
  /** All activities (messages, conversation updates, events, ...). */
  activities: number;
  /** Keys that protected this conversation's records, most used first. */
  keys: KeyUse[];
  /** Set for the conversations the readability check covered; null for the others. */
  readable: ReadabilityCheck | null;
}

/** Records since a key configuration's enforcement date, by the key that sealed them. */
export interface EnforcementTotals {
  keyConfigId: string;
  keyName: string;
  /** YYYY-MM-DD (UTC) from which the configuration seals new data of its apps and bots. */
  enforcementDate: string;
  /** Records sealed under this configuration's key since that date. */
  underKey: number;
  /** Records sealed under the platform default key since that date (deselected apps, bots). */
  underDefaultKey: number;
  /** Records sealed under any other key configuration since that date. */
  underOtherKeys: number;
}

/** The recent-chats report of one workspace. */
export interface RecentChats {
  workspaceId: string;
  /** ISO start of the window. */
  since: string;
  generatedAt: string;
  /** Most recent first. */
  conversations: ChatSummary[];
  /** Records in the window per key, over all conversations. */
  keys: KeyUse[];
  /** Per scheduled or enforced key configuration whose enforcement date has come. */
  enforcement: EnforcementTotals[];
  /**
   * True when the window held more records than one report reads; the oldest ones were not
   * counted. Narrow the window with `since` to see exact totals.
   */
  truncated: boolean;
}

/** One stored activity of a conversation, for the conversation view. */
export interface ConversationMessage {
  at: string;
  direction: Direction;
  type: string;
  key: Pick<KeyUse, 'provider' | 'keyConfigId' | 'keyName'>;
  opened: boolean;
  /** Why the record did not open; null when it opened. */
  code: string | null;
  /** The message text: only with `includeText`, only when opened, null for activities without. */
  text?: string | null;
  /** The sender's display name: only with `includeText`. */
  from?: string | null;
}

/** One conversation with its records. */
export interface ConversationView {
  conversation: Omit<ChatSummary, 'readable'>;
  /** Oldest first; at most the requested number of the most recent records. */
  messages: ConversationMessage[];
  /** True when the conversation holds more records than returned. */
  truncated: boolean;
}
