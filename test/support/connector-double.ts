/**
 * A Bot Connector double on 127.0.0.1: the channel side of `/api/messages` tests. It answers
 * the REST calls the SDK's ConnectorClient makes for a conversation (send, reply, update,
 * delete) the way the real service does and records every call, so a test can wait for the
 * bot's replies and read them.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One call the bot made to the connector. */
export interface ConnectorCall {
  method: string;
  conversationId: string;
  /** The activity id in the path (reply, update, delete); undefined for a plain send. */
  activityId: string | undefined;
  /** The `Authorization` header the bot sent, if any. */
  authorization: string | undefined;
  activity: Record<string, unknown> | undefined;
}

/** A running connector double. */
export interface ConnectorDouble {
  /** The `serviceUrl` to put on activities sent to the bot. */
  serviceUrl: string;
  /** Every call so far, oldest first. */
  calls: readonly ConnectorCall[];
  /** The activities the bot sent to `conversationId` (sends and replies), oldest first. */
  activities(conversationId: string): Record<string, unknown>[];
  /** Resolves with the first `count` activities sent to `conversationId` once they are there. */
  waitForActivities(
    conversationId: string,
    count: number,
    timeoutMs?: number,
  ): Promise<Record<string, unknown>[]>;
  close(): Promise<void>;
}

const route = /^\/v3\/conversations\/([^/]+)\/activities(?:\/([^/]+))?\/?$/;

/** Starts a connector double on a free port of 127.0.0.1. */
export async function startConnectorDouble(): Promise<ConnectorDouble> {
  const calls: ConnectorCall[] = [];
  const waiters = new Set<() => void>();

  const server: Server = createServer((req, res) => {
    void readJson(req).then((body) => {
      const match = route.exec(new URL(req.url ?? '/', 'http://x').pathname);
      if (match?.[1] === undefined) {
        res.writeHead(404, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: { code: 'NotFound', message: 'unknown route' } }));
        return;
      }
      calls.push({
        method: req.method ?? 'GET',
        conversationId: decodeURIComponent(match[1]),
        activityId: match[2] === undefined ? undefined : decodeURIComponent(match[2]),
        authorization: req.headers.authorization,
        activity: body,
      });
      for (const wake of waiters) wake();

      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(req.method === 'DELETE' ? '' : JSON.stringify({ id: randomUUID() }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  const activities = (conversationId: string) =>
    calls
      .filter((c) => c.method === 'POST' && c.conversationId === conversationId)
      .map((c) => c.activity ?? {});

  return {
    serviceUrl: `http://127.0.0.1:${port}/`,
    calls,
    activities,
    waitForActivities: (conversationId, count, timeoutMs = 10_000) =>
      new Promise((resolve, reject) => {
        const check = () => {
          const found = activities(conversationId);
          if (found.length < count) return;
          cleanUp();
          resolve(found.slice(0, count));
        };
        const timer = setTimeout(() => {
          cleanUp();
          reject(new Error(`the bot sent ${activities(conversationId).length} of ${count}`));
        }, timeoutMs);
        const cleanUp = () => {
          clearTimeout(timer);
          waiters.delete(check);
        };
        waiters.add(check);
        check();
      }),
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => {
          if (error) reject(error);
          else resolve();
        });
      }),
  };
}

async function readJson(req: IncomingMessage): Promise<Record<string, unknown> | undefined> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  return text === '' ? undefined : (JSON.parse(text) as Record<string, unknown>);
}
