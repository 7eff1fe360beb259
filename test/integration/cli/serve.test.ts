import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, describe, expect, it } from 'vitest';

import { freePort } from '../../../src/devservices/index.js';

const dataDir = mkdtempSync(join(tmpdir(), 'byok-serve-'));

afterAll(() => {
  rmSync(dataDir, { recursive: true, force: true });
});

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `byok serve` as a user would, stopping it with SIGTERM once `until` matches stdout. */
function serve(env: Record<string, string>, until?: RegExp): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', 'src/cli/main.ts', 'serve', '--embedded'],
      {
        env: { ...process.env, BYOK_DATA_DIR: dataDir, LOG_LEVEL: 'warn', ...env },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      if (until?.test(stdout) === true) child.kill('SIGTERM');
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.once('error', reject);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

describe('byok serve', () => {
  describe('when a configuration value is wrong', () => {
    it('stops with exit code 2 and names the variable', async () => {
      const run = await serve({ PORT: 'not-a-port' });

      expect(run.code).toBe(2);
      expect(run.stderr).toMatch(/PORT: expected/);
    });
  });

  describe('when started on its embedded defaults', () => {
    it('serves, prints the first admin once, and shuts down cleanly on SIGTERM', async () => {
      const port = await freePort();
      const first = await serve(
        { PORT: String(port), MONGODB_URI: process.env.MONGODB_URI ?? '', MONGODB_DB: 'serve_cli' },
        /shown only this once/,
      );

      expect(first.code).toBe(0);
      expect(first.stdout).toContain(`serving on http://127.0.0.1:${port}`);
      expect(first.stdout).toMatch(/first admin: admin@example\.com {2}password: \S{16,}/);

      const second = await serve(
        { PORT: String(port), MONGODB_URI: process.env.MONGODB_URI ?? '', MONGODB_DB: 'serve_cli' },
        /console:/,
      );
      expect(second.code).toBe(0);
      expect(second.stdout).not.toContain('first admin');
    });
  });
});
