/**
 * The Direct Line compatible HTTP face of the host's channel, mounted at `/v3/directline`.
 * It speaks the subset of Direct Line 3.0 that the official client (`botframework-directlinejs`,
 * used by Web Chat) needs when polling: tokens, conversations, posting activities and reading
 * them with a watermark. There is no `streamUrl`, so clients poll instead of opening a socket.
 *
 * Tokens travel in the `Authorization` header only. Every answer is `no-store`.
 */
import { type Request, type RequestHandler, Router } from 'express';

import { NotSupported } from '../../base/errors.js';
import type { DirectLineChannel } from '../../bot/directline/channel.js';
import {
  conversationIdSchema,
  generateTokenSchema,
  userActivitySchema,
  watermarkSchema,
} from '../../bot/directline/schemas.js';
import { bearerToken } from '../../bot/directline/tokens.js';
import { parseInput } from '../../tenancy/validation.js';
import { jsonBody } from '../app.js';
import { createConnectorRouter } from './connector-router.js';

/** What {@link createDirectLineRouter} needs. */
export interface DirectLineRouterDeps {
  channel: DirectLineChannel;
  /** Runs before a new conversation is handed out, e.g. to require an admin session. */
  guard?: RequestHandler;
}

/** Largest activity a client may post (text is capped separately). */
const maxClientBody = '64kb';

/** The Direct Line router; mount it at `directLinePath` (`/v3/directline`). */
export function createDirectLineRouter(deps: DirectLineRouterDeps): Router {
  const { channel } = deps;
  const router = Router();
  router.use(noStore);

  const guard: RequestHandler[] = deps.guard === undefined ? [] : [deps.guard];
  router.post('/tokens/generate', ...guard, ...jsonBody('4kb'), async (req, res) => {
    const { bot } = parseInput(generateTokenSchema, req.body, 'token request');
    res.json(await channel.createConversation(bot.id));
  });

  router.post('/tokens/refresh', (req, res) => {
    res.json(channel.refreshToken(tokenOf(req)));
  });

  router.post('/conversations', async (req, res) => {
    res.status(201).json(await channel.startConversation(tokenOf(req)));
  });

  router.get('/conversations/:conversationId', async (req, res) => {
    res.json(await channel.getConversation(tokenOf(req), conversationOf(req)));
  });

  router.post(
    '/conversations/:conversationId/activities',
    ...jsonBody(maxClientBody),
    async (req, res) => {
      const token = tokenOf(req);
      const activity = parseInput(userActivitySchema, req.body, 'activity');
      res.json(await channel.postActivity(token, conversationOf(req), activity));
    },
  );

  router.get('/conversations/:conversationId/activities', async (req, res) => {
    const watermark = parseInput(watermarkSchema, req.query.watermark, 'watermark');
    res.json(await channel.listActivities(tokenOf(req), conversationOf(req), watermark));
  });

  router.post('/conversations/:conversationId/upload', () => {
    throw new NotSupported('Uploading attachments over Direct Line');
  });

  router.use('/connector', createConnectorRouter({ channel }));
  return router;
}

const noStore: RequestHandler = (_req, res, next) => {
  res.set('Cache-Control', 'no-store');
  next();
};

function tokenOf(req: Request): string {
  return bearerToken(req.get('authorization'));
}

function conversationOf(req: Request): string {
  return parseInput(conversationIdSchema, req.params.conversationId, 'conversation id');
}
