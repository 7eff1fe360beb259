/**
 * The host's Direct Line compatible channel: conversations for the browser chat, sealed in
 * MongoDB and served by any host process on the database. The HTTP face is in
 * `src/http/bot` (`createDirectLineRouter`, mounted at {@link directLinePath}).
 */
export {
  type ActivitySet,
  connectorPath,
  type ConversationGrant,
  DirectLineChannel,
  type DirectLineOptions,
  directLinePath,
} from './channel.js';
export { HostAwareAuthentication, type HostChannel } from './host-channel.js';
export {
  type BotActivityInput,
  maxBotTextLength,
  maxUserTextLength,
  type UserActivityInput,
} from './schemas.js';
export { activitiesCollection, Direction } from './store.js';
export { bearerToken, clientTokenTtlSeconds, TokenSigner } from './tokens.js';
