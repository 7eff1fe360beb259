/**
 * Recent chats: the workspace's conversations with the key that protected them and whether
 * they still open, and one conversation's messages. Rendered from the chat analytics library;
 * message text reaches the page only through `html`, so it is always escaped.
 */
import type {
  ChatSummary,
  ConversationMessage,
  ConversationView,
  KeyUse,
  ReadabilityCheck,
  RecentChats,
} from '../../../analytics/index.js';
import { when } from '../format.js';
import { html, type SafeHtml } from '../html.js';

/** The key as admins name it: the configuration's name for a CMK, else the default key. */
function keyLabel(key: Pick<KeyUse, 'provider' | 'keyName'>): SafeHtml {
  return key.provider === 'aws'
    ? html`<span class="badge info" data-provider="aws">CMK</span> ${key.keyName}`
    : html`<span class="badge muted" data-provider="local">Default</span> Platform default key`;
}

function keyList(keys: readonly KeyUse[]): SafeHtml {
  return html`${keys.map(
    (k) => html`<div>${keyLabel(k)} <span class="muted small">· ${k.records}</span></div>`,
  )}`;
}

/** A badge for a readability result; the failure code is shown, never any content. */
function readableBadge(check: ReadabilityCheck | null): SafeHtml {
  if (check === null)
    return html`<span class="badge muted" data-readable="unchecked">Not checked</span>`;
  const code = check.code === null ? '' : ` (${check.code})`;
  const [label, tone] =
    check.status === 'readable'
      ? ['Readable', 'good']
      : check.status === 'partial'
        ? [`Partly readable${code}`, 'warn']
        : [`Not readable${code}`, 'bad'];
  return html`<span class="badge ${tone}" data-readable="${check.status}">${label}</span>
    <div class="muted small">${check.opened} of ${check.checked} records opened</div>`;
}

function conversationRow(base: string, c: ChatSummary): SafeHtml {
  return html`<tr data-conversation="${c.conversationKey}">
    <td class="nowrap">
      <a href="${base}/chats/${c.conversationKey}">${when(c.lastAt)}</a>
      <div class="muted small">since ${when(c.firstAt)}</div>
    </td>
    <td>
      ${c.botName ?? c.botId}
      <div class="muted small">${c.appName ?? c.appId}</div>
    </td>
    <td>${c.channelId}</td>
    <td class="nowrap" data-messages="${c.messages.incoming}/${c.messages.outgoing}">
      ${c.messages.incoming} in · ${c.messages.outgoing} out
    </td>
    <td>${keyList(c.keys)}</td>
    <td>${readableBadge(c.readable)}</td>
  </tr>`;
}

function summarySection(report: RecentChats): SafeHtml {
  const enforcement = report.enforcement.map(
    (e) =>
      html`<li data-enforcement="${e.keyConfigId}">
        Since ${e.enforcementDate}: <strong>${e.underKey}</strong> records under ${e.keyName},
        <strong>${e.underDefaultKey}</strong> under the platform default
        key${e.underOtherKeys > 0 ? html`, ${e.underOtherKeys} under other keys` : ''}.
      </li>`,
  );
  return html`<section class="card" id="summary">
    <h2>Records by key</h2>
    ${report.keys.length === 0 ? html`<p class="muted">No records in this window.</p>` : keyList(report.keys)}
    ${
      enforcement.length === 0
        ? ''
        : html`<ul class="enforcement">
            ${enforcement}
          </ul>`
    }
  </section>`;
}

/** The recent-chats page. */
export function recentChatsPage(base: string, report: RecentChats): SafeHtml {
  const rows = report.conversations.map((c) => conversationRow(base, c));
  return html`<nav class="crumbs"><a href="${base}/keys">Enterprise Key</a> › Recent chats</nav>
    <div class="page-head"><h1>Recent chats</h1></div>
    <p class="muted">
      Conversations since ${when(report.since)}, most recent first. Counts and keys come from what
      is stored in the clear; the most recent conversations are opened with your key to check that
      they are still readable.
    </p>
    ${summarySection(report)}
    ${report.truncated ? html`<p class="note">Only the most recent records were counted.</p>` : ''}
    ${
      rows.length === 0
        ? html`<section class="card empty"><h2>No conversations yet</h2></section>`
        : html`<table class="keys chats">
            <thead>
              <tr>
                <th>Last activity</th>
                <th>Bot</th>
                <th>Channel</th>
                <th>Messages</th>
                <th>Protected by</th>
                <th>Readable</th>
              </tr>
            </thead>
            <tbody>
              ${rows}
            </tbody>
          </table>`
    }`;
}

function messageRow(m: ConversationMessage): SafeHtml {
  const content = m.opened
    ? html`<div class="message-text">
        ${m.text ?? html`<span class="muted">(${m.type})</span>`}
      </div>`
    : html`<span class="badge bad" data-code="${m.code ?? ''}"
        >Not readable (${m.code ?? '—'})</span
      >`;
  return html`<tr data-direction="${m.direction}" data-opened="${m.opened ? 'yes' : 'no'}">
    <td class="nowrap">${when(m.at)}</td>
    <td>
      ${m.direction === 'incoming' ? 'User' : 'Bot'}
      <div class="muted small">${m.from ?? ''}</div>
    </td>
    <td>${content}</td>
    <td>${keyLabel(m.key)}</td>
  </tr>`;
}

/** One conversation's page: its facts and its messages, oldest first. */
export function conversationPage(base: string, view: ConversationView): SafeHtml {
  const c = view.conversation;
  return html`<nav class="crumbs">
      <a href="${base}/keys">Enterprise Key</a> › <a href="${base}/chats">Recent chats</a> ›
      ${c.conversationId}
    </nav>
    <section class="card">
      <h1>Conversation</h1>
      <dl class="facts">
        <dt>Bot</dt>
        <dd>${c.botName ?? c.botId} (${c.appName ?? c.appId})</dd>
        <dt>Channel</dt>
        <dd>${c.channelId}</dd>
        <dt>Active</dt>
        <dd>${when(c.firstAt)} – ${when(c.lastAt)}</dd>
        <dt>Protected by</dt>
        <dd>${keyList(c.keys)}</dd>
      </dl>
    </section>
    ${view.truncated ? html`<p class="note">Showing the most recent messages only.</p>` : ''}
    <table class="keys messages">
      <thead>
        <tr>
          <th>When</th>
          <th>From</th>
          <th>Message</th>
          <th>Key</th>
        </tr>
      </thead>
      <tbody>
        ${view.messages.map(messageRow)}
      </tbody>
    </table>`;
}
