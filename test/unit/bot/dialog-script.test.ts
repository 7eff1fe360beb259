import { describe, expect, it } from 'vitest';

import { parseDialogScript } from '../../../src/harness/index.js';

describe('parseDialogScript', () => {
  describe('when the script is well formed', () => {
    it('accepts it and fills in the expected outcome of an authorization', () => {
      const script = parseDialogScript({
        name: 'ok',
        steps: [{ user: 'hi' }, { authorize: { username: 'admin', password: 'password' } }],
      });
      expect(script.steps[1]).toEqual({
        authorize: { username: 'admin', password: 'password' },
        outcome: 'succeeded',
      });
    });
  });

  describe('when the script is not well formed', () => {
    it.each([
      ['no steps', { name: 'x', steps: [] }],
      ['an unknown step', { name: 'x', steps: [{ shout: 'hi' }] }],
      ['an operator object for text', { name: 'x', steps: [{ user: { $gt: '' } }] }],
      ['an empty expectation', { name: 'x', steps: [{ bot: {} }] }],
      ['a broken regular expression', { name: 'x', steps: [{ bot: { matches: '(' } }] }],
      [
        'an unknown outcome',
        { name: 'x', steps: [{ authorize: { username: 'a', password: 'b' }, outcome: 'maybe' }] },
      ],
      ['two steps in one', { name: 'x', steps: [{ user: 'hi', join: true }] }],
    ])('refuses %s with BAD_INPUT', (_case, value) => {
      expect(() => parseDialogScript(value)).toThrow(
        expect.objectContaining({ code: 'BAD_INPUT' }),
      );
    });
  });
});
