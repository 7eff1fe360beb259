/**
 * Body handling of the admin API: JSON only, at most 64 KiB. Actions that take no fields
 * (test, proceed, check) accept an empty request as `{}` so clients need not send a body.
 */
import type { RequestHandler } from 'express';

import { jsonBody } from '../app.js';

/** Largest admin request body. */
export const adminBodyLimit = '64kb';

/** A required JSON body. */
export const body = (): RequestHandler[] => jsonBody(adminBodyLimit);

/** A JSON body that may be absent; absent reads as `{}`. */
export function optionalBody(): RequestHandler[] {
  const [requireJson, parse] = jsonBody(adminBodyLimit);
  const empty: RequestHandler = (req, res, next) => {
    const length = req.headers['content-length'];
    const chunked = req.headers['transfer-encoding'] !== undefined;
    if ((length === undefined || length === '0') && !chunked) {
      req.body = {};
      next();
      return;
    }
    if (requireJson === undefined || parse === undefined) {
      next();
      return;
    }
    requireJson(req, res, (error?: unknown) => {
      if (error !== undefined) {
        next(error);
        return;
      }
      void parse(req, res, next);
    });
  };
  return [empty];
}
