import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { launchBrowser, type TestBrowser } from '../support/browser.js';
import {
  disableCustomerKey,
  provisionCustomer,
  type ProvisionedCustomer,
} from '../support/customer-aws.js';
import { admin, type ConsoleApp, serviceRoleArn, startConsoleApp } from './console-fixtures.js';

let app: ConsoleApp;
let browser: TestBrowser;
let page: Page;
let customer: ProvisionedCustomer;

const tomorrow = new Date(Date.now() + 24 * 3600 * 1000).toISOString().slice(0, 10);

beforeAll(async () => {
  app = await startConsoleApp();
  customer = await provisionCustomer({ serviceRoleArn, externalId: app.externalId });
  browser = await launchBrowser();
  page = await browser.newPage();
});

afterAll(async () => {
  await browser.close();
  await app.close();
});

/** The text of the page's visible alert, once it shows. */
async function alertText(scope = page.locator('body')): Promise<string> {
  const alert = scope.locator('[data-error]:not([hidden])');
  await alert.waitFor();
  return (await alert.textContent()) ?? '';
}

describe('the Enterprise Key console', () => {
  describe('when an admin who is not signed in opens it', () => {
    it('shows the sign-in page and refuses a wrong password with the API’s message', async () => {
      await page.goto(`${app.url}/console`);
      expect(new URL(page.url()).pathname).toBe('/console/login');

      await page.getByLabel('E-mail').fill(admin.email);
      await page.getByLabel('Password').fill('not the password');
      await page.getByRole('button', { name: 'Sign in' }).click();
      expect(await alertText()).toMatch(/e-mail or password/i);
    });
  });

  describe('when the admin signs in and adds a key', () => {
    it('lists no key yet', async () => {
      await page.getByLabel('Password').fill(admin.password);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.waitForURL('**/console/keys');
      await expect.poll(() => page.getByText('No key configured yet').isVisible()).toBe(true);
    });

    it('shows the workspace’s external ID read-only, ready to copy', async () => {
      await page.getByRole('link', { name: 'Add a key' }).click();
      await page.waitForURL('**/console/keys/new');
      const externalId = page.getByLabel('External ID');
      expect(await externalId.inputValue()).toBe(app.externalId);
      expect(await externalId.getAttribute('readonly')).not.toBeNull();
      await expect.poll(() => page.getByRole('button', { name: 'Copy' }).count()).toBe(2);
    });

    it('refuses an alias ARN with the API’s message and keeps the form', async () => {
      await page.getByLabel('Name').fill('Production key');
      await page
        .getByLabel('CMK ARN')
        .fill(`${customer.cmkArn.split(':key/')[0]}:${customer.alias}`);
      await page.getByLabel('Role ARN').fill(customer.roleArn);
      await page.getByLabel('Enforcement date (UTC)').fill(tomorrow);
      await page.getByRole('button', { name: 'Create and continue' }).click();

      expect(await alertText()).toContain('an alias ARN was given');
      expect(new URL(page.url()).pathname).toBe('/console/keys/new');
      expect(await app.keys.configs.list(app.workspaceId)).toEqual([]);
    });

    it('creates the configuration with the key ARN', async () => {
      await page.getByLabel('CMK ARN').fill(customer.cmkArn);
      await page.getByRole('button', { name: 'Create and continue' }).click();
      await page.waitForURL('**/console/keys/key_*?notice=created');
      expect(await page.locator('[data-state]').first().textContent()).toBe('Draft');
    });

    it('runs Test Configuration and shows all five steps passing', async () => {
      await page.getByRole('button', { name: 'Run Test Configuration' }).click();
      await page.waitForURL('**after=test**');
      const steps = page.locator('.steps [data-step]');
      expect(await steps.count()).toBe(5);
      expect(
        await steps.evaluateAll((els) => els.map((e) => e.getAttribute('data-status'))),
      ).toEqual(['pass', 'pass', 'pass', 'pass', 'pass']);
      expect(await page.locator('[data-test-result]').getAttribute('data-test-result')).toBe(
        'passed',
      );
    });

    it('lists every app and bot, all selected', async () => {
      await page.getByRole('link', { name: 'Next: choose apps and bots' }).click();
      await page.waitForURL('**step=apps**');
      const boxes = page.locator('[data-selection] input[type="checkbox"]');
      expect(await boxes.count()).toBe(4);
      expect(
        await boxes.evaluateAll((els) => els.every((e) => (e as HTMLInputElement).checked)),
      ).toBe(true);
    });

    it('proceeds with one bot deselected and lists the key as scheduled', async () => {
      await page.getByLabel('Sales bot').uncheck();
      await page.getByRole('button', { name: 'Proceed' }).click();
      await page.waitForURL('**/console/keys?notice=scheduled');

      const row = page.locator('tr[data-key]');
      expect(await row.count()).toBe(1);
      expect(await row.locator('[data-state]').textContent()).toBe('Scheduled');
      expect(await row.locator('td').nth(2).textContent()).toBe(tomorrow);

      const [config] = await app.keys.configs.list(app.workspaceId);
      const selection = await app.keys.selection.get(app.workspaceId, config!.id);
      const bots = selection.apps.flatMap((a) => a.bots.map((b) => [b.name, b.selected]));
      expect(bots).toEqual([
        ['Support bot', true],
        ['Sales bot', false],
      ]);
    });
  });

  describe('when the admin opens the scheduled key', () => {
    it('shows the selection, health, rotation and the audit trail', async () => {
      await page.locator('tr[data-key] a').click();
      await page.waitForURL('**/console/keys/key_*');
      expect(await page.getByLabel('Sales bot').isChecked()).toBe(false);
      expect(await page.getByLabel('Support bot').isChecked()).toBe(true);
      const actions = await page
        .locator('#audit tr[data-action]')
        .evaluateAll((rows) => rows.map((r) => r.getAttribute('data-action')));
      expect(actions).toEqual([
        'key.proceeded',
        'key.selection_changed',
        'key.tested',
        'key.created',
      ]);
      await page.screenshot({ path: '/tmp/byok-console-key.png', fullPage: true });
    });

    it('refuses a rotation to the key already in use with the API’s message', async () => {
      const rotation = page.locator('#rotation');
      await rotation.getByLabel('New CMK ARN').fill(customer.cmkArn);
      await rotation.getByRole('button', { name: 'Test and rotate' }).click();
      expect(await alertText(rotation)).toBe('the configuration already uses this key');
    });

    it('rotates to a new key after testing it and shows the job', async () => {
      const next = await provisionCustomer({ serviceRoleArn, externalId: app.externalId });
      const rotation = page.locator('#rotation');
      await rotation.getByLabel('New CMK ARN').fill(next.cmkArn);
      await rotation.getByLabel('New role ARN (optional)').fill(next.roleArn);
      await rotation.getByRole('button', { name: 'Test and rotate' }).click();
      await page.waitForURL('**notice=rotation**');

      await expect
        .poll(async () => {
          await page.reload();
          return page.locator('#rotation .rotation .badge').textContent();
        })
        .toBe('completed');
      expect(await page.locator('[data-field="cmkArn"]').textContent()).toBe(next.cmkArn);
      expect(
        await page.locator('#audit tr[data-action]').first().getAttribute('data-action'),
      ).toMatch(/^key\.rotation_(started|finished)$/);
    });
  });

  describe('when Test Configuration fails because the key is disabled', () => {
    it('shows the failing step with its codes and fix, and no way forward', async () => {
      const disabled = await provisionCustomer({ serviceRoleArn, externalId: app.externalId });
      await disableCustomerKey(disabled.cmkArn);
      await page.goto(`${app.url}/console/keys/new`);
      await page.getByLabel('Name').fill('Disabled key');
      await page.getByLabel('CMK ARN').fill(disabled.cmkArn);
      await page.getByLabel('Role ARN').fill(disabled.roleArn);
      await page.getByLabel('Enforcement date (UTC)').fill(tomorrow);
      await page.getByRole('button', { name: 'Create and continue' }).click();
      await page.waitForURL('**notice=created');

      await page.getByRole('button', { name: 'Run Test Configuration' }).click();
      await page.waitForURL('**after=test**');
      const failed = page.locator('.steps [data-status="fail"]');
      expect(await failed.getAttribute('data-step')).toBe('describe_key');
      expect(await failed.locator('code').first().textContent()).toBe('KEY_DISABLED');
      expect(await failed.locator('.fix').textContent()).toMatch(/enable/i);
      expect(await page.getByRole('link', { name: 'Next: choose apps and bots' }).count()).toBe(0);
    });
  });

  describe('when names hold markup', () => {
    it('shows them as text and runs nothing', async () => {
      const markup = '<img src=x onerror="document.title=\'injected\'"> & "quotes"';
      const other = await provisionCustomer({ serviceRoleArn, externalId: app.externalId });
      await app.tenancy.directory.createApp(app.workspaceId, { name: `<b>Ops</b>` });
      const actor = { kind: 'admin' as const, id: 'test', label: '<i>tester</i>' };
      const created = await app.keys.configs.create(actor, app.workspaceId, {
        name: markup,
        cmkArn: other.cmkArn,
        roleArn: other.roleArn,
        enforcementDate: tomorrow,
      });

      await page.goto(`${app.url}/console/keys`);
      const link = page.locator(`tr[data-key="${created.id}"] a`);
      expect(await link.textContent()).toBe(markup);
      expect(await page.locator('main img').count()).toBe(0);

      await link.click();
      await page.waitForURL(`**/console/keys/${created.id}`);
      expect(await page.locator('h1').textContent()).toBe(markup);
      expect(await page.locator('#audit td').nth(1).textContent()).toBe('<i>tester</i>');
      expect(await page.title()).toBe(`${markup} · Enterprise Key`);
      expect(await page.locator('main img, main i').count()).toBe(0);
    });
  });
});
