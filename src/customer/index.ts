/**
 * Customer-side tools: the verification checklist a customer runs against their own AWS
 * account (online) or policy files (offline) before handing the role and key to the platform.
 * The documents to paste come from `src/aws/policies.ts`.
 */
export { allPassed, CheckId, type CheckResult, type CheckStatus } from './check-result.js';
export { runChecks } from './checks.js';
export {
  type AttachedPolicy,
  type Evidence,
  type Expectations,
  type Fetched,
  type KeyFacts,
  type PermissionPolicy,
} from './evidence.js';
export { type OfflineFiles, verifyOffline } from './offline.js';
export { createCustomerClients, type CustomerClients, verifyOnline } from './online.js';
export {
  type AccessDecision,
  type AccessRequest,
  decide,
  parsePolicy,
  type Policy,
  type Statement,
} from './policy-document.js';
export {
  parseVerifyInput,
  type VerifyInput,
  verifyInputSchema,
  type VerifyTarget,
} from './target.js';
