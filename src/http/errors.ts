/**
 * The one place where error codes become HTTP statuses. Route handlers throw `ByokError`;
 * {@link errorHandler} turns it into `{ error: { code, message, details } }` with the status
 * below. Internal errors are logged with their cause and answered without it.
 */
import type { ErrorRequestHandler } from 'express';

import { ByokError, ErrorCode, toByokError } from '../base/errors.js';
import type { Logger } from '../base/log.js';

const statusByCode: Record<ErrorCode, number> = {
  BAD_INPUT: 400,
  INVALID_ARN: 400,
  ENVELOPE_MALFORMED: 400,
  ENVELOPE_VERSION_UNSUPPORTED: 400,
  NOT_FOUND: 404,
  CONFLICT: 409,
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  RATE_LIMITED: 429,
  LINK_EXPIRED: 410,
  LINK_INVALID: 400,
  DECRYPT_FAILED: 500,
  KEY_ACCESS_DENIED: 424,
  KEY_DISABLED: 424,
  KEY_PENDING_DELETION: 424,
  KEY_NOT_FOUND: 424,
  KEY_UNUSABLE: 424,
  ROLE_TRUST_NOT_CONFIGURED: 424,
  KMS_THROTTLED: 503,
  KMS_UNAVAILABLE: 503,
  STS_UNAVAILABLE: 503,
  DATABASE_UNAVAILABLE: 503,
  CONFIG_INVALID: 500,
  NOT_SUPPORTED: 501,
  INTERNAL: 500,
};

/** The HTTP status for an error code. */
export function httpStatusOf(code: ErrorCode): number {
  return statusByCode[code];
}

/** The JSON body every API error is answered with. */
export interface ErrorBody {
  error: { code: ErrorCode; message: string; details?: Readonly<Record<string, unknown>> };
}

/** Builds the JSON body for an error; internal errors hide their message. */
export function errorBody(error: ByokError): ErrorBody {
  const internal = httpStatusOf(error.code) >= 500 && error.fault === 'internal';
  const message = internal ? 'internal error' : error.message;
  return {
    error: {
      code: error.code,
      message,
      ...(error.details === undefined || internal ? {} : { details: error.details }),
    },
  };
}

/** Translates body-parser failures (size, syntax) into project errors before mapping. */
function fromExpress(error: unknown): ByokError {
  if (error instanceof ByokError) return error;
  const type = (error as { type?: unknown } | null)?.type;
  if (type === 'entity.too.large') {
    return new ByokError(ErrorCode.PayloadTooLarge, 'request body is larger than allowed');
  }
  if (type === 'entity.parse.failed') {
    return new ByokError(ErrorCode.BadInput, 'request body is not valid JSON');
  }
  if (type === 'charset.unsupported' || type === 'encoding.unsupported') {
    return new ByokError(ErrorCode.UnsupportedMediaType, 'request body encoding is not supported');
  }
  return toByokError(error);
}

/** Express error middleware: the last `app.use` of every app. */
export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (error: unknown, req, res, _next) => {
    const byok = fromExpress(error);
    const status = httpStatusOf(byok.code);
    if (status >= 500) {
      logger.error({ err: error, code: byok.code, path: req.path }, 'request failed');
    } else {
      logger.debug({ code: byok.code, path: req.path }, 'request refused');
    }
    if (res.headersSent) return;
    res.status(status).json(errorBody(byok));
  };
}
