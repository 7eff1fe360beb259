/**
 * The admin API on 127.0.0.1 for tests: the real HTTP shell with the admin router mounted at
 * /api/admin over a test platform, and a small fetch wrapper that speaks JSON.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';

import { silentLogger } from '../../../src/base/log.js';
import { createAdminRouter } from '../../../src/http/admin/index.js';
import { createHttpApp } from '../../../src/http/app.js';
import { type Platform, serviceRoleArn } from '../keys/harness.js';

/** Options of one request. */
export interface CallOptions {
  token?: string;
  cookie?: string;
  csrf?: string;
  /** A JSON body (serialised) or a raw string sent as is. */
  body?: unknown;
  raw?: string;
  contentType?: string;
}

/** A response with its parsed JSON body (undefined when there is none). */
export interface CallResult {
  status: number;
  headers: Headers;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- checked by assertions, not types
  body: any;
}

/** A running admin API. */
export interface AdminApi {
  base: string;
  call(method: string, path: string, options?: CallOptions): Promise<CallResult>;
  /** Signs in through the API and returns the bearer token. */
  login(email: string, password: string): Promise<string>;
  /** Creates an admin of `workspaceId`, signs them in and returns the bearer token. */
  signIn(workspaceId: string, email: string): Promise<string>;
  close(): Promise<void>;
}

/** Starts the admin API over `platform`. */
export async function startAdminApi(platform: Platform): Promise<AdminApi> {
  const router = createAdminRouter({
    tenancy: platform.tenancy,
    keys: platform.keys,
    clock: platform.clock,
    serviceRoleArn,
  });
  const app = createHttpApp({ logger: silentLogger, mounts: [{ path: '/api/admin', router }] });
  const server = await new Promise<Server>((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => {
      resolve(s);
    });
  });
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/admin`;

  const call = async (method: string, path: string, o: CallOptions = {}): Promise<CallResult> => {
    const headers: Record<string, string> = {};
    if (o.token !== undefined) headers.authorization = `Bearer ${o.token}`;
    if (o.cookie !== undefined) headers.cookie = o.cookie;
    if (o.csrf !== undefined) headers['x-csrf-token'] = o.csrf;
    let body: string | undefined;
    if (o.raw !== undefined) body = o.raw;
    else if (o.body !== undefined) body = JSON.stringify(o.body);
    if (body !== undefined) headers['content-type'] = o.contentType ?? 'application/json';
    const response = await fetch(`${base}${path}`, {
      method,
      headers,
      ...(body === undefined ? {} : { body }),
    });
    const text = await response.text();
    return {
      status: response.status,
      headers: response.headers,
      body: text === '' ? undefined : JSON.parse(text),
    };
  };

  const login = async (email: string, password: string): Promise<string> => {
    const result = await call('POST', '/login', { body: { email, password } });
    if (result.status !== 200) throw new Error(`login failed: ${result.status}`);
    return result.body.token as string;
  };

  return {
    base,
    call,
    login,
    signIn: async (workspaceId, email) => {
      const password = 'a sufficiently long password';
      await platform.tenancy.accounts.createAdmin(workspaceId, { email, password });
      return login(email, password);
    },
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) =>
        server.close(() => {
          resolve();
        }),
      );
    },
  };
}
