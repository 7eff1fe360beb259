/**
 * Strict parsing of the two ARNs an admin pastes into a key configuration: the KMS key ARN and
 * the IAM role ARN. A wrong ARN is refused here, before any AWS call, with an error that names
 * the part to fix (`details.field`: arn, partition, service, region, account or resource), so
 * the admin does not have to decode an AWS error later.
 */
import { ByokError, ErrorCode } from '../base/errors.js';

/** The AWS partitions BYOK accepts. */
export const partitions = ['aws', 'aws-cn', 'aws-us-gov'] as const;
export type Partition = (typeof partitions)[number];

/** The partition a region belongs to. */
export function partitionOfRegion(region: string): Partition {
  if (region.startsWith('cn-')) return 'aws-cn';
  if (region.startsWith('us-gov-')) return 'aws-us-gov';
  return 'aws';
}

/**
 * The partition and account of an ARN that was validated already or came from AWS, without
 * checking it again: enough to name other resources of the same account.
 */
export function arnAccount(arn: string): { partition: string; accountId: string } {
  const [, partition = '', , , accountId = ''] = arn.split(':');
  return { partition, accountId };
}

/** The ARN of an IAM resource of an account: `root`, `role/<name>` or `policy/<name>`. */
export function iamArn(partition: string, accountId: string, resource: string): string {
  return `arn:${partition}:iam::${accountId}:${resource}`;
}

/** Parts of a KMS key ARN. */
export interface KmsKeyArn {
  /** The ARN as given (already validated). */
  arn: string;
  partition: Partition;
  region: string;
  accountId: string;
  /** A key UUID, or `mrk-...` for a multi-Region key. */
  keyId: string;
  multiRegion: boolean;
}

/** Parts of an IAM role ARN. */
export interface IamRoleArn {
  arn: string;
  partition: Partition;
  accountId: string;
  roleName: string;
  /** The role's IAM path, `/` when it has none. */
  path: string;
}

/**
 * The shapes of the ARN parts, shared with the policy generator's input schemas so a document
 * is never generated for a key or role that a key configuration would refuse.
 */
export const arnPartPatterns = {
  /** Exactly 12 digits. */
  accountId: /^\d{12}$/,
  /** us-east-1, eu-central-2, us-gov-west-1, cn-north-1, us-iso-east-1. */
  region: /^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d{1,2}$/,
  /** A lowercase UUID, or a multi-Region key id `mrk-` and 32 hex digits. */
  keyId: /^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|mrk-[0-9a-f]{32})$/,
  /** IAM's character set, 1-64 characters. */
  roleName: /^[\w+=,.@-]{1,64}$/,
} as const;

/** Longest ARN AWS accepts anywhere. */
const maxArnLength = 2048;
const pathSegmentPattern = /^[\w+=,.@-]+$/;
const maxPathLength = 512;

/**
 * Parses a KMS key ARN such as `arn:aws:kms:us-east-1:111122223333:key/1234abcd-...`.
 * Aliases and bare key ids are refused: the platform binds wrapped data keys to one key.
 *
 * @throws ByokError `INVALID_ARN` with `details: { field, reason }`.
 */
export function parseKmsKeyArn(value: unknown): KmsKeyArn {
  const parts = split(value, 'KMS key');
  const [, partition, service, region, accountId, resource] = parts;

  checkPartition(partition, 'KMS key');
  if (service !== 'kms') {
    throw invalid('KMS key', 'service', `the service is '${shown(service)}', expected 'kms'`);
  }
  checkRegion(partition, region, 'KMS key');
  checkAccount(accountId, 'KMS key');

  if (resource.startsWith('alias/')) {
    throw invalid(
      'KMS key',
      'resource',
      'an alias ARN was given; a key ARN (arn:...:key/<key id>) is required so every data ' +
        'key stays bound to one key',
    );
  }
  const keyId = resource.startsWith('key/') ? resource.slice('key/'.length) : undefined;
  if (keyId === undefined) {
    throw invalid('KMS key', 'resource', "the resource must be 'key/<key id>'");
  }
  if (!arnPartPatterns.keyId.test(keyId)) {
    throw invalid(
      'KMS key',
      'resource',
      'the key id must be a lowercase UUID or a multi-Region id mrk-<32 hex digits>',
    );
  }

  const multiRegion = keyId.startsWith('mrk-');
  return { arn: parts.join(':'), partition, region, accountId, keyId, multiRegion };
}

/**
 * Parses an IAM role ARN such as `arn:aws:iam::111122223333:role/path/MyRole`.
 *
 * @throws ByokError `INVALID_ARN` with `details: { field, reason }`.
 */
export function parseIamRoleArn(value: unknown): IamRoleArn {
  const parts = split(value, 'IAM role');
  const [, partition, service, region, accountId, resource] = parts;

  checkPartition(partition, 'IAM role');
  if (service !== 'iam') {
    throw invalid('IAM role', 'service', `the service is '${shown(service)}', expected 'iam'`);
  }
  if (region !== '') {
    throw invalid('IAM role', 'region', 'IAM is global: the region part must be empty (iam::)');
  }
  checkAccount(accountId, 'IAM role');

  if (!resource.startsWith('role/')) {
    throw invalid('IAM role', 'resource', "the resource must be 'role/<role name>'");
  }
  const segments = resource.slice('role/'.length).split('/');
  const roleName = segments.pop() ?? '';
  if (!arnPartPatterns.roleName.test(roleName)) {
    throw invalid(
      'IAM role',
      'resource',
      'the role name must be 1 to 64 characters of letters, digits and +=,.@_-',
    );
  }
  const path = segments.length === 0 ? '/' : `/${segments.join('/')}/`;
  if (path.length > maxPathLength || !segments.every((s) => pathSegmentPattern.test(s))) {
    throw invalid(
      'IAM role',
      'resource',
      'the role path must be up to 512 characters of letters, digits, +=,.@_- and /',
    );
  }

  return { arn: parts.join(':'), partition, accountId, roleName, path };
}

type ArnParts = [string, string, string, string, string, string];

function split(value: unknown, what: string): ArnParts {
  if (typeof value !== 'string') {
    throw invalid(what, 'arn', `the ${what} ARN must be a string`);
  }
  if (value.length > maxArnLength) {
    throw invalid(what, 'arn', `the ${what} ARN is longer than ${maxArnLength} characters`);
  }
  // The resource may itself contain ':' only in ARN kinds BYOK does not accept.
  const parts = value.split(':');
  if (parts.length !== 6 || parts[0] !== 'arn') {
    throw invalid(
      what,
      'arn',
      `the ${what} ARN must have the form arn:<partition>:<service>:<region>:<account>:<resource>`,
    );
  }
  return parts as ArnParts;
}

function checkPartition(partition: string, what: string): asserts partition is Partition {
  if (!(partitions as readonly string[]).includes(partition)) {
    throw invalid(
      what,
      'partition',
      `the partition is '${shown(partition)}', expected one of ${partitions.join(', ')}`,
    );
  }
}

function checkRegion(partition: Partition, region: string, what: string): void {
  if (!arnPartPatterns.region.test(region)) {
    throw invalid(
      what,
      'region',
      `'${shown(region)}' is not an AWS region (expected a region such as us-east-1)`,
    );
  }
  if (partitionOfRegion(region) !== partition) {
    throw invalid(
      what,
      'region',
      `the region '${region}' does not belong to the partition '${partition}'`,
    );
  }
}

function checkAccount(accountId: string, what: string): void {
  if (!arnPartPatterns.accountId.test(accountId)) {
    throw invalid(what, 'account', 'the account must be a 12-digit AWS account id');
  }
}

/** A part of untrusted input, cut short so a message cannot be flooded. */
function shown(part: string): string {
  return part.length <= 32 ? part : `${part.slice(0, 32)}…`;
}

function invalid(what: string, field: string, reason: string): ByokError {
  return new ByokError(ErrorCode.InvalidArn, `invalid ${what} ARN: ${reason}`, {
    details: { field, reason },
  });
}
