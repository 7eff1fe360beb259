import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { Command } from 'commander';
import { MongoClient } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { loadConfig } from '../../../src/base/config.js';
import { registerHarnessCommands } from '../../../src/cli/commands/harness.js';
import type { CliIo } from '../../../src/cli/commands/policy.js';
import { scratchPrefix } from '../../../src/harness/scratch-database.js';
import { defaultScriptPaths } from '../../../src/harness/validation-run.js';

interface Run {
  out: string;
  err: string;
  exitCode: number | undefined;
}

/** Runs `byok harness ...` in process; `embedded` leaves MONGODB_URI unset. */
async function byok(args: readonly string[], database: 'test' | 'embedded' = 'test'): Promise<Run> {
  const mongoUri = database === 'test' ? process.env.MONGODB_URI : undefined;
  const run: Run = { out: '', err: '', exitCode: undefined };
  const io: CliIo = {
    out: (text) => (run.out += text),
    err: (text) => (run.err += text),
    setExitCode: (code) => (run.exitCode = code),
  };
  const program = new Command('byok').exitOverride();
  registerHarnessCommands(program, {
    io,
    config: () => loadConfig({ ...process.env, MONGODB_URI: mongoUri ?? '' }),
  });
  await program.parseAsync(['harness', ...args], { from: 'user' });
  return run;
}

async function scratchDatabases(client: MongoClient): Promise<string[]> {
  const { databases } = await client.db().admin().listDatabases({ nameOnly: true });
  return databases.map((d) => d.name).filter((name) => name.startsWith(scratchPrefix));
}

let folder: string;
let client: MongoClient;

beforeAll(async () => {
  folder = await mkdtemp(join(tmpdir(), 'harness-cli-test-'));
  client = await MongoClient.connect(process.env.MONGODB_URI ?? '');
});
afterAll(async () => {
  await rm(folder, { recursive: true, force: true });
  await client.close();
});

async function scriptFile(name: string, content: unknown): Promise<string> {
  const path = join(folder, name);
  await writeFile(path, typeof content === 'string' ? content : JSON.stringify(content));
  return path;
}

describe('byok harness run', () => {
  describe('when run without script arguments', () => {
    it('runs every dialog under dialogs/, prints each step, exits 0 and leaves no database behind', async () => {
      const scripts = await defaultScriptPaths();
      const before = await scratchDatabases(client);

      const run = await byok(['run']);

      expect(run.err).toBe('');
      expect(run.exitCode).toBe(0);
      expect(run.out).toContain(`${String(scripts.length)} scripts on mongodb-uri: `);
      expect(run.out).toContain(`${String(scripts.length)} passed, 0 failed`);
      expect(run.out).toContain('PASSED: Basic Auth validation on the default platform key');
      expect(run.out).toMatch(
        /^ok {4}5 authorize: entering the credentials on the link: succeeded/m,
      );
      expect(run.out).not.toMatch(/^FAIL/m);
      expect(await scratchDatabases(client)).toEqual(before);
    });
  });

  describe('when a script file is broken', () => {
    it('exits 1 naming the file and the wrong places, and runs nothing', async () => {
      const good = (await defaultScriptPaths())[0] ?? '';
      const broken = await scriptFile('broken.json', {
        name: 'broken',
        steps: [{ user: 'hello' }, { bot: { colour: 'blue' } }],
      });

      const run = await byok(['run', good, broken]);

      expect(run.exitCode).toBe(1);
      expect(run.err).toContain(`byok harness run: ${broken} is not a valid dialog script`);
      expect(run.err).toContain('wrong places: steps.1');
      expect(run.out).toBe('');
    });

    it('exits 1 when the file is not JSON at all', async () => {
      const notJson = await scriptFile('not-json.json', '{ "name": "half');

      const run = await byok(['run', notJson]);

      expect(run.exitCode).toBe(1);
      expect(run.err).toContain(`${notJson} could not be read as JSON`);
    });
  });

  describe('when a step of a script fails', () => {
    const failing = {
      name: 'expects the wrong greeting',
      steps: [
        { user: 'hello' },
        { bot: { text: 'Good morning!' }, note: 'deliberately wrong' },
        { noReply: true },
      ],
    };

    it('reports that step with what the bot said, skips the rest and exits 1', async () => {
      const path = await scriptFile('failing.json', failing);

      const run = await byok(['run', path]);

      expect(run.exitCode).toBe(1);
      expect(run.out).toMatch(
        /^FAIL {2}2 bot: expected "Good morning!", got "Type BasicAuthValidationDialog.*" \(deliberately wrong\)$/m,
      );
      expect(run.out).toMatch(/^skip {2}3 noReply: an earlier step failed$/m);
      expect(run.out).toContain('FAILED: expects the wrong greeting');
      expect(run.out).toContain('1 scripts on mongodb-uri: 0 passed, 1 failed');
    });

    it('prints the same verdict as JSON with --json, alongside passing scripts', async () => {
      const good = (await defaultScriptPaths())[0] ?? '';
      const path = await scriptFile('failing-json.json', failing);

      const run = await byok(['run', good, path, '--json']);
      const printed = JSON.parse(run.out) as {
        passed: boolean;
        reports: { file: string; passed: boolean; steps: { status: string }[] }[];
      };

      expect(run.exitCode).toBe(1);
      expect(printed.passed).toBe(false);
      expect(printed.reports.map((r) => [r.file, r.passed])).toEqual([
        [good, true],
        [path, false],
      ]);
      expect(printed.reports[1]?.steps.map((s) => s.status)).toEqual([
        'passed',
        'failed',
        'skipped',
      ]);
    });
  });

  describe('when MONGODB_URI is not set', () => {
    it('starts an embedded database in a temporary folder, passes, and removes it afterwards', async () => {
      const temporary = async () =>
        (await readdir(tmpdir())).filter((name) => name.startsWith('byok-harness-'));
      const before = await temporary();
      const script = (await defaultScriptPaths())[0] ?? '';

      const run = await byok(['run', script, '--json'], 'embedded');
      const printed = JSON.parse(run.out) as { passed: boolean; engine: string };

      expect(run.exitCode).toBe(0);
      expect(printed.passed).toBe(true);
      expect(['ferretdb', 'mongodb-memory-server']).toContain(printed.engine);
      expect(await temporary()).toEqual(before);
    });
  });
});
