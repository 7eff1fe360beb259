/**
 * Chat analytics for the signed-in admin's workspace: the recent-chats report and one
 * conversation's messages. Both run inside the admin's workspace, so another workspace's
 * conversation key answers 404 like a key that does not exist.
 */
import { Router } from 'express';
import { z } from 'zod';

import { type ChatAnalytics, conversationKeySchema } from '../../analytics/index.js';
import { parseInput } from '../../tenancy/validation.js';
import { principalOf } from './auth.js';

const count = (max: number) => z.coerce.number().int().min(1).max(max).optional();

/** `?limit=&since=&check=`: since is a UTC date (YYYY-MM-DD) or an ISO time with offset. */
const recentChatsQuery = z
  .object({
    limit: count(100),
    since: z
      .union([z.iso.date(), z.iso.datetime({ offset: true })])
      .transform((v) => new Date(v))
      .optional(),
    check: z.coerce.number().int().min(0).max(20).optional(),
  })
  .strict();

const conversationQuery = z.object({ limit: count(500) }).strict();

/** GET /analytics/recent-chats and GET /analytics/recent-chats/:conversationKey. */
export function analyticsRoutes(analytics: ChatAnalytics): Router {
  const router = Router();

  router.get('/analytics/recent-chats', async (req, res) => {
    const query = parseInput(recentChatsQuery, req.query, 'query');
    res.json(
      await analytics.recentChats({
        workspaceId: principalOf(res).workspaceId,
        ...(query.limit === undefined ? {} : { limit: query.limit }),
        ...(query.since === undefined ? {} : { since: query.since }),
        ...(query.check === undefined ? {} : { check: query.check }),
      }),
    );
  });

  router.get('/analytics/recent-chats/:conversationKey', async (req, res) => {
    const conversationKey = parseInput(
      conversationKeySchema,
      req.params.conversationKey,
      'conversation key',
    );
    const query = parseInput(conversationQuery, req.query, 'query');
    res.json(
      await analytics.conversation({
        workspaceId: principalOf(res).workspaceId,
        conversationKey,
        includeText: true,
        ...(query.limit === undefined ? {} : { limit: query.limit }),
      }),
    );
  });

  return router;
}
