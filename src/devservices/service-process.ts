/**
 * Starts a local server as a child process and waits until its port accepts connections.
 * Output goes to a log file in the service's folder, never to our own logs: a local server's
 * output is its own business and may echo request contents.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, openSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

import { ByokError, ErrorCode } from '../base/errors.js';

/** A started local server. */
export interface RunningService {
  name: string;
  port: number;
  /** Stops the process (SIGTERM, then SIGKILL after a grace period). Safe to call twice. */
  stop(): Promise<void>;
}

/** How to start one local server. */
export interface ServiceSpec {
  name: string;
  command: string;
  args: readonly string[];
  env?: Readonly<Record<string, string>>;
  port: number;
  /** Folder that receives `<name>.log`. */
  logDir: string;
  /** How long to wait for the port, in ms. */
  startTimeoutMs?: number;
}

/** Asks the kernel for a free TCP port on 127.0.0.1. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => {
        if (address !== null && typeof address === 'object') resolve(address.port);
        else reject(new Error('no port assigned'));
      });
    });
  });
}

/** True when something accepts TCP connections on 127.0.0.1:port. */
export async function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => {
      resolve(false);
    });
  });
}

/** Starts the process and resolves once its port is open; throws if it exits or times out. */
export async function startService(spec: ServiceSpec): Promise<RunningService> {
  mkdirSync(spec.logDir, { recursive: true });
  const logPath = join(spec.logDir, `${spec.name}.log`);
  const out = openSync(logPath, 'a');
  const child = spawn(spec.command, [...spec.args], {
    env: { ...process.env, ...spec.env },
    stdio: ['ignore', out, out],
  });

  // Written by the child's event handlers while the loop below polls the port.
  const state: { exited: string | null } = { exited: null };
  child.once('exit', (code, signal) => {
    state.exited = `exited with ${signal ?? String(code)}`;
  });
  child.once('error', (error) => {
    state.exited = error.message;
  });

  const deadline = Date.now() + (spec.startTimeoutMs ?? 30_000);
  while (!(await portOpen(spec.port))) {
    if (state.exited !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new ByokError(
        ErrorCode.DatabaseUnavailable,
        `${spec.name} did not start on 127.0.0.1:${spec.port} (${state.exited ?? 'timed out'}); see ${logPath}`,
      );
    }
    await sleep(100);
  }
  return { name: spec.name, port: spec.port, stop: () => stopChild(child) };
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const gone = new Promise<void>((resolve) => {
    child.once('exit', () => {
      resolve();
    });
  });
  child.kill('SIGTERM');
  const timer = setTimeout(() => {
    child.kill('SIGKILL');
  }, 5_000);
  await gone;
  clearTimeout(timer);
}
