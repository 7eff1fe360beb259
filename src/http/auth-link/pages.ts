/**
 * The small HTML pages of the authorization link: one short, plain message each, no scripts,
 * nothing from the request echoed back. Every answer is marked `no-store` so a shared browser
 * cache never keeps a page of someone's validation.
 */
import type { Response } from 'express';

import { validationTrigger } from '../../bot/messages.js';
import { html } from '../console/html.js';

/** A page: status, title and the one message it says. */
export interface Page {
  status: number;
  title: string;
  message: string;
}

const viewport = html`<meta name="viewport" content="width=device-width, initial-scale=1" />`;

/** Sends `page` as HTML. */
export function sendPage(res: Response, page: Page): void {
  const head = html`<meta charset="utf-8" />${viewport}<title>${page.title}</title>`;
  const main = html`<main>
    <h1>${page.title}</h1>
    <p id="message">${page.message}</p>
  </main>`;
  res
    .status(page.status)
    .set('Cache-Control', 'no-store')
    .type('html')
    .send(
      html`<!doctype html>
        <html lang="en">
          <head>
            ${head}
          </head>
          <body>
            ${main}
          </body>
        </html>`.value,
    );
}

const askAgain = `Go back to the chat and type ${validationTrigger} to get a new link.`;

/** The pages, by what happened. */
export const pages = {
  success: (message: string): Page => ({ status: 200, title: 'Authorization', message }),
  invalid: {
    status: 400,
    title: 'Link not valid',
    message: `This authorization link is not valid. ${askAgain}`,
  },
  otherWorkspace: {
    status: 400,
    title: 'Link not valid',
    message: `This authorization link belongs to another workspace. ${askAgain}`,
  },
  expired: {
    status: 410,
    title: 'Link expired',
    message: `This authorization link has expired or was replaced. ${askAgain}`,
  },
  used: {
    status: 410,
    title: 'Link already used',
    message: `This authorization link has already been used. ${askAgain}`,
  },
  challenge: {
    status: 401,
    title: 'Credentials needed',
    message: 'Enter the user name and password of the validation profile.',
  },
  wrongCredentials: {
    status: 401,
    title: 'Credentials not accepted',
    message: 'The user name or password is not right. Try again.',
  },
  throttled: {
    status: 429,
    title: 'Too many attempts',
    message: 'Too many wrong attempts. Wait a few minutes, then open the link again.',
  },
  keyUnavailable: (status: number, code: string): Page => ({
    status,
    title: 'Credentials not stored',
    message:
      `The credentials could not be stored securely because the workspace key is unavailable ` +
      `(${code}). Nothing was stored, and the link still works once the key is available again.`,
  }),
} as const;
