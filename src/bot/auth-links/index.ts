/**
 * Authorization links for the Basic Auth validation: issued by the bot, completed on the
 * authorization page, expired by the sweeper, all through {@link BasicAuthService}.
 */
export {
  credentialsScope,
  type IssuedLink,
  linkCollection,
  type LinkDocument,
  LinkState,
  LinkStore,
  type LinkStoreOptions,
  type SealedField,
} from './link-store.js';
export {
  type BasicCredentials,
  basicCredentialsSchema,
  defaultValidationCredentials,
  profileCollection,
  ValidationProfiles,
} from './profiles.js';
export { keyLabelOf, LinkOutcome, type LinkResult, type ResumeConversation } from './resume.js';
export {
  BasicAuthService,
  type BasicAuthServiceOptions,
  type LinkCheck,
  type LinkParams,
  type StoredCredentialsReport,
  type SubmitOutcome,
} from './service.js';
export {
  type LinkBinding,
  linkSecretFile,
  LinkSigner,
  loadPlatformSecret,
  type PlatformSecretSource,
} from './signing.js';
export { LinkExpirySweeper, type LinkExpirySweeperOptions } from './sweeper.js';
export {
  attemptCollection,
  AttemptThrottle,
  defaultThrottleLimits,
  type ThrottleLimits,
  type ThrottleVerdict,
} from './throttle.js';
