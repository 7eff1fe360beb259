/**
 * Words and small pieces the console shows for the key library's values: states, health,
 * test steps, audit entries and times. Everything returns markup built with `html`, so the
 * values stay escaped.
 */
import type { AuditEntry, KeyHealth, KeyState, TestStep } from '../../keys/index.js';
import { html, type SafeHtml } from './html.js';

const stateLabels: Readonly<Record<KeyState, [string, string]>> = {
  draft: ['Draft', 'muted'],
  tested: ['Tested', 'info'],
  scheduled: ['Scheduled', 'info'],
  enforced: ['Enforced', 'good'],
};

/** A badge for a configuration state. */
export function stateBadge(state: KeyState): SafeHtml {
  const [label, tone] = stateLabels[state];
  return html`<span class="badge ${tone}" data-state="${state}">${label}</span>`;
}

const healthLabels: Readonly<Record<string, [string, string]>> = {
  unknown: ['Not checked yet', 'muted'],
  healthy: ['Healthy', 'good'],
  access_lost: ['Access lost', 'bad'],
  kms_unreachable: ['KMS unreachable', 'warn'],
};

/** A badge for a key's health. */
export function healthBadge(health: Pick<KeyHealth, 'status'>): SafeHtml {
  const [label, tone] = healthLabels[health.status] ?? [health.status, 'muted'];
  return html`<span class="badge ${tone}" data-health="${health.status}">${label}</span>`;
}

/** A time as `2026-12-03 16:04 UTC`; an em dash for none. */
export function when(iso: string | null | undefined): string {
  if (iso === null || iso === undefined || iso === '') return '—';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return `${d.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

const stepMarks = { pass: '✓', fail: '✗', skipped: '–' } as const;

/** One Test Configuration step with, when it failed, the codes and the fix. */
export function testStep(step: TestStep, index: number): SafeHtml {
  const failure =
    step.status === 'fail'
      ? html`<dl class="step-detail">
          ${
            step.message
              ? html`<dt>What happened</dt>
                  <dd>${step.message}</dd>`
              : ''
          }
          <dt>Error code</dt>
          <dd><code>${step.code ?? '—'}</code></dd>
          <dt>AWS code</dt>
          <dd><code>${step.awsCode ?? '—'}</code></dd>
          ${
            step.fix
              ? html`<dt>How to fix</dt>
                  <dd class="fix">${step.fix}</dd>`
              : ''
          }
        </dl>`
      : '';
  return html`<li class="step ${step.status}" data-step="${step.id}" data-status="${step.status}">
    <span class="mark" aria-hidden="true">${stepMarks[step.status]}</span>
    <div>
      <strong>${index + 1}. ${step.title}</strong>
      <span class="step-status">${step.status === 'skipped' ? 'not run' : step.status}</span>
      ${failure}
    </div>
  </li>`;
}

const actionLabels: Readonly<Record<string, string>> = {
  'key.created': 'Configuration created',
  'key.updated': 'Configuration changed',
  'key.change_refused': 'Change refused',
  'key.tested': 'Test Configuration',
  'key.selection_changed': 'Apps and bots changed',
  'key.proceeded': 'Proceeded',
  'key.rotation_started': 'Rotation started',
  'key.rotation_refused': 'Rotation refused',
  'key.rotation_finished': 'Rotation finished',
  'key.health_changed': 'Health changed',
  'key.failure': 'Key failure',
};

function plural(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}

/** A one-line summary of an audit entry's details. */
function auditSummary(entry: AuditEntry): string {
  const d = entry.details;
  const text = (key: string) => {
    const value = d[key];
    return typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean'
      ? String(value)
      : '';
  };
  const count = (key: string) => (Array.isArray(d[key]) ? d[key].length : 0);
  switch (entry.action) {
    case 'key.created':
      return `${text('name')}: enforcement date ${text('enforcementDate')}`;
    case 'key.updated':
      return `changed ${Object.keys((d.changed as object | undefined) ?? {}).join(', ')}`;
    case 'key.change_refused':
      return text('message');
    case 'key.tested':
      return text('passed') === 'true' ? 'all steps passed' : 'a step failed';
    case 'key.selection_changed':
      return `${plural(count('selectedAppIds'), 'app')} and ${plural(count('selectedBotIds'), 'bot')} selected`;
    case 'key.proceeded':
      return `scheduled for ${text('enforcementDate')}`;
    case 'key.rotation_started':
      return `to ${text('toCmkArn')}`;
    case 'key.rotation_refused':
      return `the new key ${text('toCmkArn')} failed Test Configuration`;
    case 'key.rotation_finished':
      return `${text('status')}: ${text('moved')} of ${text('total')} data keys moved`;
    case 'key.health_changed':
      return `${text('from')} → ${text('to')}${text('reason') ? ` (${text('reason')})` : ''}`;
    case 'key.failure':
      return `${text('operation')} failed: ${text('code')}${text('awsCode') ? ` / ${text('awsCode')}` : ''}`;
    default:
      return '';
  }
}

/** The audit trail as a table, newest first. */
export function auditTable(entries: readonly AuditEntry[]): SafeHtml {
  if (entries.length === 0) return html`<p class="muted">Nothing recorded yet.</p>`;
  return html`<table class="audit">
    <thead>
      <tr>
        <th>When</th>
        <th>Who</th>
        <th>What</th>
        <th>Outcome</th>
        <th>Details</th>
      </tr>
    </thead>
    <tbody>
      ${entries.map(
        (e) =>
          html`<tr data-action="${e.action}">
            <td class="nowrap">${when(e.at)}</td>
            <td>${e.actor.label}</td>
            <td>${actionLabels[e.action] ?? e.action}</td>
            <td><span class="badge ${outcomeTone[e.outcome]}">${e.outcome}</span></td>
            <td class="detail">${auditSummary(e)}</td>
          </tr>`,
      )}
    </tbody>
  </table>`;
}

const outcomeTone = { success: 'good', failure: 'bad', refused: 'warn' } as const;
