import { Writable } from 'node:stream';

import { describe, expect, it } from 'vitest';

import { capped, createLogger } from '../../../src/base/log.js';

function capture(): { lines: () => string; stream: Writable } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      chunks.push(chunk.toString('utf8'));
      done();
    },
  });
  return { lines: () => chunks.join(''), stream };
}

describe('createLogger', () => {
  describe('when a log call carries secrets', () => {
    it('censors passwords, tokens, plaintext, data keys and message text at any depth', async () => {
      const out = capture();
      const logger = createLogger('info', out.stream);

      logger.info(
        {
          password: 'hunter2-password',
          token: 'tok-123456',
          plaintext: 'plain-secret',
          activity: { text: 'user typed this', dataKey: 'AAAAkey' },
          req: { headers: { authorization: 'Basic YWRtaW46cGFzc3dvcmQ=' } },
          safe: 'kept',
        },
        'event',
      );
      await new Promise((resolve) => setImmediate(resolve));

      const written = out.lines();
      for (const secret of [
        'hunter2-password',
        'tok-123456',
        'plain-secret',
        'user typed this',
        'AAAAkey',
        'YWRtaW46cGFzc3dvcmQ=',
      ]) {
        expect(written).not.toContain(secret);
      }
      expect(written).toContain('"safe":"kept"');
      expect(written).toContain('[redacted]');
    });
  });
});

describe('capped', () => {
  it('keeps short values and cuts long ones', () => {
    expect(capped('short')).toBe('short');
    expect(capped('x'.repeat(1000))).toHaveLength(201);
    expect(capped({ a: 1 })).toBe('{"a":1}');
  });
});
