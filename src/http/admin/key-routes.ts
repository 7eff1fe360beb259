/**
 * The Enterprise Key routes: key configurations, Test Configuration, app and bot selection,
 * proceed, rotation, health and the audit trail. Each handler reads the admin from the
 * session and hands the request body to the key library, which validates it and applies
 * every rule; nothing here decides anything.
 */
import { type Request, Router } from 'express';

import type { KeyServices } from '../../keys/module.js';
import { idSchema, parseInput } from '../../tenancy/validation.js';
import { actorOf, principalOf } from './auth.js';
import { body, optionalBody } from './body.js';

function keyId(req: Request): string {
  return parseInput(idSchema, req.params.id, 'key configuration id');
}

/** Routes under /keys and /audit. */
export function keyRoutes(keys: KeyServices): Router {
  const router = Router();
  const ws = (res: Parameters<typeof principalOf>[0]) => principalOf(res).workspaceId;

  router.get('/keys', async (_req, res) => {
    res.json({ keys: await keys.configs.list(ws(res)) });
  });

  router.post('/keys', ...body(), async (req, res) => {
    res.status(201).json(await keys.configs.create(actorOf(res), ws(res), req.body));
  });

  router.get('/keys/:id', async (req, res) => {
    res.json(await keys.configs.get(ws(res), keyId(req)));
  });

  router.patch('/keys/:id', ...body(), async (req, res) => {
    res.json(await keys.configs.update(actorOf(res), ws(res), keyId(req), req.body));
  });

  router.post('/keys/:id/test', ...optionalBody(), async (req, res) => {
    res.json(await keys.configs.test(actorOf(res), ws(res), keyId(req)));
  });

  router.get('/keys/:id/selection', async (req, res) => {
    res.json(await keys.selection.get(ws(res), keyId(req)));
  });

  router.put('/keys/:id/selection', ...body(), async (req, res) => {
    res.json(await keys.selection.put(actorOf(res), ws(res), keyId(req), req.body));
  });

  router.post('/keys/:id/proceed', ...optionalBody(), async (req, res) => {
    res.json(await keys.configs.proceed(actorOf(res), ws(res), keyId(req), req.body));
  });

  router.post('/keys/:id/rotate', ...body(), async (req, res) => {
    res.status(202).json(await keys.rotation.start(actorOf(res), ws(res), keyId(req), req.body));
  });

  router.get('/keys/:id/rotation', async (req, res) => {
    res.json({ job: await keys.rotation.latest(ws(res), keyId(req)) });
  });

  router.get('/keys/:id/health', async (req, res) => {
    res.json(await keys.health.get(ws(res), keyId(req)));
  });

  router.post('/keys/:id/health/check', ...optionalBody(), async (req, res) => {
    res.json(await keys.health.check(actorOf(res), ws(res), keyId(req)));
  });

  router.get('/keys/:id/audit', async (req, res) => {
    const id = keyId(req);
    await keys.configs.get(ws(res), id);
    res.json({ entries: await keys.audit.list(ws(res), id, req.query) });
  });

  router.get('/audit', async (req, res) => {
    res.json({ entries: await keys.audit.list(ws(res), null, req.query) });
  });

  return router;
}
