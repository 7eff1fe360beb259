/**
 * The bot feature: the sealing plugin any botbuilder bot can adopt, the validation bot with
 * BasicAuthValidationDialog, and the authorization links it hands out.
 *
 * For any bot (a few lines, see `examples/plugin-bot.ts`):
 * ```ts
 * const plugin = createSealingPlugin({ db, sealer, owner: { tenantId, appId, botId } });
 * adapter.use(plugin.transcriptLogger);
 * const conversationState = new ConversationState(plugin.storage);
 * ```
 */
export * from './auth-links/index.js';
export {
  BasicAuthValidationDialog,
  basicAuthValidationDialogId,
  type BasicAuthValidationDialogOptions,
  reportLinkResult,
  resumedResultOf,
  setResumedResult,
} from './dialogs/basic-auth-validation.js';
export * as botMessages from './messages.js';
export * from './plugin/index.js';
export {
  createValidationBot,
  type HostedBot,
  ValidationBot,
  type ValidationBotOptions,
} from './validation-bot.js';
