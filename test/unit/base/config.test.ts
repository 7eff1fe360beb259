import { describe, expect, it } from 'vitest';

import { loadConfig } from '../../../src/base/config.js';
import { ByokError, ErrorCode } from '../../../src/base/errors.js';

function configError(env: Record<string, string>): ByokError {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ByokError) return error;
    throw error;
  }
  throw new Error('the configuration was accepted');
}

describe('loadConfig', () => {
  describe('when the environment sets nothing', () => {
    it('uses the documented defaults', () => {
      const config = loadConfig({});

      expect(config.PORT).toBe(3978);
      expect(config.HOST).toBe('127.0.0.1');
      expect(config.BYOK_DEK_CACHE_MAX_AGE_SECONDS).toBe(300);
      expect(config.BYOK_HEALTH_INTERVAL_SECONDS).toBe(900);
      expect(config.BYOK_LINK_TTL_SECONDS).toBe(600);
      expect(config.BYOK_LOCAL_AWS).toBe(false);
      expect(config.MONGODB_URI).toBeUndefined();
    });
  });

  describe('when values are set', () => {
    it('parses numbers and switches', () => {
      const config = loadConfig({ PORT: '8080', BYOK_LOCAL_AWS: 'yes', LOG_LEVEL: 'debug' });

      expect(config.PORT).toBe(8080);
      expect(config.BYOK_LOCAL_AWS).toBe(true);
      expect(config.LOG_LEVEL).toBe('debug');
    });

    it('treats an empty value as unset', () => {
      expect(loadConfig({ MONGODB_URI: '  ' }).MONGODB_URI).toBeUndefined();
    });
  });

  describe('when a value is wrong', () => {
    it('names every wrong variable and what it expected', () => {
      const error = configError({ PORT: 'eighty', MONGODB_URI: 'postgres://db' });

      expect(error.code).toBe(ErrorCode.ConfigInvalid);
      expect(error.message).toMatch(/PORT: expected/);
      expect(error.message).toMatch(/MONGODB_URI: expected a mongodb:\/\/ URI/);
      expect(error.details).toEqual({ variables: ['PORT', 'MONGODB_URI'] });
    });

    it('does not echo the rejected value, which may be a secret', () => {
      const error = configError({ BYOK_ADMIN_PASSWORD: 'short-pw' });

      expect(error.message).toMatch(/BYOK_ADMIN_PASSWORD: expected at least 12 characters/);
      expect(error.message).not.toContain('short-pw');
    });

    it('refuses a master key that is not 32 bytes', () => {
      const error = configError({ BYOK_LOCAL_MASTER_KEY: Buffer.alloc(16).toString('base64') });

      expect(error.message).toMatch(/BYOK_LOCAL_MASTER_KEY: expected 32 bytes/);
    });

    it('refuses a service role that is not an IAM role ARN', () => {
      const error = configError({ BYOK_SERVICE_ROLE_ARN: 'arn:aws:iam::123:user/bob' });

      expect(error.message).toMatch(/BYOK_SERVICE_ROLE_ARN: expected an IAM role ARN/);
    });
  });
});
