import { describe, expect, it } from 'vitest';

import { basicChallenge, parseBasicAuthorization } from '../../../src/http/auth-link/index.js';

function header(text: string, scheme = 'Basic'): string {
  return `${scheme} ${Buffer.from(text, 'utf8').toString('base64')}`;
}

describe('parseBasicAuthorization', () => {
  describe('when the password contains colons', () => {
    it('ends the user id at the first colon and keeps the rest as the password', () => {
      expect(parseBasicAuthorization(header('admin:pa:ss:word'))).toEqual({
        username: 'admin',
        password: 'pa:ss:word',
      });
    });
  });

  describe('when the credentials are not ASCII', () => {
    it('decodes them as UTF-8', () => {
      expect(parseBasicAuthorization(header('jörg:ßü✓🦓'))).toEqual({
        username: 'jörg',
        password: 'ßü✓🦓',
      });
    });

    it('refuses bytes that are not UTF-8 instead of guessing', () => {
      const latin1 = Buffer.from([0x6a, 0xf6, 0x72, 0x67, 0x3a, 0x78]).toString('base64');
      expect(parseBasicAuthorization(`Basic ${latin1}`)).toBeUndefined();
    });
  });

  describe('when the scheme is written in another case', () => {
    it('accepts it, as the scheme is case-insensitive', () => {
      expect(parseBasicAuthorization(header('a:b', 'bAsIc'))).toEqual({
        username: 'a',
        password: 'b',
      });
    });
  });

  describe('when the header is not usable Basic credentials', () => {
    it.each([
      ['no header', undefined],
      ['another scheme', header('a:b', 'Bearer')],
      ['no colon', header('admin')],
      ['an empty user id', header(':password')],
      ['an empty password', header('admin:')],
      ['characters outside base64', 'Basic YWRt!W46cGFzcw=='],
      ['broken padding', 'Basic YWRtaW46cGFzcw'],
      ['an oversized header', `Basic ${'A'.repeat(5000)}`],
    ])('returns nothing for %s', (_case, value) => {
      expect(parseBasicAuthorization(value)).toBeUndefined();
    });
  });
});

describe('basicChallenge', () => {
  it('names the realm and the UTF-8 charset, without quotes that would break the header', () => {
    expect(basicChallenge('byok "validation"')).toBe(
      'Basic realm="byok validation", charset="UTF-8"',
    );
  });
});
