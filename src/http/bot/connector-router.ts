/**
 * The internal Bot Connector endpoint of the Direct Line channel: the bot's `serviceUrl`. It
 * implements the REST calls the SDK's `ConnectorClient` makes for a conversation (send, reply,
 * update, delete) and stores what the bot sends, sealed, for clients to poll. Only host
 * processes can call it: each call carries a token signed with the hosts' shared key.
 */
import { type Request, type RequestHandler, Router } from 'express';

import { NotSupported } from '../../base/errors.js';
import type { DirectLineChannel } from '../../bot/directline/channel.js';
import {
  activityIdSchema,
  botActivitySchema,
  conversationIdSchema,
} from '../../bot/directline/schemas.js';
import { bearerToken } from '../../bot/directline/tokens.js';
import { parseInput } from '../../tenancy/validation.js';
import { jsonBody, maxJsonBody } from '../app.js';

/** What {@link createConnectorRouter} needs. */
export interface ConnectorRouterDeps {
  channel: DirectLineChannel;
}

/** The connector router, mounted by the Direct Line router under `/connector`. */
export function createConnectorRouter(deps: ConnectorRouterDeps): Router {
  const { channel } = deps;
  const router = Router();

  const hostOnly: RequestHandler = (req, _res, next) => {
    channel.verifyConnectorToken(bearerToken(req.get('authorization')));
    next();
  };
  router.use(hostOnly);

  const base = '/v3/conversations/:conversationId/activities';

  router.post(base, ...jsonBody(maxJsonBody), async (req, res) => {
    const activity = parseInput(botActivitySchema, req.body, 'activity');
    res.status(200).json(await channel.receiveFromBot(conversationOf(req), activity));
  });

  router.post(`${base}/:activityId`, ...jsonBody(maxJsonBody), async (req, res) => {
    const activity = parseInput(botActivitySchema, req.body, 'activity');
    const replyToId = activityOf(req);
    res.status(200).json(await channel.receiveFromBot(conversationOf(req), activity, replyToId));
  });

  router.put(`${base}/:activityId`, ...jsonBody(maxJsonBody), async (req, res) => {
    const activity = parseInput(botActivitySchema, req.body, 'activity');
    res.json(await channel.updateFromBot(conversationOf(req), activityOf(req), activity));
  });

  router.delete(`${base}/:activityId`, async (req, res) => {
    await channel.deleteFromBot(conversationOf(req), activityOf(req));
    res.status(200).end();
  });

  router.use('/v3', (req) => {
    throw new NotSupported(`The connector call ${req.method} ${req.path.slice(0, 80)}`);
  });
  return router;
}

function conversationOf(req: Request): string {
  return parseInput(conversationIdSchema, req.params.conversationId, 'conversation id');
}

function activityOf(req: Request): string {
  return parseInput(activityIdSchema, req.params.activityId, 'activity id');
}
