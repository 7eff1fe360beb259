/**
 * The validation harness: conversation scripts (`dialogs/*.json`) run against a bot in
 * process, with a report per step. The CLI's `byok harness run <script>` is a thin shell over
 * {@link loadDialogScript}, {@link runDialogScript} and {@link formatReport}.
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
