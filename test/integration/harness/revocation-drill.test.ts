import { randomBytes } from 'node:crypto';

import { DescribeKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { systemClock } from '../../../src/base/clock.js';
import { type Config, loadConfig } from '../../../src/base/config.js';
import { silentLogger } from '../../../src/base/log.js';
import { registerHarnessCommands } from '../../../src/cli/commands/harness.js';
import type { CliIo } from '../../../src/cli/commands/policy.js';
import {
  type DrillReport,
  manualDrillTime,
  type RevocationDrillOptions,
  runRevocationDrill,
} from '../../../src/harness/index.js';
import { openServices } from '../../../src/host/services.js';
import {
  disableCustomerKey,
  enableCustomerKey,
  provisionCustomer,
} from '../../support/customer-aws.js';
import { testDatabase } from '../../support/db.js';
import {
  alice,
  type Platform,
  scheduledKey,
  startPlatform,
  workspaceWithCustomer,
} from '../keys/harness.js';

/** The data key cache's maximum age the drills run with: the promised bound. */
const cacheMaxAgeMs = 5 * 60_000;
const pollEveryMs = 30_000;

let platform: Platform;
const kms = new KMSClient({ region: 'us-east-1' });

beforeAll(async () => {
  platform = await startPlatform();
});
afterAll(async () => {
  kms.destroy();
  await platform.close();
});

/** A workspace whose key configuration is enforced from today, and its customer. */
async function enforcedKey(days = 0) {
  const { workspaceId, customer } = await workspaceWithCustomer(platform, 1);
  const keyConfigId = await scheduledKey(platform, workspaceId, customer, days);
  return { workspaceId, keyConfigId, cmkArn: customer.cmkArn };
}

/** Runs the drill on the platform's manual clock, counting calls of revoke and restore. */
async function drill(
  key: { workspaceId: string; keyConfigId: string },
  overrides: Partial<RevocationDrillOptions> & Pick<RevocationDrillOptions, 'revoke' | 'restore'>,
): Promise<{ report: DrillReport; calls: string[] }> {
  const calls: string[] = [];
  const report = await runRevocationDrill({
    ...key,
    keys: platform.keys,
    vault: platform.vault,
    time: manualDrillTime(platform.clock),
    cacheMaxAgeMs,
    pollEveryMs,
    ...overrides,
    revoke: async () => {
      calls.push('revoke');
      await overrides.revoke();
    },
    restore: async () => {
      calls.push('restore');
      await overrides.restore();
    },
  });
  return { report, calls };
}

async function keyState(cmkArn: string): Promise<string | undefined> {
  const described = await kms.send(new DescribeKeyCommand({ KeyId: cmkArn }));
  return described.KeyMetadata?.KeyState;
}

function step(report: DrillReport, kind: string) {
  return report.steps.find((s) => s.kind === kind);
}

describe('runRevocationDrill', () => {
  describe('when the customer disables an enforced key and enables it again', () => {
    it('keeps opening records until the cache max age, then loses access with KEY_DISABLED, and recovers', async () => {
      const key = await enforcedKey();

      const { report, calls } = await drill(key, {
        revoke: () => disableCustomerKey(key.cmkArn),
        restore: () => enableCustomerKey(key.cmkArn),
      });

      expect(report.passed, JSON.stringify(report.steps, null, 2)).toBe(true);
      expect(calls).toEqual(['revoke', 'restore']);
      const m = report.measurements;
      expect(m.lostCode).toBe('KEY_DISABLED');
      expect(m.lostAfterMs).toBeLessThanOrEqual(cacheMaxAgeMs);
      // Not before: the cached data key kept working up to the last poll inside the bound.
      expect(m.lastOpenedAfterMs).toBeGreaterThanOrEqual(cacheMaxAgeMs - pollEveryMs);
      expect(m.lastOpenedAfterMs).toBeLessThan(cacheMaxAgeMs);
      expect(m.sealRefusedCode).toBe('KEY_DISABLED');
      expect(m.healthWhenLost).toBe('access_lost (KEY_DISABLED)');
      expect(m.recoveredAfterMs).not.toBeNull();
      expect(m.healthAfterRestore).toBe('healthy');
      expect(step(report, 'access-lost')?.detail).toMatch(
        /^records kept opening for 4 min 30 s; refused from 5 min with KEY_DISABLED \(bound 5 min\)$/,
      );
      expect(await keyState(key.cmkArn)).toBe('Enabled');
      expect((await platform.keys.health.get(key.workspaceId, key.keyConfigId)).status).toBe(
        'healthy',
      );
    });
  });

  describe('when revoke() does not take access away', () => {
    it('fails the access-lost step with how long records kept opening, and still restores', async () => {
      const key = await enforcedKey();

      const { report, calls } = await drill(key, {
        revoke: () => Promise.resolve(),
        restore: () => Promise.resolve(),
      });

      expect(report.passed).toBe(false);
      expect(step(report, 'access-lost')).toMatchObject({
        status: 'failed',
        detail: 'records still opened 5 min 30 s after the revocation: beyond the promised 5 min',
      });
      expect(report.measurements.lostAfterMs).toBeNull();
      expect(step(report, 'health-lost')?.status).toBe('skipped');
      expect(step(report, 'restore')?.status).toBe('passed');
      expect(step(report, 'recovered')?.status).toBe('skipped');
      expect(calls).toEqual(['revoke', 'restore']);
    });
  });

  describe('when restore() does not give access back', () => {
    it('fails the recovery step with the code records still fail with', async () => {
      const key = await enforcedKey();

      const { report } = await drill(key, {
        revoke: () => disableCustomerKey(key.cmkArn),
        restore: () => Promise.resolve(),
      });
      await enableCustomerKey(key.cmkArn);

      expect(step(report, 'access-lost')?.status).toBe('passed');
      expect(step(report, 'recovered')).toMatchObject({
        status: 'failed',
        detail: 'records still fail with KEY_DISABLED 5 min after access was restored',
      });
      expect(report.measurements.recoveredAfterMs).toBeNull();
      expect(step(report, 'health-restored')?.status).toBe('skipped');
    });
  });

  describe('when access is lost with another code than expected', () => {
    it('fails that step and enables the key again before reporting', async () => {
      const key = await enforcedKey();

      const { report } = await drill(key, {
        expectedCode: 'KEY_PENDING_DELETION',
        revoke: () => disableCustomerKey(key.cmkArn),
        restore: () => enableCustomerKey(key.cmkArn),
      });

      expect(step(report, 'access-lost')).toMatchObject({
        status: 'failed',
        detail: 'access was lost with KEY_DISABLED, expected KEY_PENDING_DELETION',
      });
      expect(step(report, 'restore')?.status).toBe('passed');
      expect(await keyState(key.cmkArn)).toBe('Enabled');
    });
  });

  describe('when the key configuration is not enforced yet', () => {
    it('fails the first step and never touches the key', async () => {
      const key = await enforcedKey(3);

      const { report, calls } = await drill(key, {
        revoke: () => disableCustomerKey(key.cmkArn),
        restore: () => enableCustomerKey(key.cmkArn),
      });

      expect(report.steps[0]).toMatchObject({
        kind: 'configuration',
        status: 'failed',
        detail: 'the key configuration is scheduled, not enforced',
      });
      expect(report.steps.slice(1).every((s) => s.status === 'skipped')).toBe(true);
      expect(calls).toEqual([]);
      expect(await keyState(key.cmkArn)).toBe('Enabled');
    });
  });
});

describe('byok harness revocation-drill', () => {
  /** A platform database with an enforced key, opened the way the CLI opens it. */
  async function cliSetUp() {
    const database = await testDatabase('drill_cli');
    const config = loadConfig({
      ...process.env,
      MONGODB_URI: database.uri,
      MONGODB_DB: database.name,
      BYOK_DEK_CACHE_MAX_AGE_SECONDS: '2',
      BYOK_LOCAL_MASTER_KEY: randomBytes(32).toString('base64'),
      LOG_LEVEL: 'silent',
    });
    const services = await openServices({ config, logger: silentLogger, clock: systemClock });
    try {
      const { directory } = services.tenancy;
      const workspace = await directory.createWorkspace({ name: 'Drill workspace' });
      const app = await directory.createApp(workspace.id, { name: 'Drill app' });
      await directory.createBot(workspace.id, app.id, { name: 'Drill bot' });
      const customer = await provisionCustomer({
        serviceRoleArn: config.BYOK_SERVICE_ROLE_ARN,
        externalId: workspace.externalId,
      });
      const { configs } = services.keys;
      const created = await configs.create(alice, workspace.id, {
        name: 'Drill key',
        cmkArn: customer.cmkArn,
        roleArn: customer.roleArn,
        enforcementDate: new Date().toISOString().slice(0, 10),
      });
      await configs.test(alice, workspace.id, created.id);
      await configs.proceed(alice, workspace.id, created.id);
      return { database, config, workspaceId: workspace.id, keyConfigId: created.id, customer };
    } finally {
      await services.close();
    }
  }

  async function byok(config: Config, args: readonly string[]) {
    const run = { out: '', err: '', exitCode: undefined as number | undefined };
    const io: CliIo = {
      out: (text) => (run.out += text),
      err: (text) => (run.err += text),
      setExitCode: (code) => (run.exitCode = code),
    };
    const program = new Command('byok').exitOverride();
    registerHarnessCommands(program, { io, config: () => config });
    await program.parseAsync(['harness', 'revocation-drill', ...args], { from: 'user' });
    return run;
  }

  describe('when run on an enforced key with a 2-second cache max age', () => {
    it('disables the key, reports access lost within the bound, enables it and exits 0', async () => {
      const { database, config, workspaceId, keyConfigId, customer } = await cliSetUp();
      try {
        const flags = ['--workspace', workspaceId, '--key-config', keyConfigId];

        const refused = await byok(config, flags);
        const run = await byok(config, [...flags, '--confirm', '--json']);
        const report = JSON.parse(run.out) as DrillReport;

        expect(refused.exitCode).toBe(2);
        expect(refused.err).toContain('add --confirm to run it');
        expect(run.exitCode, JSON.stringify(report.steps, null, 2)).toBe(0);
        expect(report.measurements).toMatchObject({
          cacheMaxAgeMs: 2_000,
          lostCode: 'KEY_DISABLED',
          healthWhenLost: 'access_lost (KEY_DISABLED)',
          healthAfterRestore: 'healthy',
        });
        expect(report.measurements.lastOpenedAfterMs).toBeLessThan(2_000);
        expect(await keyState(customer.cmkArn)).toBe('Enabled');
      } finally {
        await database.drop();
      }
    });
  });
});
