/**
 * A key configuration's page. Before it is scheduled the page walks the admin through the
 * create flow (Test Configuration, then apps and bots, then Proceed); afterwards it shows
 * status, health, selection, rotation and the audit trail.
 */
import type {
  AuditEntry,
  KeyConfig,
  KeyHealth,
  RotationJob,
  Selection,
} from '../../../keys/index.js';
import { auditTable, healthBadge, stateBadge, testStep, when } from '../format.js';
import { html, type SafeHtml } from '../html.js';
import { copyField } from './key-new.js';
import {
  healthSection,
  proceedSection,
  rotationSection,
  selectionSection,
} from './key-sections.js';

/** Everything the page shows. */
export interface KeyPageView {
  config: KeyConfig;
  health: KeyHealth;
  selection: Selection;
  rotation: RotationJob | null;
  audit: readonly AuditEntry[];
  /** `apps` once the admin moved on from a passing test. */
  step: 'apps' | null;
  /** A fixed confirmation to show at the top, if any. */
  notice: string | null;
  today: string;
}

const flow = ['Configure', 'Test Configuration', 'Apps and bots', 'Proceed'] as const;

function stepper(current: number): SafeHtml {
  return html`<ol class="stepper">
    ${flow.map(
      (label, i) =>
        html`<li class="${i < current ? 'done' : i === current ? 'current' : ''}">${label}</li>`,
    )}
  </ol>`;
}

function configurationSection(config: KeyConfig, today: string): SafeHtml {
  const enforced = config.state === 'enforced';
  const edit = enforced
    ? html`<p class="note">
        Enforced since ${config.enforcementDate}: from that date only the key can be rotated and the
        app and bot selection changed.
      </p>`
    : html`<details data-scope>
        <summary>Change key, role or enforcement date</summary>
        <form
          data-form="edit-key"
          data-key="${config.id}"
          data-version="${config.version}"
          novalidate
        >
          <label for="edit-cmk">CMK ARN</label>
          <input id="edit-cmk" name="cmkArn" type="text" value="${config.cmkArn}" required />
          <label for="edit-role">Role ARN</label>
          <input id="edit-role" name="roleArn" type="text" value="${config.roleArn}" required />
          <label for="edit-date">Enforcement date (UTC)</label>
          <input
            id="edit-date"
            name="enforcementDate"
            type="date"
            min="${today}"
            value="${config.enforcementDate}"
            required
          />
          <p class="hint">A change of key, role or date needs a new passing test and Proceed.</p>
          <p class="alert error" data-error role="alert" hidden></p>
          <div class="actions"><button type="submit">Save changes</button></div>
        </form>
      </details>`;

  return html`<section class="card" id="configuration">
    <h2>Configuration</h2>
    <dl class="facts">
      <dt>Cloud provider</dt>
      <dd>Amazon Web Services (AWS KMS)</dd>
      <dt>CMK ARN</dt>
      <dd class="arn" data-field="cmkArn">${config.cmkArn}</dd>
      <dt>Role ARN</dt>
      <dd class="arn" data-field="roleArn">${config.roleArn}</dd>
      <dt>Enforcement date</dt>
      <dd>${config.enforcementDate} (00:00 UTC)</dd>
      <dt>Created</dt>
      <dd>${when(config.createdAt)} by ${config.createdBy.label}</dd>
    </dl>
    ${copyField('external-id', 'External ID', config.externalId, 'Goes in your role’s trust policy.')}
    ${edit}
  </section>`;
}

function testSection(view: KeyPageView, showNext: boolean): SafeHtml {
  const { config } = view;
  const last = config.lastTest;
  const result =
    last === null
      ? html`<p class="muted">
          Not tested yet. The test assumes your role with the external ID and uses your key the way
          production will.
        </p>`
      : html`<p
            class="${last.passed ? 'good-text' : 'bad-text'}"
            data-test-result="${last.passed ? 'passed' : 'failed'}"
          >
            ${last.passed ? 'All five steps passed' : 'A step failed'}
            <span class="muted small">· ${when(last.at)}</span>
          </p>
          <ol class="steps">
            ${last.steps.map((step, i) => testStep(step, i))}
          </ol>`;
  const next =
    showNext && last?.passed === true
      ? html`<a class="button primary" href="?step=apps#apps" data-action="next">
          Next: choose apps and bots
        </a>`
      : '';
  return html`<section class="card" id="test" data-scope>
    <h2>Test Configuration</h2>
    ${result}
    <p class="alert error" data-error role="alert" hidden></p>
    <div class="actions">
      <button
        type="button"
        class="${showNext && next === '' ? 'primary' : ''}"
        data-action="test"
        data-key="${config.id}"
      >
        ${last === null ? 'Run Test Configuration' : 'Run again'}
      </button>
      ${next}
    </div>
  </section>`;
}

function summary(view: KeyPageView): SafeHtml {
  const { config, health } = view;
  const text =
    config.state === 'scheduled'
      ? html`Scheduled: from <strong>${config.enforcementDate}</strong> new data of the selected
          apps and bots is sealed under this key.`
      : config.state === 'enforced'
        ? html`Enforced since <strong>${config.enforcementDate}</strong>.`
        : config.state === 'tested'
          ? html`Tested: choose the apps and bots, then proceed.`
          : html`Draft: run Test Configuration and make all five steps pass.`;
  return html`<p class="summary">${text} Health: ${healthBadge(health)}</p>`;
}

/** The page body. */
export function keyPage(base: string, view: KeyPageView): SafeHtml {
  const { config } = view;
  const inFlow = config.state === 'draft' || config.state === 'tested';
  const onApps = config.state === 'tested' && view.step === 'apps';
  const head = html`<nav class="crumbs">
      <a href="${base}/keys">Enterprise Key</a> › ${config.name}
    </nav>
    ${inFlow ? stepper(onApps ? 2 : 1) : ''}
    <div class="title-row">
      <h1>${config.name}</h1>
      ${stateBadge(config.state)}
    </div>
    ${view.notice === null ? '' : html`<p class="alert notice" role="status">${view.notice}</p>`}
    ${summary(view)}`;

  const sections = inFlow
    ? onApps
      ? [proceedSection(config, view.selection)]
      : [testSection(view, true), configurationSection(config, view.today)]
    : [
        selectionSection(config, view.selection),
        rotationSection(config, view.rotation),
        healthSection(config, view.health),
        configurationSection(config, view.today),
        testSection(view, false),
      ];

  return html`${head} ${sections}
    <section class="card" id="audit">
      <h2>Audit trail</h2>
      ${auditTable(view.audit)}
    </section>`;
}
