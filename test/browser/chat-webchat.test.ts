import { randomBytes } from 'node:crypto';

import type { Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import {
  echoBot,
  platformSealer,
  startTestHost,
  type TestHost,
  welcomeText,
} from '../integration/host/fixtures.js';
import { launchBrowser, type TestBrowser } from '../support/browser.js';
import { type TestDatabase, testDatabase } from '../support/db.js';
import { findPlaintext } from '../support/plaintext-scan.js';

const owner = { tenantId: 'ws_webchat', appId: 'app_webchat', botId: 'bot_webchat' };
const other = { tenantId: 'ws_webchat', appId: 'app_webchat', botId: 'bot_other' };

const masterKey = randomBytes(32);
let database: TestDatabase;
let host: TestHost;
let browser: TestBrowser;

beforeAll(async () => {
  database = await testDatabase('webchat');
  const sealer = await platformSealer(database.db, masterKey);
  host = await startTestHost({
    db: database.db,
    sealer,
    bots: [echoBot(database.db, sealer, owner), echoBot(database.db, sealer, other)],
    signingKey: randomBytes(32),
  });
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser.close();
  await host.close();
  await database.drop();
});

/** A message bubble of the Web Chat transcript with exactly this text. */
function message(page: Page, text: string): Locator {
  return page.locator('#webchat p').filter({ hasText: new RegExp(`^${escape(text)}$`) });
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

describe('the chat page', () => {
  describe('when an admin picks a bot and writes to it', () => {
    it('shows the welcome, the message and the reply in Web Chat', async () => {
      const page = await browser.newPage();
      const problems: string[] = [];
      page.on('console', (m) => {
        if (m.type() === 'error') problems.push(m.text());
      });
      page.on('pageerror', (e) => problems.push(e.message));
      page.on('response', (r) => {
        if (r.status() >= 400) problems.push(`${r.status()} ${r.url()}`);
      });

      await page.goto(`${host.url}/`);
      await page.getByLabel('Bot').selectOption(owner.botId);
      await page.getByRole('button', { name: 'Start chat' }).click();
      await message(page, welcomeText).waitFor();
      const box = page.getByRole('textbox');
      await box.fill('hello from the browser');
      await box.press('Enter');
      await message(page, 'You said: hello from the browser').waitFor();

      expect(await message(page, 'hello from the browser').count()).toBe(1);
      expect(problems).toEqual([]);
      expect(await findPlaintext(database.db, ['hello from the browser', welcomeText])).toEqual([]);
    });
  });
});
