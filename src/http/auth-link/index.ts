/** The authorization link page of the Basic Auth validation; mount the router at `/auth`. */
export {
  basicChallenge,
  parseBasicAuthorization,
  type ParsedBasicCredentials,
  Utf8BasicStrategy,
} from './basic-strategy.js';
export { type AuthLinkRouterDeps, createAuthLinkRouter, successPath } from './router.js';
