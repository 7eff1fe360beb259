import { describe, expect, it } from 'vitest';

import { ByokError, ErrorCode } from '../../../src/base/errors.js';
import { errorBody, httpStatusOf } from '../../../src/http/errors.js';

describe('HTTP error mapping', () => {
  describe('when an error reaches the API', () => {
    it('answers caller faults with 4xx and key faults with 424', () => {
      expect(httpStatusOf(ErrorCode.BadInput)).toBe(400);
      expect(httpStatusOf(ErrorCode.NotFound)).toBe(404);
      expect(httpStatusOf(ErrorCode.Conflict)).toBe(409);
      expect(httpStatusOf(ErrorCode.KeyDisabled)).toBe(424);
      expect(httpStatusOf(ErrorCode.KmsThrottled)).toBe(503);
    });

    it('hides the message and details of internal errors', () => {
      const body = errorBody(
        new ByokError(ErrorCode.Internal, 'stack detail', { details: { where: 'x' } }),
      );

      expect(body).toEqual({ error: { code: 'INTERNAL', message: 'internal error' } });
    });

    it('passes the message and safe details of caller errors', () => {
      const body = errorBody(
        new ByokError(ErrorCode.InvalidArn, 'the region is wrong', {
          details: { field: 'region' },
        }),
      );

      expect(body.error).toEqual({
        code: 'INVALID_ARN',
        message: 'the region is wrong',
        details: { field: 'region' },
      });
    });
  });

  describe('every error code', () => {
    it('has an HTTP status', () => {
      for (const code of Object.values(ErrorCode)) {
        expect(httpStatusOf(code)).toBeGreaterThanOrEqual(400);
      }
    });
  });
});
