/**
 * The sections of a key's page that act on a configuration after it was tested: the app and
 * bot selection, proceed, rotation with its progress, and health.
 */
import type { KeyConfig, KeyHealth, RotationJob, Selection } from '../../../keys/index.js';
import { healthBadge, when } from '../format.js';
import { html, type SafeHtml } from '../html.js';

/** The app and bot tree with checkboxes; a bot follows its app. */
export function selectionList(selection: Selection): SafeHtml {
  if (selection.apps.length === 0) {
    return html`<p class="muted">This workspace has no apps yet.</p>`;
  }
  return html`<ul class="selection" data-selection data-version="${selection.version}">
    ${selection.apps.map(
      (app) =>
        html`<li>
          <label class="check">
            <input type="checkbox" data-app="${app.id}" ${app.selected ? 'checked' : ''} />
            <span><strong>${app.name}</strong> <span class="muted small">app</span></span>
          </label>
          <ul>
            ${app.bots.map(
              (bot) =>
                html`<li>
                  <label class="check">
                    <input
                      type="checkbox"
                      data-bot="${bot.id}"
                      data-of-app="${app.id}"
                      ${bot.selected ? 'checked' : ''}
                      ${app.selected ? '' : 'disabled'}
                    />
                    <span>${bot.name} <span class="muted small">bot</span></span>
                  </label>
                </li>`,
            )}
          </ul>
        </li>`,
    )}
  </ul>`;
}

/** The last step of the create flow: the selection, then Proceed. */
export function proceedSection(config: KeyConfig, selection: Selection): SafeHtml {
  return html`<section class="card" id="apps" data-scope>
    <h2>Apps and bots</h2>
    <p>
      Every app and bot of the workspace is selected. Deselect the ones that should stay on the
      platform's default key.
    </p>
    ${selectionList(selection)}
    <h2>Proceed</h2>
    <p>
      From <strong>${config.enforcementDate}</strong> (00:00 UTC), new data of the selected apps and
      bots is sealed under data keys wrapped by your key. Data written before stays readable.
    </p>
    <p class="alert error" data-error role="alert" hidden></p>
    <div class="actions">
      <button type="button" class="primary" data-action="proceed" data-key="${config.id}">
        Proceed
      </button>
    </div>
  </section>`;
}

/** The selection of a scheduled or enforced configuration, saved on demand. */
export function selectionSection(config: KeyConfig, selection: Selection): SafeHtml {
  return html`<section class="card" id="apps" data-scope>
    <h2>Apps and bots</h2>
    <p class="muted">Deselected apps and bots stay on the platform's default key.</p>
    ${selectionList(selection)}
    <p class="alert error" data-error role="alert" hidden></p>
    <div class="actions">
      <button type="button" data-action="save-selection" data-key="${config.id}">
        Save selection
      </button>
    </div>
  </section>`;
}

/** The rotation job's progress, updated by the script while it runs. */
function rotationProgress(job: RotationJob): SafeHtml {
  const running = job.status === 'running';
  return html`<div class="rotation" ${running ? html`data-rotation-running="${job.id}"` : ''}>
    <p>
      <span class="badge ${job.status === 'failed' ? 'bad' : running ? 'info' : 'good'}"
        >${job.status}</span
      >
      <span data-rotation-text>${job.moved} of ${job.total} data keys moved</span>${
        job.failed > 0 ? html`, <span class="bad-text">${job.failed} failed</span>` : ''
      }
    </p>
    <progress max="${Math.max(job.total, 1)}" value="${job.total === 0 ? 1 : job.moved}"></progress>
    <p class="muted small">
      To <span class="arn">${job.toCmkArn}</span>, started ${when(job.startedAt)} by
      ${job.startedBy.label}${job.finishedAt ? html`, finished ${when(job.finishedAt)}` : ''}
      ${job.error ? html`<br />Stopped by ${job.error}` : ''}
    </p>
  </div>`;
}

/** Rotation: start with a new key, and the latest job's progress. */
export function rotationSection(config: KeyConfig, job: RotationJob | null): SafeHtml {
  return html`<section class="card" id="rotation" data-scope>
    <h2>Rotation</h2>
    <p class="muted">
      The new key is tested first. New data keys are then wrapped by it, and existing data keys are
      rewrapped in the background; records are not rewritten.
    </p>
    ${job === null ? html`<p class="muted">No rotation yet.</p>` : rotationProgress(job)}
    <form data-form="rotate" data-key="${config.id}" data-version="${config.version}" novalidate>
      <label for="rotate-cmk">New CMK ARN</label>
      <input id="rotate-cmk" name="cmkArn" type="text" required />
      <label for="rotate-role">New role ARN (optional)</label>
      <input id="rotate-role" name="roleArn" type="text" placeholder="${config.roleArn}" />
      <p class="alert error" data-error role="alert" hidden></p>
      <div class="actions">
        <button type="submit">Test and rotate</button>
      </div>
    </form>
  </section>`;
}

/** Health: the last check's outcome, the fix, and a button to check now. */
export function healthSection(config: KeyConfig, health: KeyHealth): SafeHtml {
  const problem =
    health.status === 'healthy' || health.status === 'unknown'
      ? ''
      : html`<dl class="step-detail">
          <dt>Reason</dt>
          <dd><code>${health.reason ?? '—'}</code> ${health.message ?? ''}</dd>
          <dt>AWS code</dt>
          <dd><code>${health.awsCode ?? '—'}</code></dd>
          ${
            health.fix
              ? html`<dt>How to fix</dt>
                  <dd class="fix">${health.fix}</dd>`
              : ''
          }
        </dl>`;
  return html`<section class="card" id="health" data-scope>
    <h2>Health</h2>
    <p>
      ${healthBadge(health)}
      <span class="muted small"
        >${health.checkedAt === null ? 'never checked' : `checked ${when(health.checkedAt)}`}</span
      >
    </p>
    ${problem}
    <p class="alert error" data-error role="alert" hidden></p>
    <div class="actions">
      <button type="button" data-action="health-check" data-key="${config.id}">Check now</button>
    </div>
  </section>`;
}
