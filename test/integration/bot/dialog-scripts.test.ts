import { readdir } from 'node:fs/promises';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createValidationBot } from '../../../src/bot/index.js';
import {
  formatReport,
  type HarnessTarget,
  loadDialogScript,
  parseDialogScript,
  runDialogScript,
} from '../../../src/harness/index.js';
import { type BotWorld, createBotWorld } from './fixtures.js';

const dialogsDir = join(import.meta.dirname, '../../../dialogs');
const scripts = (await readdir(dialogsDir)).filter((name) => name.endsWith('.json')).sort();
let world: BotWorld;

beforeAll(async () => {
  world = await createBotWorld();
});
afterAll(async () => {
  await world.database.drop();
});

function target(botId: string): HarnessTarget {
  const bot = createValidationBot({
    owner: { tenantId: 'ws-scripts', appId: 'app-scripts', botId },
    db: world.database.db,
    sealer: world.sealer,
    service: world.service,
    clock: world.clock,
  });
  return {
    bot,
    service: world.service,
    advanceClock: (ms) => {
      world.clock.advance(ms);
    },
    ttlSeconds: 600,
  };
}

describe('the conversation scripts under dialogs/', () => {
  it('include at least the default-key validation', () => {
    expect(scripts).toContain('basic-auth-default-key.json');
  });

  describe.each(scripts)('when %s runs against the validation bot', (file) => {
    it('passes every step', async () => {
      const script = await loadDialogScript(join(dialogsDir, file));
      const report = await runDialogScript(script, target(`bot-${file}`));
      expect(report.passed, formatReport(report)).toBe(true);
      expect(report.steps).toHaveLength(script.steps.length);
    });
  });
});

describe('runDialogScript', () => {
  describe('when a reply does not match', () => {
    it('reports the failing step with what was said, and skips the rest', async () => {
      const script = parseDialogScript({
        name: 'a wrong expectation',
        steps: [
          { user: 'hello' },
          { bot: { matches: '^Goodbye' } },
          { user: 'BasicAuthValidationDialog' },
        ],
      });
      const report = await runDialogScript(script, target('bot-wrong-expectation'));

      expect(report.passed).toBe(false);
      expect(report.steps.map((s) => s.status)).toEqual(['passed', 'failed', 'skipped']);
      expect(report.steps[1]?.detail).toContain('got "Type BasicAuthValidationDialog');
      expect(formatReport(report)).toContain('FAILED: a wrong expectation');
    });
  });

  describe('when credentials are entered before any link was shown', () => {
    it('fails that step instead of guessing a link', async () => {
      const script = parseDialogScript({
        name: 'no link',
        steps: [{ authorize: { username: 'admin', password: 'password' } }],
      });
      const report = await runDialogScript(script, target('bot-no-link'));
      expect(report.steps[0]).toMatchObject({ status: 'failed', kind: 'authorize' });
    });
  });
});
