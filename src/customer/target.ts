/**
 * What the checklist is asked to verify: the role, the key, the external ID and the platform's
 * service role, validated once at the boundary for both the online and the offline collector.
 */
import { z } from 'zod';

import { arnAccount, iamArn, type KmsKeyArn, parseKmsKeyArn } from '../aws/arn.js';
import {
  defaultPolicyName,
  externalIdSchema,
  policyNameSchema,
  roleArnSchema,
  roleNameSchema,
} from '../aws/policies.js';
import { ByokError, ErrorCode } from '../base/errors.js';
import type { Expectations } from './evidence.js';

/** Input of a verification run. */
export const verifyInputSchema = z
  .object({
    roleName: roleNameSchema,
    keyArn: z.string().max(2048),
    externalId: externalIdSchema,
    serviceRoleArn: roleArnSchema,
    policyName: policyNameSchema.default(defaultPolicyName),
  })
  .strict();

/** What the caller gives to verify a customer's set-up. */
export type VerifyInput = z.input<typeof verifyInputSchema>;

/** A validated {@link VerifyInput} with the key ARN taken apart. */
export interface VerifyTarget {
  roleName: string;
  key: KmsKeyArn;
  externalId: string;
  serviceRoleArn: string;
  policyName: string;
}

/**
 * Validates the input. Throws `BAD_INPUT` naming every wrong field, or `INVALID_ARN` for a key
 * ARN that is not one.
 */
export function parseVerifyInput(input: VerifyInput): VerifyTarget {
  const parsed = verifyInputSchema.safeParse(input);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    throw new ByokError(ErrorCode.BadInput, `invalid verify input: ${problems.join('; ')}`, {
      details: { fields: parsed.error.issues.map((i) => i.path.join('.')) },
    });
  }
  return { ...parsed.data, key: parseKmsKeyArn(parsed.data.keyArn) };
}

/**
 * The role ARN when it cannot be read from IAM: the role is expected in the key's account,
 * which is how the platform's set-up guide creates it.
 */
export function assumedRoleArn(target: VerifyTarget): string {
  const { partition, accountId } = target.key;
  return iamArn(partition, accountId, `role/${target.roleName}`);
}

/**
 * The ARN of a customer managed policy at the root path of the role's account, where the
 * set-up guide creates it; an attached policy elsewhere is found by its listed ARN instead.
 */
export function managedPolicyArn(roleArn: string, policyName: string): string {
  const { partition, accountId } = arnAccount(roleArn);
  return iamArn(partition, accountId, `policy/${policyName}`);
}

/** The expectations the checks compare the evidence with. */
export function expectationsFor(target: VerifyTarget, roleArn: string): Expectations {
  return {
    keyArn: target.key.arn,
    roleArn,
    roleName: target.roleName,
    externalId: target.externalId,
    serviceRoleArn: target.serviceRoleArn,
    policyName: target.policyName,
  };
}
