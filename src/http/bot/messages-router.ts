/**
 * The Bot Framework messaging endpoint, mounted at `/api`: `POST /api/messages` (the bot is the
 * activity's recipient) and `POST /api/messages/:botId`. Each activity is checked before any
 * bot sees it, routed to its bot, and processed by the adapter, which answers the channel
 * through the activity's `serviceUrl`.
 *
 * A refused request reaches no bot, so nothing of it is stored.
 */
import { type Request, type Response, Router } from 'express';
import { z } from 'zod';

import { ByokError, ErrorCode } from '../../base/errors.js';
import { asActivity, type HostAdapter, type ResolveBot } from '../../bot/adapter.js';
import { connectorPath } from '../../bot/directline/channel.js';
import { parseInput } from '../../tenancy/validation.js';
import { jsonBody } from '../app.js';

/** What {@link createBotRouter} needs. */
export interface BotRouterDeps {
  adapter: HostAdapter;
  /** Finds a bot (with its workspace and app) by id; null for an unknown bot. */
  resolveBot: ResolveBot;
}

/** Longest message text accepted from a channel. */
export const maxChannelTextLength = 10_000;
/** Largest activity accepted from a channel. */
const maxActivityBody = '128kb';

const botIdSchema = z.string().regex(/^[\w-]{1,64}$/, 'a bot id');
const shortString = (max: number) => z.string().min(1, 'must not be empty').max(max);
const account = z.looseObject({ id: shortString(256), name: z.string().max(256).optional() });
const httpUrl = z
  .url({ protocol: /^https?$/, error: 'an http(s) URL' })
  .max(2048)
  .refine((url) => new URL(url).pathname.replace(/\/+$/, '') !== connectorPath, {
    error: 'the host channel cannot be used as a serviceUrl',
  });

/** The fields every activity from a channel must have; the rest is kept for the bot. */
export const channelActivitySchema = z.looseObject({
  type: shortString(64),
  id: shortString(256),
  channelId: shortString(64),
  serviceUrl: httpUrl,
  conversation: z.looseObject({ id: shortString(256) }),
  from: account,
  recipient: account.optional(),
  text: z
    .string()
    .max(maxChannelTextLength, `at most ${maxChannelTextLength} characters`)
    .optional(),
});

/** The messaging router; mount it at `/api`. */
export function createBotRouter(deps: BotRouterDeps): Router {
  const router = Router();

  router.post('/messages', ...jsonBody(maxActivityBody), async (req, res) => {
    const activity = parseInput(channelActivitySchema, req.body, 'activity');
    const botId = activity.recipient?.id;
    if (botId === undefined) {
      throw new ByokError(ErrorCode.BadInput, 'invalid activity: recipient.id is required');
    }
    await deliver(deps, req, res, activity, botId);
  });

  router.post('/messages/:botId', ...jsonBody(maxActivityBody), async (req, res) => {
    const botId = parseInput(botIdSchema, req.params.botId, 'bot id');
    const activity = parseInput(channelActivitySchema, req.body, 'activity');
    await deliver(deps, req, res, activity, botId);
  });

  return router;
}

async function deliver(
  deps: BotRouterDeps,
  req: Request,
  res: Response,
  activity: z.infer<typeof channelActivitySchema>,
  botId: string,
): Promise<void> {
  const known = botIdSchema.safeParse(botId).success ? await deps.resolveBot(botId) : null;
  if (known === null) throw new ByokError(ErrorCode.NotFound, 'no such bot');

  const authHeader = req.get('authorization') ?? '';
  const invoke = await deps.adapter.processChannelActivity(authHeader, asActivity(activity), known);
  if (invoke === undefined) {
    res.status(200).end();
    return;
  }
  res.status(invoke.status);
  if (invoke.body === undefined) res.end();
  else res.json(invoke.body);
}
