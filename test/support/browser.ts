/**
 * The one Chromium launcher every browser test uses. It runs the system's Chromium headless;
 * tests never download a browser and never reach the network beyond 127.0.0.1.
 *
 * `chromium.launch` gives every browser a fresh, temporary profile that Playwright deletes on
 * close, and each `newContext()` is isolated from the others (its own cookies and storage), so
 * one test can act as two admins at once.
 */
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';

/** Where the system Chromium lives on the machines this project runs on. */
export const chromiumPath = '/usr/bin/chromium';

/** Flags that keep Chromium headless, quiet and off the network. */
export const chromiumArgs: readonly string[] = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** A laptop-sized viewport, so screenshots read like what admins see. */
const defaultViewport = { width: 1280, height: 900 };

/** A running browser; `close()` ends it and everything opened from it. */
export interface TestBrowser {
  browser: Browser;
  /** A new isolated context (own cookies and storage). */
  newContext(): Promise<BrowserContext>;
  /** A new tab in a new isolated context. */
  newPage(): Promise<Page>;
  close(): Promise<void>;
}

/** Options for {@link launchBrowser}. */
export interface LaunchOptions {
  viewport?: { width: number; height: number };
}

/** Starts headless Chromium from the system install with a fresh profile. */
export async function launchBrowser(options: LaunchOptions = {}): Promise<TestBrowser> {
  const browser = await chromium.launch({
    executablePath: chromiumPath,
    args: [...chromiumArgs],
    headless: true,
  });
  const viewport = options.viewport ?? defaultViewport;
  const newContext = () => browser.newContext({ viewport });

  return {
    browser,
    newContext,
    newPage: async () => (await newContext()).newPage(),
    close: () => browser.close(),
  };
}
