/**
 * A local endpoint that answers KMS, STS and IAM requests in AWS's own wire formats, so the real
 * AWS SDK parses the errors and runs its own retry logic. It produces the faults local-kms and
 * moto cannot: trust and key-policy refusals, throttling, internal errors and hangs. Anything
 * not scripted is forwarded to the real local servers, so a test can mix real answers and faults.
 *
 * @example
 * ```ts
 * const faults = await startAwsFaultServer(); // forwards to AWS_ENDPOINT_URL_KMS / _STS / _IAM
 * faults.script('kms', 'Decrypt', { error: 'ThrottlingException', times: 2 });
 * // ... point an SDK client at faults.url, call Decrypt: two throttles, then the real answer ...
 * expect(faults.count('kms', 'Decrypt')).toBe(3);
 * await faults.close();
 * ```
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

import {
  defaultStatus,
  describeRequest,
  type FaultService,
  type RequestFacts,
  writeAssumeRoleSuccess,
  writeAwsError,
  writeKmsJson,
} from './aws-wire.js';

export type { FaultService, RequestFacts } from './aws-wire.js';

/** Fields every scripted outcome accepts. */
interface OutcomeBase {
  /** How many consecutive requests this outcome answers (default 1). */
  times?: number;
  /** Waits this long before answering (default 0). */
  delayMs?: number;
}

/**
 * How the fault server answers one request:
 * - `error`: an AWS error with this code (`ThrottlingException`, `AccessDenied`, ...); the
 *   status defaults to the one AWS uses for that code;
 * - `forward`: passes the request to the real upstream (local-kms or moto);
 * - `hang`: never answers; the client's timeout (or {@link AwsFaultServer.close}) ends it;
 * - `succeed`: STS `AssumeRole` only: fake credentials expiring at `expiration` (default in 1 h);
 * - `json`: KMS only: a 200 answer with this body (e.g. a `DescribeKey` with a chosen state).
 */
export type FaultOutcome =
  | (OutcomeBase & { error: string; status?: number; message?: string })
  | (OutcomeBase & { forward: true })
  | (OutcomeBase & { hang: true })
  | (OutcomeBase & { succeed: true; expiration?: Date })
  | (OutcomeBase & { json: Record<string, unknown> });

/** What the fault server saw of one request, for assertions. */
export interface RecordedRequest extends RequestFacts {
  /** How it was answered: `forward`, `error:<Code>`, `hang`, `succeed`, `json`, `unscripted`. */
  answer: string;
}

/** Options of {@link startAwsFaultServer}. */
export interface FaultServerOptions {
  /**
   * Where `forward` (and anything unscripted) goes, per service. Defaults to the SDK variables
   * `AWS_ENDPOINT_URL_KMS`, `AWS_ENDPOINT_URL_STS`, `AWS_ENDPOINT_URL_IAM` set by the global setup;
   * `{}` forwards nothing (STS AssumeRole then answers with fake credentials by default).
   */
  upstream?: Partial<Record<FaultService, string>>;
  /** Keeps at most this many recorded requests; older ones are dropped (default 10 000). */
  maxRecorded?: number;
}

/** A running fault server. */
export interface AwsFaultServer {
  /** Base URL (`http://127.0.0.1:<port>`) to use as the endpoint of KMS, STS and IAM clients. */
  readonly url: string;
  /**
   * Appends outcomes for `action` of `service`; they are used in order, each for its `times`.
   * When the queue is empty a request is forwarded to the upstream (or, for STS `AssumeRole`
   * without an upstream, answered with fake credentials).
   */
  script(service: FaultService, action: string, ...outcomes: FaultOutcome[]): void;
  /** Recorded requests, oldest first, optionally only those of one service and action. */
  requests(service?: FaultService, action?: string): RecordedRequest[];
  /** How many requests of `service` (and `action`) arrived. */
  count(service: FaultService, action?: string): number;
  /** Forgets every scripted outcome and recorded request. */
  reset(): void;
  /** Stops the server, ending hung requests and open connections. */
  close(): Promise<void>;
}

const maxBodyBytes = 1024 * 1024;
const maxHangMs = 120_000;

/** Starts a fault server on 127.0.0.1 with a free port. */
export async function startAwsFaultServer(
  options: FaultServerOptions = {},
): Promise<AwsFaultServer> {
  const upstream: Partial<Record<FaultService, string>> =
    options.upstream ??
    definedEntries({
      kms: process.env.AWS_ENDPOINT_URL_KMS ?? process.env.AWS_ENDPOINT_URL,
      sts: process.env.AWS_ENDPOINT_URL_STS ?? process.env.AWS_ENDPOINT_URL,
      iam: process.env.AWS_ENDPOINT_URL_IAM ?? process.env.AWS_ENDPOINT_URL,
    });
  const maxRecorded = options.maxRecorded ?? 10_000;
  const queues = new Map<string, { outcome: FaultOutcome; left: number }[]>();
  let recorded: RecordedRequest[] = [];
  const releases = new Set<() => void>();

  const next = (service: FaultService, action: string): FaultOutcome | undefined => {
    const queue = queues.get(`${service}:${action}`);
    const head = queue?.[0];
    if (queue === undefined || head === undefined) return undefined;
    head.left -= 1;
    if (head.left <= 0) queue.shift();
    return head.outcome;
  };

  const server = http.createServer((req, res) => {
    void readBody(req).then(
      async (body) => {
        const seen = describeRequest(req, body);
        const outcome = next(seen.service, seen.action) ?? defaultOutcome(seen, upstream);
        recorded.push({ ...seen, answer: answerName(outcome) });
        if (recorded.length > maxRecorded) recorded = recorded.slice(-maxRecorded);

        if (outcome !== undefined && (outcome.delayMs ?? 0) > 0) {
          await pause(outcome.delayMs ?? 0, releases);
        }
        await answer(req, res, body, seen, outcome, upstream, releases);
      },
      () => {
        res.writeHead(413).end();
      },
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  const requests = (service?: FaultService, action?: string): RecordedRequest[] =>
    recorded.filter(
      (r) =>
        (service === undefined || r.service === service) &&
        (action === undefined || r.action === action),
    );

  return {
    url: `http://127.0.0.1:${port}`,
    script(service, action, ...outcomes) {
      const queue = queues.get(`${service}:${action}`) ?? [];
      for (const outcome of outcomes) queue.push({ outcome, left: outcome.times ?? 1 });
      queues.set(`${service}:${action}`, queue);
    },
    requests,
    count(service, action) {
      return requests(service, action).length;
    },
    reset() {
      queues.clear();
      recorded = [];
    },
    async close() {
      for (const release of releases) release();
      releases.clear();
      server.closeAllConnections();
      await new Promise<void>((resolve) => {
        server.close(() => {
          resolve();
        });
      });
    },
  };
}

function definedEntries(record: Record<string, string | undefined>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(record).filter((e): e is [string, string] => e[1] !== undefined),
  );
}

async function readBody(req: http.IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > maxBodyBytes) throw new Error('request body too large');
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

function defaultOutcome(
  seen: RequestFacts,
  upstream: Partial<Record<FaultService, string>>,
): FaultOutcome | undefined {
  if (upstream[seen.service] !== undefined) return { forward: true };
  if (seen.service === 'sts' && seen.action === 'AssumeRole') return { succeed: true };
  return undefined;
}

function answerName(outcome: FaultOutcome | undefined): string {
  if (outcome === undefined) return 'unscripted';
  if ('error' in outcome) return `error:${outcome.error}`;
  if ('forward' in outcome) return 'forward';
  if ('hang' in outcome) return 'hang';
  if ('succeed' in outcome) return 'succeed';
  return 'json';
}

/** Waits `ms`, or until the server closes. */
function pause(ms: number, releases: Set<() => void>): Promise<void> {
  return new Promise((resolve) => {
    const release = () => {
      clearTimeout(timer);
      releases.delete(release);
      resolve();
    };
    const timer = setTimeout(release, ms);
    releases.add(release);
  });
}

async function answer(
  req: http.IncomingMessage,
  res: http.ServerResponse,
  body: Buffer,
  seen: RequestFacts,
  outcome: FaultOutcome | undefined,
  upstream: Partial<Record<FaultService, string>>,
  releases: Set<() => void>,
): Promise<void> {
  if (res.destroyed) return;

  if (outcome === undefined) {
    writeAwsError(
      res,
      seen.service,
      'UnscriptedRequest',
      400,
      `no outcome scripted for ${seen.action}`,
    );
    return;
  }
  if ('error' in outcome) {
    const status = outcome.status ?? defaultStatus[outcome.error] ?? 400;
    writeAwsError(
      res,
      seen.service,
      outcome.error,
      status,
      outcome.message ?? `${outcome.error} (fault server)`,
    );
    return;
  }
  if ('hang' in outcome) {
    // Bounded: a forgotten hang ends on its own, and close() ends every hang at once.
    await new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        releases.delete(done);
        res.off('close', done);
        resolve();
      };
      const timer = setTimeout(done, maxHangMs);
      timer.unref();
      releases.add(done);
      res.once('close', done);
    });
    res.destroy();
    return;
  }
  if ('succeed' in outcome) {
    writeAssumeRoleSuccess(res, seen, outcome.expiration ?? new Date(Date.now() + 3_600_000));
    return;
  }
  if ('json' in outcome) {
    writeKmsJson(res, outcome.json);
    return;
  }

  const base = upstream[seen.service];
  if (base === undefined) {
    writeAwsError(res, seen.service, 'UnscriptedRequest', 400, `no upstream for ${seen.service}`);
    return;
  }
  await forward(req, res, body, base);
}

/** Replays the request against the real local server and copies its answer back. */
function forward(
  req: http.IncomingMessage,
  res: http.ServerResponse,
  body: Buffer,
  base: string,
): Promise<void> {
  const target = new URL(req.url ?? '/', base);
  return new Promise((resolve) => {
    const upstreamReq = http.request(
      target,
      { method: req.method, headers: { ...req.headers, host: target.host } },
      (upstreamRes) => {
        res.writeHead(upstreamRes.statusCode ?? 502, upstreamRes.headers);
        upstreamRes.pipe(res);
        upstreamRes.on('end', resolve);
        upstreamRes.on('error', () => {
          res.destroy();
          resolve();
        });
      },
    );
    upstreamReq.on('error', () => {
      if (!res.headersSent) res.writeHead(502);
      res.end();
      resolve();
    });
    upstreamReq.end(body);
  });
}
