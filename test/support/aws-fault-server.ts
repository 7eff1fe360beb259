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
import { randomBytes, randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** The AWS services the fault server speaks. */
export type FaultService = 'kms' | 'sts' | 'iam';

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
export interface RecordedRequest {
  service: FaultService;
  /** `Decrypt`, `AssumeRole`, ... */
  action: string;
  /** KMS only: the `X-Amz-Target` header, e.g. `TrentService.Decrypt`. */
  target?: string;
  /** The region the request was signed for. */
  region?: string;
  /** KMS: the request's `KeyId`. */
  keyId?: string;
  /** KMS: the request's `EncryptionContext`. */
  encryptionContext?: Record<string, string>;
  /** STS AssumeRole fields. */
  roleArn?: string;
  externalId?: string;
  roleSessionName?: string;
  durationSeconds?: number;
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

/** Statuses AWS uses for the error codes tests script; others default to 400. */
const defaultStatus: Readonly<Record<string, number>> = {
  KMSInternalException: 500,
  KeyUnavailableException: 500,
  DependencyTimeoutException: 503,
  AccessDenied: 403,
  RegionDisabledException: 403,
  InternalFailure: 500,
  ServiceUnavailable: 503,
  TooManyRequestsException: 429,
};

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

/** Works out service and action from the signature scope, the target header or the form body. */
function describeRequest(req: http.IncomingMessage, body: Buffer): Omit<RecordedRequest, 'answer'> {
  const scope = /Credential=[^/]+\/\d{8}\/([^/]+)\/([^/]+)\//.exec(req.headers.authorization ?? '');
  const region = scope?.[1];
  const target = req.headers['x-amz-target'];
  if (typeof target === 'string' && target.startsWith('TrentService.')) {
    const json = parseJson(body);
    return {
      service: 'kms',
      action: target.slice('TrentService.'.length),
      target,
      ...(region === undefined ? {} : { region }),
      ...(typeof json.KeyId === 'string' ? { keyId: json.KeyId } : {}),
      ...(isStringRecord(json.EncryptionContext)
        ? { encryptionContext: json.EncryptionContext }
        : {}),
    };
  }

  const form = new URLSearchParams(body.toString('utf8'));
  const service: FaultService = scope?.[2] === 'iam' ? 'iam' : 'sts';
  const duration = form.get('DurationSeconds');
  return {
    service,
    action: form.get('Action') ?? 'Unknown',
    ...(region === undefined ? {} : { region }),
    ...optional('roleArn', form.get('RoleArn')),
    ...optional('externalId', form.get('ExternalId')),
    ...optional('roleSessionName', form.get('RoleSessionName')),
    ...(duration === null ? {} : { durationSeconds: Number(duration) }),
  };
}

function optional<K extends string>(key: K, value: string | null): Partial<Record<K, string>> {
  return value === null ? {} : ({ [key]: value } as Record<K, string>);
}

function parseJson(body: Buffer): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(body.toString('utf8'));
    return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

function isStringRecord(value: unknown): value is Record<string, string> {
  return (
    typeof value === 'object' &&
    value !== null &&
    Object.values(value).every((v) => typeof v === 'string')
  );
}

function defaultOutcome(
  seen: Omit<RecordedRequest, 'answer'>,
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
  seen: Omit<RecordedRequest, 'answer'>,
  outcome: FaultOutcome | undefined,
  upstream: Partial<Record<FaultService, string>>,
  releases: Set<() => void>,
): Promise<void> {
  if (res.destroyed) return;

  if (outcome === undefined) {
    awsError(res, seen.service, 'UnscriptedRequest', 400, `no outcome scripted for ${seen.action}`);
    return;
  }
  if ('error' in outcome) {
    const status = outcome.status ?? defaultStatus[outcome.error] ?? 400;
    awsError(
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
    assumeRoleSuccess(res, seen, outcome.expiration ?? new Date(Date.now() + 3_600_000));
    return;
  }
  if ('json' in outcome) {
    res.writeHead(200, { 'content-type': 'application/x-amz-json-1.1', ...requestIdHeader() });
    res.end(JSON.stringify(outcome.json));
    return;
  }

  const base = upstream[seen.service];
  if (base === undefined) {
    awsError(res, seen.service, 'UnscriptedRequest', 400, `no upstream for ${seen.service}`);
    return;
  }
  await forward(req, res, body, base);
}

function requestIdHeader(): Record<string, string> {
  return { 'x-amzn-requestid': randomUUID() };
}

/** Writes an error the way the service's protocol does (JSON 1.1 for KMS, Query XML for STS/IAM). */
function awsError(
  res: http.ServerResponse,
  service: FaultService,
  code: string,
  status: number,
  message: string,
): void {
  if (service === 'kms') {
    res.writeHead(status, {
      'content-type': 'application/x-amz-json-1.1',
      'x-amzn-errortype': code,
      ...requestIdHeader(),
    });
    res.end(JSON.stringify({ __type: code, message }));
    return;
  }
  const type = status >= 500 ? 'Receiver' : 'Sender';
  const namespace =
    service === 'sts'
      ? 'https://sts.amazonaws.com/doc/2011-06-15/'
      : 'https://iam.amazonaws.com/doc/2010-05-08/';
  res.writeHead(status, { 'content-type': 'text/xml', ...requestIdHeader() });
  res.end(
    `<ErrorResponse xmlns="${namespace}"><Error><Type>${type}</Type><Code>${xml(code)}</Code>` +
      `<Message>${xml(message)}</Message></Error><RequestId>${randomUUID()}</RequestId></ErrorResponse>`,
  );
}

function assumeRoleSuccess(
  res: http.ServerResponse,
  seen: Omit<RecordedRequest, 'answer'>,
  expiration: Date,
): void {
  const roleArn = seen.roleArn ?? 'arn:aws:iam::111122223333:role/unknown';
  const [, partition = 'aws', , , account = '111122223333'] = roleArn.split(':');
  const roleName = roleArn.split('/').pop() ?? 'unknown';
  const session = seen.roleSessionName ?? 'session';
  const token = randomBytes(16).toString('hex');
  res.writeHead(200, { 'content-type': 'text/xml', ...requestIdHeader() });
  res.end(
    `<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleResult>` +
      `<Credentials><AccessKeyId>ASIA${token.slice(0, 16).toUpperCase()}</AccessKeyId>` +
      `<SecretAccessKey>${token}</SecretAccessKey><SessionToken>fault-${token}</SessionToken>` +
      `<Expiration>${expiration.toISOString()}</Expiration></Credentials>` +
      `<AssumedRoleUser><AssumedRoleId>AROAFAULTSERVER:${xml(session)}</AssumedRoleId>` +
      `<Arn>arn:${xml(partition)}:sts::${xml(account)}:assumed-role/${xml(roleName)}/${xml(session)}</Arn>` +
      `</AssumedRoleUser></AssumeRoleResult><ResponseMetadata><RequestId>${randomUUID()}` +
      `</RequestId></ResponseMetadata></AssumeRoleResponse>`,
  );
}

function xml(text: string): string {
  return text.replace(/[<>&'"]/g, (c) => `&#${c.charCodeAt(0)};`);
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
