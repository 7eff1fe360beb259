/**
 * Enterprise Key: the workspace's key configuration from creation to rotation. Create a
 * configuration (ARNs checked), run Test Configuration (five steps), choose apps and bots,
 * proceed; from the enforcement date the resolver seals selected owners' new data under the
 * CMK. Rotation, health checks and an append-only audit trail complete the lifecycle.
 */
export { type Actor, type AuditAction, type AuditEntry, AuditLog, systemActor } from './audit.js';
export type { AwsKeyAccess, KeyTarget } from './aws-access.js';
export { HealthStatus, type KeyHealth, KeyHealthMonitor } from './health.js';
export { type KeyConfig, KeyState, type TestResult, type TestStep, TestStepId } from './model.js';
export {
  awsKeyAccess,
  createKeysModule,
  type KeyServices,
  type KeysModule,
  type KeysModuleDeps,
  probeContext,
} from './module.js';
export { KeyConfigResolver } from './resolver.js';
export { RotationService } from './rotation.js';
export type { RotationJob } from './rotation-jobs.js';
export { RefusalReason } from './rules.js';
export { type Selection, SelectionService } from './selection.js';
export { KeyConfigService } from './service.js';
export { type KeyTester, TestConfiguration } from './test-configuration.js';
