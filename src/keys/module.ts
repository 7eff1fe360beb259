/**
 * Composition of the key lifecycle: one call builds every key service over a database, so
 * the host's wiring stays short. The host then mounts the admin router with the returned
 * services, seals with the returned resolver, starts health checks and resumes rotations.
 *
 * @example
 * ```ts
 * const tenancy = await createTenancy(db, clock);
 * const keys = await createKeysModule({ db, tenancy, config, clock, logger, aws, localBinding, vault });
 * const sealer = new EnvelopeSealer({ vault, resolver: keys.resolver, clock, logger });
 * keys.start(); // health rounds and unfinished rotations
 * app mounts createAdminRouter({ tenancy, keys, clock, serviceRoleArn: config.BYOK_SERVICE_ROLE_ARN })
 * ```
 */
import type { Db } from 'mongodb';

import type { EncryptionContext } from '../aws/key-provider.js';
import type { AwsKeyProviders } from '../aws/kms-provider.js';
import type { Clock } from '../base/clock.js';
import type { Config } from '../base/config.js';
import type { Logger } from '../base/log.js';
import { newDekId } from '../crypto/envelope.js';
import { dataKeyContext } from '../sealing/sealer.js';
import type { KeyBinding } from '../sealing/types.js';
import type { KeyVault } from '../store/key-vault.js';
import type { Tenancy } from '../tenancy/index.js';
import { AuditLog } from './audit.js';
import type { AwsKeyAccess } from './aws-access.js';
import { KeyHealthMonitor } from './health.js';
import { KeyConfigResolver } from './resolver.js';
import { RotationService } from './rotation.js';
import type { RotationJob } from './rotation-jobs.js';
import { SelectionService } from './selection.js';
import { KeyConfigService, type KeyServiceDeps } from './service.js';
import { KeyConfigStore } from './store.js';
import { TestConfiguration } from './test-configuration.js';

/** The app id named in the encryption context of Test Configuration and health probes. */
export const probeAppId = 'byok-configuration-test';

/** What {@link createKeysModule} needs. */
export interface KeysModuleDeps {
  /** The host's database; the key collections are created in it. */
  db: Db;
  /** Workspaces, apps and bots (from `createTenancy`). */
  tenancy: Tenancy;
  /** BYOK_SERVICE_ROLE_ARN and BYOK_HEALTH_INTERVAL_SECONDS are read. */
  config: Pick<Config, 'BYOK_SERVICE_ROLE_ARN' | 'BYOK_HEALTH_INTERVAL_SECONDS'>;
  clock: Clock;
  logger: Logger;
  /** The process's AWS clients and assumed-role credentials (`createAwsKeyProviders`). */
  aws: AwsKeyProviders;
  /** The platform default key's binding (`defaultKeyBinding(localProvider)`). */
  localBinding: KeyBinding;
  /** The key vault the sealer uses; rotations rewrap its data keys. */
  vault: KeyVault;
  /** Tuning for tests and operators. */
  options?: {
    /** How long the resolver reuses a lookup, ms (default 5000). */
    resolverCacheMs?: number;
    /** Data keys per rotation batch (default 50). */
    rotationBatchSize?: number;
    /** Called after each stored rotation batch. */
    onRotationProgress?: (job: RotationJob) => void | Promise<void>;
    /** Longest one health check may take, ms (default 20000). */
    healthCheckTimeoutMs?: number;
    /**
     * How often a started module looks for rotation jobs left by a stopped process (a CLI
     * that exited, a host that crashed), ms (default 60000).
     */
    rotationResumeIntervalMs?: number;
  };
}

/** The services the admin API and the CLI call. */
export interface KeyServices {
  configs: KeyConfigService;
  selection: SelectionService;
  rotation: RotationService;
  health: KeyHealthMonitor;
  audit: AuditLog;
}

/** Everything {@link createKeysModule} builds. */
export interface KeysModule extends KeyServices {
  /** The key resolver for the sealer: CMK for selected owners from the date, default otherwise. */
  resolver: KeyConfigResolver;
  store: KeyConfigStore;
  /** Report a failed key operation (seal or open); never throws. */
  reportKeyFailure(tenantId: string, keyConfigId: string | null, error: unknown): Promise<void>;
  /** Resumes unfinished rotation jobs; returns their ids. */
  resumeRotationJobs(): Promise<string[]>;
  /** Starts health rounds, resumes rotations and keeps looking for abandoned ones. */
  start(): Promise<void>;
  /** Stops health rounds and rotation jobs (after their current batch). */
  stop(): Promise<void>;
}

/** An {@link AwsKeyAccess} over the process's AWS clients. */
export function awsKeyAccess(aws: AwsKeyProviders): AwsKeyAccess {
  return {
    assumeRole: async (target) => {
      await aws.provider(target).assumeRole({ fresh: true });
    },
    provider: (target) => aws.provider(target),
  };
}

/** The encryption context of probes: production's shape, with a fresh data key id. */
export function probeContext(tenantId: string): EncryptionContext {
  return dataKeyContext(tenantId, probeAppId, newDekId());
}

/** Builds the key services, creates their indexes and wires cache invalidation. */
export async function createKeysModule(deps: KeysModuleDeps): Promise<KeysModule> {
  const { db, clock, logger } = deps;
  const serviceRoleArn = deps.config.BYOK_SERVICE_ROLE_ARN;
  const access = awsKeyAccess(deps.aws);
  const store = new KeyConfigStore(db);
  const audit = new AuditLog(db, clock);
  const directory = deps.tenancy.directory;
  const resolver = new KeyConfigResolver({
    store,
    directory,
    access,
    clock,
    localBinding: deps.localBinding,
    ...(deps.options?.resolverCacheMs === undefined
      ? {}
      : { cacheMs: deps.options.resolverCacheMs }),
  });
  const tester = new TestConfiguration({
    access,
    clock,
    serviceRoleArn,
    encryptionContext: probeContext,
  });
  const shared: KeyServiceDeps = {
    store,
    audit,
    directory,
    tester,
    clock,
    serviceRoleArn,
    onChange: (workspaceId) => {
      resolver.invalidate(workspaceId);
    },
  };
  const configs = new KeyConfigService(shared);
  const selection = new SelectionService(shared, configs);
  const rotation = new RotationService(shared, configs, {
    db,
    access,
    vault: deps.vault,
    logger,
    ...(deps.options?.rotationBatchSize === undefined
      ? {}
      : { batchSize: deps.options.rotationBatchSize }),
    ...(deps.options?.onRotationProgress === undefined
      ? {}
      : { onProgress: deps.options.onRotationProgress }),
  });
  const health = new KeyHealthMonitor({
    db,
    store,
    directory,
    access,
    audit,
    clock,
    logger,
    serviceRoleArn,
    encryptionContext: probeContext,
    intervalSeconds: deps.config.BYOK_HEALTH_INTERVAL_SECONDS,
    ...(deps.options?.healthCheckTimeoutMs === undefined
      ? {}
      : { checkTimeoutMs: deps.options.healthCheckTimeoutMs }),
  });

  await Promise.all([store.ensureIndexes(), audit.ensureIndexes(), rotation.ensureIndexes()]);
  let resumeTimer: NodeJS.Timeout | undefined;
  const resumeQuietly = () => {
    rotation.resume().catch((error: unknown) => {
      logger.warn({ err: error }, 'could not look for unfinished rotation jobs');
    });
  };

  return {
    configs,
    selection,
    rotation,
    health,
    audit,
    resolver,
    store,
    reportKeyFailure: async (tenantId, keyConfigId, error) => {
      await health.reportKeyFailure(tenantId, keyConfigId, error);
    },
    resumeRotationJobs: () => rotation.resume(),
    start: async () => {
      health.start();
      await rotation.resume();
      resumeTimer ??= setInterval(resumeQuietly, deps.options?.rotationResumeIntervalMs ?? 60_000);
      resumeTimer.unref();
    },
    stop: async () => {
      clearInterval(resumeTimer);
      resumeTimer = undefined;
      health.stop();
      await rotation.stop();
    },
  };
}
