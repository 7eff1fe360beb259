/**
 * The revocation drill proves the promise the platform makes to a customer: once they revoke
 * access to their key, data sealed under it stops opening within the data key cache's maximum
 * age, and comes back as soon as they restore access.
 *
 * The drill works on a workspace key configuration that is enforced:
 * 1. A probe record of an app on that key is sealed and opened through the real envelope sealer
 *    and the key-configuration resolver, with a data key cache of its own.
 * 2. Key health is checked before anything changes: a drill on a broken key proves nothing.
 * 3. Access is revoked by the caller's `revoke()` (the customer disables the key).
 * 4. The probe is opened every `pollEveryMs` until it is refused. Every open that succeeds must
 *    come earlier than the cache's maximum age after the revocation; the refusal must carry
 *    the expected code (`KEY_DISABLED`). New data must then be refused too.
 * 5. The failure is reported to key health as the host reports it; health must say access lost.
 * 6. Access is restored by `restore()`, which runs even when an earlier step failed, so a drill
 *    never leaves a customer's key disabled. The probe must open again and health recover.
 *
 * Time comes from a {@link DrillTime}: tests move a manual clock, the CLI waits in real time
 * with a short cache maximum age. The probe record is never stored; only the data key the
 * sealer uses for the app (the app's active one, or a new one) is in the key vault.
 */
import { randomBytes, randomUUID } from 'node:crypto';

import type { Clock, ManualClock } from '../base/clock.js';
import { ByokError, ErrorCode, toByokError } from '../base/errors.js';
import { type Logger, silentLogger } from '../base/log.js';
import { DekCache } from '../crypto/dek-cache.js';
import { systemActor } from '../keys/audit.js';
import { HealthStatus } from '../keys/health.js';
import type { KeysModule } from '../keys/module.js';
import { EnvelopeSealer } from '../sealing/sealer.js';
import type { SealScope } from '../sealing/types.js';
import type { KeyVault } from '../store/key-vault.js';
import type { ScriptReport } from './dialog-runner.js';
import { type DrillSteps, fail, formatDuration, runDrillSteps } from './drill-steps.js';

/** A clock the drill can wait on. */
export interface DrillTime extends Clock {
  /** Lets `ms` milliseconds pass. */
  wait(ms: number): Promise<void>;
}

/** Real time: waiting sleeps. */
export const realDrillTime: DrillTime = {
  now: () => Date.now(),
  wait: (ms) =>
    new Promise((resolve) => {
      setTimeout(resolve, ms);
    }),
};

/** A manual clock: waiting moves it forward at once. */
export function manualDrillTime(clock: ManualClock): DrillTime {
  return {
    now: () => clock.now(),
    wait: (ms) => {
      clock.advance(ms);
      return Promise.resolve();
    },
  };
}

/** What {@link runRevocationDrill} needs. */
export interface RevocationDrillOptions {
  workspaceId: string;
  keyConfigId: string;
  /** The key services; their clock must be the drill's clock. */
  keys: Pick<KeysModule, 'configs' | 'selection' | 'health' | 'resolver'>;
  /** The key vault the platform's sealers use. */
  vault: KeyVault;
  time: DrillTime;
  /** The data key cache's maximum age (BYOK_DEK_CACHE_MAX_AGE_SECONDS): the promised bound. */
  cacheMaxAgeMs: number;
  /** Time between attempts to open the probe; default a tenth of the maximum age. */
  pollEveryMs?: number;
  /** How long restored access may take to work again; default the maximum age. */
  recoveryTimeoutMs?: number;
  /** The code a refused open must carry (default `KEY_DISABLED`). */
  expectedCode?: string;
  /** Takes the platform's access away (the customer disables the key). */
  revoke(): Promise<void>;
  /** Gives it back (the customer enables the key). */
  restore(): Promise<void>;
  logger?: Logger;
}

/** What the drill measured, in milliseconds after revocation or restoration. */
export interface DrillMeasurements {
  cacheMaxAgeMs: number;
  pollEveryMs: number;
  /** The last open that still succeeded after revocation; null if none did. */
  lastOpenedAfterMs: number | null;
  /** The first open that was refused; null if none was. */
  lostAfterMs: number | null;
  /** The code of that refusal. */
  lostCode: string | null;
  /** The code sealing new data was refused with after access was lost. */
  sealRefusedCode: string | null;
  /** Key health once access was lost, as `status` or `status (reason)`. */
  healthWhenLost: string | null;
  /** The first open that succeeded after restoration. */
  recoveredAfterMs: number | null;
  /** Key health after restoration. */
  healthAfterRestore: string | null;
}

/** The drill's steps, verdict and numbers. */
export interface DrillReport extends ScriptReport {
  measurements: DrillMeasurements;
}

/** Runs the drill; see the module comment. Throws only for options that make no sense. */
export async function runRevocationDrill(options: RevocationDrillOptions): Promise<DrillReport> {
  const { keys, time, workspaceId, keyConfigId } = options;
  const maxAgeMs = positive('cacheMaxAgeMs', options.cacheMaxAgeMs);
  const pollEveryMs = positive('pollEveryMs', options.pollEveryMs ?? Math.ceil(maxAgeMs / 10));
  const recoveryTimeoutMs = options.recoveryTimeoutMs ?? maxAgeMs;
  const expectedCode = options.expectedCode ?? ErrorCode.KeyDisabled;
  const actor = systemActor('revocation-drill');
  const m: DrillMeasurements = {
    cacheMaxAgeMs: maxAgeMs,
    pollEveryMs,
    lastOpenedAfterMs: null,
    lostAfterMs: null,
    lostCode: null,
    sealRefusedCode: null,
    healthWhenLost: null,
    recoveredAfterMs: null,
    healthAfterRestore: null,
  };

  const cache = new DekCache({ maxAgeMs, clock: time });
  const sealer = new EnvelopeSealer({
    vault: options.vault,
    resolver: keys.resolver,
    cache,
    clock: time,
    logger: options.logger ?? silentLogger,
  });
  const probe = randomBytes(32);
  let scope: SealScope | undefined;
  let envelope: Buffer | undefined;
  let lostError: unknown;
  const opens = async () => {
    if (scope === undefined || envelope === undefined) throw new Error('no probe was sealed');
    return (await sealer.open(scope, envelope)).equals(probe);
  };

  const steps: DrillSteps = [
    {
      kind: 'configuration',
      run: async () => {
        const config = await keys.configs.get(workspaceId, keyConfigId);
        if (config.state !== 'enforced') {
          return fail(`the key configuration is ${config.state}, not enforced`);
        }
        const selection = await keys.selection.get(workspaceId, keyConfigId);
        const app = selection.apps.find((a) => a.selected);
        if (app === undefined) return fail('the key configuration covers no app');
        scope = {
          tenantId: workspaceId,
          appId: app.id,
          collection: 'revocation_drill',
          recordId: randomUUID(),
          field: 'probe',
        };
        return `"${config.name}" is enforced and covers app ${app.id}`;
      },
    },
    {
      kind: 'seal-and-open',
      run: async () => {
        if (scope === undefined) return fail('no app to seal for');
        const sealed = await sealer.seal(scope, probe);
        envelope = sealed.envelope;
        if (sealed.provenance.keyConfigId !== keyConfigId) {
          return fail(`the probe was sealed under ${sealed.provenance.keyName}, not this key`);
        }
        if (!(await opens())) return fail('the probe opened to a different value');
        return `a probe record sealed under "${sealed.provenance.keyName}" opens`;
      },
    },
    {
      kind: 'health-before',
      run: async () => {
        const health = await keys.health.check(actor, workspaceId, keyConfigId);
        if (health.status !== HealthStatus.Healthy) {
          return fail(`key health is ${describeHealth(health)} before the revocation`);
        }
        return 'key health is healthy';
      },
    },
    {
      kind: 'revoke',
      revokes: true,
      run: async () => {
        await options.revoke();
        return 'access to the key was revoked';
      },
    },
    {
      kind: 'access-lost',
      run: async () => {
        const revokedAt = time.now();
        const limit = maxAgeMs + pollEveryMs;
        for (;;) {
          const elapsed = time.now() - revokedAt;
          try {
            if (!(await opens())) return fail('the probe opened to a different value');
            m.lastOpenedAfterMs = elapsed;
          } catch (error) {
            lostError = error;
            m.lostAfterMs = elapsed;
            m.lostCode = toByokError(error).code;
            break;
          }
          if (elapsed >= limit) break;
          await time.wait(pollEveryMs);
        }
        return judgeWindow(m, maxAgeMs, expectedCode);
      },
    },
    {
      kind: 'seal-refused',
      run: async () => {
        if (scope === undefined) return fail('no app to seal for');
        try {
          await sealer.seal({ ...scope, recordId: randomUUID() }, probe);
        } catch (error) {
          m.sealRefusedCode = toByokError(error).code;
          if (m.sealRefusedCode !== expectedCode) {
            return fail(`sealing new data was refused with ${m.sealRefusedCode}`);
          }
          return `sealing new data is refused with ${m.sealRefusedCode}`;
        }
        return fail('new data was still sealed after access was lost');
      },
    },
    {
      kind: 'health-lost',
      run: async () => {
        const reported = await keys.health.reportKeyFailure(workspaceId, keyConfigId, lostError);
        const health = reported ?? (await keys.health.check(actor, workspaceId, keyConfigId));
        m.healthWhenLost = describeHealth(health);
        if (health.status !== HealthStatus.AccessLost) {
          return fail(`key health is ${m.healthWhenLost}, expected access_lost`);
        }
        return `key health reports ${m.healthWhenLost}`;
      },
    },
    {
      kind: 'restore',
      restores: true,
      run: async () => {
        await options.restore();
        return 'access to the key was restored';
      },
    },
    {
      kind: 'recovered',
      run: async () => {
        const restoredAt = time.now();
        for (;;) {
          const elapsed = time.now() - restoredAt;
          let same: boolean;
          try {
            same = await opens();
          } catch (error) {
            if (elapsed >= recoveryTimeoutMs) {
              return fail(
                `records still fail with ${toByokError(error).code} ` +
                  `${formatDuration(elapsed)} after access was restored`,
              );
            }
            await time.wait(pollEveryMs);
            continue;
          }
          if (!same) return fail('the probe opened to a different value');
          m.recoveredAfterMs = elapsed;
          return `records open again ${formatDuration(elapsed)} after access was restored`;
        }
      },
    },
    {
      kind: 'health-restored',
      run: async () => {
        const health = await keys.health.check(actor, workspaceId, keyConfigId);
        m.healthAfterRestore = describeHealth(health);
        if (health.status !== HealthStatus.Healthy) {
          return fail(`key health is ${m.healthAfterRestore} after access was restored`);
        }
        return 'key health is healthy again';
      },
    },
  ];

  try {
    const report = await runDrillSteps('Revocation drill', steps);
    return { ...report, measurements: m };
  } finally {
    cache.close();
    probe.fill(0);
  }
}

/** Whether the window between revocation and the first refusal kept the promise. */
function judgeWindow(m: DrillMeasurements, maxAgeMs: number, expectedCode: string): string {
  const bound = formatDuration(maxAgeMs);
  if (m.lostAfterMs === null) {
    return fail(
      `records still opened ${formatDuration(m.lastOpenedAfterMs ?? 0)} after the revocation: ` +
        `beyond the promised ${bound}`,
    );
  }
  if (m.lastOpenedAfterMs !== null && m.lastOpenedAfterMs >= maxAgeMs) {
    return fail(
      `a record opened ${formatDuration(m.lastOpenedAfterMs)} after the revocation: ` +
        `beyond the promised ${bound}`,
    );
  }
  if (m.lostCode !== expectedCode) {
    return fail(`access was lost with ${String(m.lostCode)}, expected ${expectedCode}`);
  }
  const kept =
    m.lastOpenedAfterMs === null
      ? 'no record opened after the revocation'
      : `records kept opening for ${formatDuration(m.lastOpenedAfterMs)}`;
  return `${kept}; refused from ${formatDuration(m.lostAfterMs)} with ${m.lostCode} (bound ${bound})`;
}

function describeHealth(health: { status: string; reason: string | null }): string {
  return health.reason === null ? health.status : `${health.status} (${health.reason})`;
}

function positive(name: string, value: number): number {
  if (!Number.isFinite(value) || value <= 0) {
    throw new ByokError(ErrorCode.BadInput, `${name}: expected a positive number of ms`);
  }
  return value;
}
