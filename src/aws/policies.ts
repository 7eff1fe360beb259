/**
 * The AWS documents a customer pastes into their account so the platform can use their key:
 * the IAM permissions policy for the role, the role's trust policy (the platform's service role
 * with the workspace's external ID), and the key policy statement that makes the role a key
 * user. What is generated here is exactly what the platform's calls need, nothing more; the
 * verification checklist checks a customer's account against the same rules.
 */
import { z } from 'zod';

import { ByokError, ErrorCode } from '../base/errors.js';
import {
  arnAccount,
  arnPartPatterns,
  iamArn,
  parseIamRoleArn,
  type Partition,
  partitionOfRegion,
  partitions,
} from './arn.js';

/** The KMS actions the platform performs with a tenant's key, as written in the policies. */
export const keyUserActions = [
  'kms:Encrypt',
  'kms:Decrypt',
  'kms:GenerateDataKey*',
  'kms:DescribeKey',
] as const;

/** The concrete API calls those actions must allow (what the platform actually calls). */
export const requiredKmsCalls = [
  'kms:Encrypt',
  'kms:Decrypt',
  'kms:GenerateDataKey',
  'kms:DescribeKey',
] as const;

/** Name of the IAM policy when the customer does not choose one. */
export const defaultPolicyName = 'byok-key-access';

const partitionSchema = z.enum(partitions);

/** An AWS account id: exactly 12 digits. */
export const accountIdSchema = z
  .string()
  .regex(arnPartPatterns.accountId, 'a 12-digit AWS account id');

/** A region name such as us-east-1, eu-central-2, us-gov-west-1 or cn-north-1. */
export const regionSchema = z
  .string()
  .regex(arnPartPatterns.region, 'an AWS region such as us-east-1');

/** A KMS key id: a UUID, or a multi-Region key id (mrk- and 32 hex digits). */
export const keyIdSchema = z
  .string()
  .regex(
    arnPartPatterns.keyId,
    'a KMS key id (a UUID such as 1234abcd-12ab-34cd-56ef-1234567890ab, or mrk- and 32 hex digits)',
  );

/** An IAM role name without a path (IAM's character set, 1-64 characters). */
export const roleNameSchema = z
  .string()
  .regex(arnPartPatterns.roleName, 'an IAM role name: 1-64 letters, digits or +=,.@_-');

/** An IAM customer managed policy name (1-128 characters). */
export const policyNameSchema = z
  .string()
  .regex(/^[\w+=,.@-]{1,128}$/, 'an IAM policy name: 1-128 letters, digits or +=,.@_-');

/** An IAM role ARN in any partition, with an optional path (the rules of `parseIamRoleArn`). */
export const roleArnSchema = z
  .string()
  .refine(isIamRoleArn, 'an IAM role ARN such as arn:aws:iam::111122223333:role/byok-role');

/** An STS external ID: 2-1224 characters of IAM's character set. */
export const externalIdSchema = z
  .string()
  .regex(/^[\w+=,.@:/-]{2,1224}$/, 'an external ID: 2-1224 letters, digits or +=,.@:/_-');

/** What the policies are generated for. */
export const policyInputSchema = z
  .object({
    partition: partitionSchema.optional(),
    accountId: accountIdSchema,
    region: regionSchema,
    keyId: keyIdSchema,
    roleName: roleNameSchema,
    serviceRoleArn: roleArnSchema,
    externalId: externalIdSchema,
    policyName: policyNameSchema.optional(),
  })
  .strict();

/** Input of {@link generatePolicies}. */
export type PolicyInput = z.input<typeof policyInputSchema>;

/** One statement of an IAM or key policy, in the shape AWS documents it. */
export interface PolicyStatement {
  Sid: string;
  Effect: 'Allow' | 'Deny';
  Principal?: { AWS: string };
  Action: string | string[];
  Resource?: string;
  Condition?: Record<string, Record<string, string>>;
}

/** An IAM or key policy document. */
export interface PolicyDocument {
  Version: '2012-10-17';
  Id?: string;
  Statement: PolicyStatement[];
}

/** Everything a customer pastes, plus the ARNs it was generated for. */
export interface GeneratedPolicies {
  partition: Partition;
  keyArn: string;
  roleArn: string;
  policyName: string;
  /** Permissions policy attached to the role. */
  iamPolicy: PolicyDocument;
  /** The role's trust policy (who may assume it). */
  trustPolicy: PolicyDocument;
  /** The statement to add to an existing key policy. */
  keyPolicyStatement: PolicyStatement;
  /** A complete key policy: the account's root statement plus the role statement. */
  keyPolicy: PolicyDocument;
}

/**
 * Generates the policies for one role and key. Throws `BAD_INPUT` naming every wrong field;
 * the same input always gives the same documents, so they can be compared and diffed.
 */
export function generatePolicies(input: PolicyInput): GeneratedPolicies {
  const parsed = policyInputSchema.safeParse(input);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    throw new ByokError(ErrorCode.BadInput, `invalid policy input: ${problems.join('; ')}`, {
      details: { fields: parsed.error.issues.map((i) => i.path.join('.')) },
    });
  }
  const { accountId, region, keyId, roleName, serviceRoleArn, externalId } = parsed.data;

  const partition = parsed.data.partition ?? partitionOfRegion(region);
  if (partition !== partitionOfRegion(region)) {
    throw new ByokError(
      ErrorCode.BadInput,
      `region ${region} is not in the ${partition} partition`,
      { details: { fields: ['partition', 'region'] } },
    );
  }
  if (arnAccount(serviceRoleArn).partition !== partition) {
    throw new ByokError(
      ErrorCode.BadInput,
      `the platform service role must be in the ${partition} partition, like the key`,
      { details: { fields: ['serviceRoleArn'] } },
    );
  }

  const keyArn = `arn:${partition}:kms:${region}:${accountId}:key/${keyId}`;
  const roleArn = iamArn(partition, accountId, `role/${roleName}`);
  const keyPolicyStatement = keyUserStatement(roleArn);

  return {
    partition,
    keyArn,
    roleArn,
    policyName: parsed.data.policyName ?? defaultPolicyName,
    iamPolicy: iamPolicyFor(keyArn),
    trustPolicy: trustPolicyFor(serviceRoleArn, externalId),
    keyPolicyStatement,
    keyPolicy: {
      Version: '2012-10-17',
      Id: 'byok-key-policy',
      Statement: [rootAccountStatement(partition, accountId), keyPolicyStatement],
    },
  };
}

/** The role's permissions policy: the four key-user actions on exactly this key. */
export function iamPolicyFor(keyArn: string): PolicyDocument {
  return {
    Version: '2012-10-17',
    Statement: [
      { Sid: 'ByokKeyUse', Effect: 'Allow', Action: [...keyUserActions], Resource: keyArn },
    ],
  };
}

/**
 * The role's trust policy: only the platform's service role may assume it, and only with the
 * workspace's external ID (which keeps another platform customer from pointing at this role).
 */
export function trustPolicyFor(serviceRoleArn: string, externalId: string): PolicyDocument {
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'ByokPlatformAssumeRole',
        Effect: 'Allow',
        Principal: { AWS: serviceRoleArn },
        Action: 'sts:AssumeRole',
        Condition: { StringEquals: { 'sts:ExternalId': externalId } },
      },
    ],
  };
}

/** The key policy statement that makes the role a key user. */
export function keyUserStatement(roleArn: string): PolicyStatement {
  return {
    Sid: 'Allow use of the key by the BYOK role',
    Effect: 'Allow',
    Principal: { AWS: roleArn },
    Action: [...keyUserActions],
    Resource: '*',
  };
}

/**
 * The key policy statement that lets the account manage the key through IAM. Without it the
 * account can lock itself out of the key, and IAM policies have no effect on it.
 */
export function rootAccountStatement(partition: string, accountId: string): PolicyStatement {
  return {
    Sid: 'Enable IAM User Permissions',
    Effect: 'Allow',
    Principal: { AWS: iamArn(partition, accountId, 'root') },
    Action: 'kms:*',
    Resource: '*',
  };
}

/** Stable, paste-ready JSON: two-space indent, fixed key order, trailing newline. */
export function policyJson(document: PolicyDocument | PolicyStatement): string {
  return `${JSON.stringify(document, null, 2)}\n`;
}

function isIamRoleArn(value: string): boolean {
  try {
    parseIamRoleArn(value);
    return true;
  } catch {
    return false;
  }
}
