/**
 * The validation harness: conversation scripts (`dialogs/*.json`) run against a bot in
 * process, and the revocation drill, each reported step by step. The CLI's `byok harness run`
 * and `byok harness revocation-drill` are thin shells over {@link runValidationScripts} and
 * {@link runRevocationDrill}.
 */
export {
  formatReport,
  type HarnessTarget,
  resumeThroughTestAdapter,
  runDialogScript,
  type ScriptReport,
  type StepReport,
} from './dialog-runner.js';
export {
  type DialogScript,
  dialogScriptSchema,
  type DialogStep,
  dialogStepSchema,
  loadDialogScript,
  parseDialogScript,
} from './dialog-script.js';
export { DrillStepFailure, formatDuration } from './drill-steps.js';
export { customerKeySwitch, type KeySwitch } from './key-switch.js';
export {
  type DrillMeasurements,
  type DrillReport,
  type DrillTime,
  manualDrillTime,
  realDrillTime,
  type RevocationDrillOptions,
  runRevocationDrill,
} from './revocation-drill.js';
export { openScratchServer, type ScratchEngine, type ScratchServer } from './scratch-database.js';
export {
  defaultScriptPaths,
  loadDialogScripts,
  runValidationScripts,
  type ValidationRun,
  type ValidationRunOptions,
} from './validation-run.js';
