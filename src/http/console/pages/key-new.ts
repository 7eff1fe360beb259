/**
 * The first step of the create flow: provider, the workspace's external ID (read-only, with a
 * copy button), the CMK and role ARNs and the enforcement date.
 */
import { html, type SafeHtml } from '../html.js';

/** What the form shows besides its inputs. */
export interface NewKeyView {
  externalId: string;
  serviceRoleArn: string;
  /** Today in UTC (YYYY-MM-DD): the earliest enforcement date. */
  today: string;
}

/** A read-only value with a copy button. */
export function copyField(id: string, label: string, value: string, hint: string): SafeHtml {
  return html`<label for="${id}">${label}</label>
    <div class="copy-row">
      <input id="${id}" type="text" value="${value}" readonly />
      <button type="button" data-action="copy" data-copy-target="${id}">Copy</button>
    </div>
    <p class="hint">${hint}</p>`;
}

/** The create form. */
export function newKeyPage(base: string, view: NewKeyView): SafeHtml {
  return html`<nav class="crumbs"><a href="${base}/keys">Enterprise Key</a> › Add a key</nav>
    <ol class="stepper">
      <li class="current">Configure</li>
      <li>Test Configuration</li>
      <li>Apps and bots</li>
      <li>Proceed</li>
    </ol>
    <section class="card" data-scope>
      <h1>Add a key</h1>
      <form data-form="create-key" novalidate>
        <label for="name">Name</label>
        <input id="name" name="name" type="text" maxlength="100" required />

        <label for="provider">Cloud provider</label>
        <select id="provider" name="provider">
          <option value="aws" selected>Amazon Web Services (AWS KMS)</option>
        </select>

        ${copyField(
          'external-id',
          'External ID',
          view.externalId,
          'Put this value in your role’s trust policy (Condition StringEquals sts:ExternalId).',
        )}
        ${copyField(
          'service-role',
          'Platform service role',
          view.serviceRoleArn,
          'Your role’s trust policy must name this role as its principal.',
        )}

        <label for="cmk-arn">CMK ARN</label>
        <input
          id="cmk-arn"
          name="cmkArn"
          type="text"
          placeholder="arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
          required
        />
        <label for="role-arn">Role ARN</label>
        <input
          id="role-arn"
          name="roleArn"
          type="text"
          placeholder="arn:aws:iam::111122223333:role/byok-role"
          required
        />
        <label for="enforcement-date">Enforcement date (UTC)</label>
        <input
          id="enforcement-date"
          name="enforcementDate"
          type="date"
          min="${view.today}"
          value="${view.today}"
          required
        />
        <p class="hint">
          From this day, new data of the selected apps and bots is sealed under your key. Until then
          you can still change the key and the role.
        </p>
        <p class="hint">
          Prepare your AWS account with <code>byok policy</code> and check it with
          <code>byok verify</code>.
        </p>
        <p class="alert error" data-error role="alert" hidden></p>
        <div class="actions">
          <a class="button" href="${base}/keys">Cancel</a>
          <button type="submit" class="primary">Create and continue</button>
        </div>
      </form>
    </section>`;
}
