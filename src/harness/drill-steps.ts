/**
 * Runs a drill as a list of steps and reports each the way the dialog runner does, so both
 * print with `formatReport`. After a failed step the rest are skipped, with one exception: a
 * step that gives back what an earlier step took away (`restores`) runs whenever that step
 * (`revokes`) ran, because a drill must never leave a customer's key revoked.
 */
import { toByokError } from '../base/errors.js';
import type { ScriptReport, StepReport } from './dialog-runner.js';

/** One step: `run` returns what was checked, or throws {@link DrillStepFailure}. */
export interface DrillStep {
  kind: string;
  run: () => Promise<string>;
  /** This step takes something away that a `restores` step must give back. */
  revokes?: boolean;
  /** Runs even after a failure, once a `revokes` step has run. */
  restores?: boolean;
}

/** The steps of a drill, in order. */
export type DrillSteps = readonly DrillStep[];

/** A step whose expectation was not met; its message is the step's detail. */
export class DrillStepFailure extends Error {}

/** Fails the current step with `detail`. */
export function fail(detail: string): never {
  throw new DrillStepFailure(detail);
}

/** Runs `steps` in order and reports each. */
export async function runDrillSteps(name: string, steps: DrillSteps): Promise<ScriptReport> {
  const reports: StepReport[] = [];
  let failed = false;
  let revoked = false;
  for (const [index, step] of steps.entries()) {
    const base = { index: index + 1, kind: step.kind };
    const mustRun = step.restores === true && revoked;
    if (failed && !mustRun) {
      reports.push({ ...base, status: 'skipped', detail: 'an earlier step failed' });
      continue;
    }

    // A revocation that threw may still have taken effect, so it must be undone either way.
    if (step.revokes === true) revoked = true;
    try {
      reports.push({ ...base, status: 'passed', detail: await step.run() });
    } catch (error) {
      failed = true;
      const unexpected = toByokError(error);
      const detail =
        error instanceof DrillStepFailure
          ? error.message
          : `error ${unexpected.code}: ${unexpected.message}`;
      reports.push({ ...base, status: 'failed', detail });
    }
  }
  return { name, passed: !failed, steps: reports };
}

/** A duration for a report: `850 ms`, `4.5 s`, `5 min 30 s`. */
export function formatDuration(ms: number): string {
  if (ms < 1_000) return `${String(Math.round(ms))} ms`;
  if (ms < 60_000) return `${String(Math.round(ms / 100) / 10)} s`;
  const minutes = Math.floor(ms / 60_000);
  const seconds = Math.round((ms % 60_000) / 1_000);
  return seconds === 0 ? `${String(minutes)} min` : `${String(minutes)} min ${String(seconds)} s`;
}
