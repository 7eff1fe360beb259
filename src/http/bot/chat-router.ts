/**
 * The browser chat at `/`: a page that lists the registry's bots and renders the official Web
 * Chat client (served from the installed `botframework-webchat` package, never a CDN) against
 * this host's Direct Line endpoint. The page's own script is a file too, because the content
 * security policy allows scripts from this origin only.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import express, { type RequestHandler, Router } from 'express';

/** A bot as the chat page lists it. */
export interface ChatBot {
  botId: string;
  name: string;
  appName?: string;
  workspaceName?: string;
}

/** What {@link createChatRouter} needs. */
export interface ChatRouterDeps {
  /** The bots an admin may chat with. */
  listBots: () => Promise<readonly ChatBot[]>;
  /** Runs before every chat route, e.g. to require an admin session; none by default. */
  guard?: RequestHandler;
}

const pageDir = join(dirname(fileURLToPath(import.meta.url)), 'chat');
const pageFiles = new Set(['chat.js', 'chat.css']);

/** The Web Chat bundle of the installed package, and the only file served from it. */
const webChatDir = join(
  dirname(createRequire(import.meta.url).resolve('botframework-webchat')),
  '..',
  'dist',
);
const webChatFiles = new Set(['/webchat.js']);

/** The chat router; mount it at `/`. */
export function createChatRouter(deps: ChatRouterDeps): Router {
  const router = Router();
  // Per route, not router-wide: mounted at `/`, a router-wide guard would see every request.
  const guard: RequestHandler =
    deps.guard ??
    ((_req, _res, next) => {
      next();
    });

  router.get('/', guard, (_req, res) => {
    res.set('Cache-Control', 'no-store');
    res.sendFile(join(pageDir, 'chat.html'));
  });

  router.get('/chat/bots', guard, async (_req, res) => {
    const bots = await deps.listBots();
    res.set('Cache-Control', 'no-store');
    res.json({
      bots: bots.map((b) => ({
        botId: b.botId,
        name: b.name,
        ...(b.appName === undefined ? {} : { appName: b.appName }),
        ...(b.workspaceName === undefined ? {} : { workspaceName: b.workspaceName }),
      })),
    });
  });

  router.use('/chat', onlyFiles(new Set([...pageFiles].map((f) => `/${f}`))));
  router.use('/chat', express.static(pageDir, { index: false, fallthrough: false }));

  router.use('/webchat', onlyFiles(webChatFiles));
  router.use(
    '/webchat',
    express.static(webChatDir, { index: false, fallthrough: false, maxAge: '1h' }),
  );
  return router;
}

/** Lets through only the named files, so nothing else of a folder is ever served. */
function onlyFiles(files: ReadonlySet<string>): RequestHandler {
  return (req, _res, next) => {
    if (files.has(req.path)) next();
    else next('router');
  };
}
