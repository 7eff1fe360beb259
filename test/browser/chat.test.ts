import type { Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { botMessages } from '../../src/bot/index.js';
import {
  type BotHost,
  type BotHostDeployment,
  botHostDeployment,
  registerBot,
  type RegisteredBot,
  startTestBotHost,
} from '../support/bot-host-process.js';
import { launchBrowser, type TestBrowser } from '../support/browser.js';
import { type TestDatabase, testDatabase } from '../support/db.js';
import { findPlaintext } from '../support/plaintext-scan.js';

let database: TestDatabase;
let deployment: BotHostDeployment;
let validationBot: RegisteredBot;
let host: BotHost;
let browser: TestBrowser;

beforeAll(async () => {
  database = await testDatabase('chat');
  deployment = await botHostDeployment(database);
  await registerBot(database, 'Other bot');
  validationBot = await registerBot(database, 'Validation bot');
  host = await startTestBotHost(deployment);
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser.close();
  await host.close();
  await deployment.remove();
  await database.drop();
});

/** A message bubble of the Web Chat transcript whose text contains `text`. */
function bubble(page: Page, text: string): Locator {
  return page.locator('#webchat p').filter({ hasText: text });
}

describe('the browser chat', () => {
  describe('when an admin validates Basic authentication through Web Chat', () => {
    it('shows the success page and then the bot confirmation naming the key', async () => {
      // The browser answers the link's Basic challenge the way a person would type it in.
      const context = await browser.browser.newContext({
        httpCredentials: { username: 'admin', password: 'password' },
      });
      const page = await context.newPage();
      await page.goto(`${host.url}/`);

      const option = page.locator('#bot option', { hasText: validationBot.name });
      await option.waitFor({ state: 'attached' });
      await page.getByLabel('Bot').selectOption(validationBot.botId);
      await page.getByRole('button', { name: 'Start chat' }).click();
      await bubble(page, `Welcome to ${validationBot.name}`).waitFor();
      const box = page.getByRole('textbox');
      await box.fill(botMessages.validationTrigger);
      await box.press('Enter');

      const link = page.locator('button[aria-label="Open authorization link"]');
      const [linkPage] = await Promise.all([context.waitForEvent('page'), link.click()]);
      await linkPage.getByText(botMessages.successPageText).waitFor();
      const confirmation = botMessages.successText('admin', 'default platform key');
      await bubble(page, confirmation).waitFor();

      expect(new URL(linkPage.url()).pathname).toBe('/auth/basic/success');
      expect(await bubble(page, confirmation).count()).toBe(1);
      await context.close();
    });
  });

  describe('after the chat', () => {
    it('leaves no password, message text or key material in the database', async () => {
      const needles = [
        'admin:password',
        'password',
        Buffer.from('admin:password').toString('base64'),
        botMessages.validationTrigger,
        `Welcome to ${validationBot.name}`,
        'Basic authentication succeeded for user admin',
        deployment.masterKey,
        deployment.secret,
      ];

      expect(await findPlaintext(database.db, needles)).toEqual([]);
      expect(await findPlaintext(database.db, [validationBot.botId])).not.toEqual([]);
    });
  });
});
