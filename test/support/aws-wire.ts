/**
 * AWS wire formats for the fault server: how a request names its service and action, and how
 * KMS (JSON 1.1) and STS/IAM (Query protocol, XML) write their answers. Kept apart from the
 * scripting so each reads on its own; matching these formats is what lets the real SDK parse
 * the faults and run its own retry logic.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type http from 'node:http';

/** The AWS services the fault server speaks. */
export type FaultService = 'kms' | 'sts' | 'iam';

/** What a request says about itself, as far as tests assert on it. */
export interface RequestFacts {
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
}

/** Statuses AWS uses for the error codes tests script; others default to 400. */
export const defaultStatus: Readonly<Record<string, number>> = {
  KMSInternalException: 500,
  KeyUnavailableException: 500,
  DependencyTimeoutException: 503,
  AccessDenied: 403,
  RegionDisabledException: 403,
  InternalFailure: 500,
  ServiceUnavailable: 503,
  TooManyRequestsException: 429,
};

/** Works out service and action from the signature scope, the target header or the form body. */
export function describeRequest(req: http.IncomingMessage, body: Buffer): RequestFacts {
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

/** A KMS success answer with the given body. */
export function writeKmsJson(res: http.ServerResponse, body: Record<string, unknown>): void {
  res.writeHead(200, { 'content-type': 'application/x-amz-json-1.1', ...requestIdHeader() });
  res.end(JSON.stringify(body));
}

export function requestIdHeader(): Record<string, string> {
  return { 'x-amzn-requestid': randomUUID() };
}

/** Writes an error the way the service's protocol does (JSON 1.1 for KMS, Query XML for STS/IAM). */
export function writeAwsError(
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

export function writeAssumeRoleSuccess(
  res: http.ServerResponse,
  seen: RequestFacts,
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
