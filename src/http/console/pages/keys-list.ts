/** The Enterprise Key list: every key configuration of the workspace with status and health. */
import type { KeyConfig, KeyHealth } from '../../../keys/index.js';
import { healthBadge, stateBadge, when } from '../format.js';
import { html, type SafeHtml } from '../html.js';

/** A configuration with its health, as the list shows it. */
export interface ListedKey {
  config: KeyConfig;
  health: KeyHealth;
}

/** The list page; `links.recentChats` adds the way to the recent-chats check. */
export function keysListPage(
  base: string,
  keys: readonly ListedKey[],
  links: { recentChats?: boolean } = {},
): SafeHtml {
  const rows = keys.map(
    ({ config, health }) =>
      html`<tr data-key="${config.id}">
        <td><a href="${base}/keys/${config.id}">${config.name}</a></td>
        <td>${stateBadge(config.state)}</td>
        <td class="nowrap">${config.enforcementDate}</td>
        <td>
          ${healthBadge(health)}
          ${health.reason ? html`<div class="muted small">${health.reason}</div>` : ''}
        </td>
        <td>
          ${
            config.lastTest === null
              ? html`<span class="muted">not tested</span>`
              : html`${config.lastTest.passed ? 'passed' : 'failed'}
                  <div class="muted small">${when(config.lastTest.at)}</div>`
          }
        </td>
        <td class="arn">${config.cmkArn}</td>
      </tr>`,
  );

  return html`<div class="page-head">
      <h1>Enterprise Key</h1>
      <div class="head-links">
        ${links.recentChats === true ? html`<a class="button" href="${base}/chats">Recent chats</a>` : ''}
        <a class="button primary" href="${base}/keys/new">Add a key</a>
      </div>
    </div>
    <p class="muted">
      Bot data of the selected apps and bots is sealed under data keys wrapped by your own AWS KMS
      key from its enforcement date. Everything else stays on the platform's default key.
    </p>
    ${
      keys.length === 0
        ? html`<section class="card empty">
            <h2>No key configured yet</h2>
            <p>Connect a customer managed key from your AWS account to get started.</p>
          </section>`
        : html`<table class="keys">
            <thead>
              <tr>
                <th>Name</th>
                <th>Status</th>
                <th>Enforcement date</th>
                <th>Health</th>
                <th>Last test</th>
                <th>CMK ARN</th>
              </tr>
            </thead>
            <tbody>
              ${rows}
            </tbody>
          </table>`
    }`;
}
