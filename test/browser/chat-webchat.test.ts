import { randomBytes } from 'node:crypto';

import { ActivityHandler } from 'botbuilder';
import type { Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { ResolvedBot } from '../../src/bot/adapter.js';
import { botMessages } from '../../src/bot/index.js';
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
const linker = { tenantId: 'ws_webchat', appId: 'app_webchat', botId: 'bot_linker' };

/** A bot that answers every message with the validation bot's sign-in card. */
function linkBot(linkUrl: () => string): ResolvedBot {
  const handler = new ActivityHandler();
  handler.onMessage(async (context, next) => {
    await context.sendActivity(botMessages.signInCard(linkUrl(), 10));
    await next();
  });
  return { ...linker, bot: handler };
}

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
    bots: [echoBot(database.db, sealer, owner), linkBot(() => `${host.url}/healthz?from=card`)],
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

  describe('when the bot answers with a sign-in card', () => {
    it('renders its button, which opens the link in a new page', async () => {
      const page = await browser.newPage();
      await page.goto(`${host.url}/`);
      await page.getByLabel('Bot').selectOption(linker.botId);
      await page.getByRole('button', { name: 'Start chat' }).click();
      const box = page.getByRole('textbox');
      await box.fill('a link, please');
      await box.press('Enter');

      // The card's own button (Web Chat also keeps a hidden copy for screen readers).
      const button = page.locator('button[aria-label="Open authorization link"]');
      const [opened] = await Promise.all([page.context().waitForEvent('page'), button.click()]);
      await opened.waitForLoadState();

      expect(opened.url()).toBe(`${host.url}/healthz?from=card`);
      expect(await opened.textContent('body')).toContain('ok');
    });
  });
});
