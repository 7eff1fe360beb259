/**
 * Chat analytics: which key protects a workspace's recent conversations, and whether they
 * still open under it. Counts and keys come from the clear fields of the sealed transcript
 * records; only the readability check and the conversation view open records, through the
 * same sealer the bots use. The admin API and the console are thin faces over
 * {@link ChatAnalytics}.
 *
 * @example
 * ```ts
 * const analytics = new ChatAnalytics({ db, sealer, directory, keyConfigs: keys.configs });
 * const report = await analytics.recentChats({ workspaceId, limit: 10 });
 * // report.conversations[0].keys, report.conversations[0].readable?.status
 * ```
 */
export {
  type AppNames,
  ChatAnalytics,
  type ChatAnalyticsOptions,
  type ConversationInput,
  conversationInput,
  conversationKeySchema,
  type RecentChatsInput,
  recentChatsInput,
} from './chat-analytics.js';
export type { KeyConfigList } from './enforcement.js';
export {
  type ChatSummary,
  type ConversationMessage,
  type ConversationView,
  type EnforcementTotals,
  type KeyUse,
  Readability,
  type ReadabilityCheck,
  type RecentChats,
} from './types.js';
