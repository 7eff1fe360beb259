/**
 * Sets up the customer's side of BYOK the way a customer does it in their own AWS account: an
 * IAM policy allowing the four KMS actions on the key, a role the platform's service role may
 * assume with the external ID, and a symmetric KMS key whose key policy keeps the account root
 * statement and makes the role a key user. The AWS SDK's own variables decide where that
 * happens (`AWS_ENDPOINT_URL_IAM`, `AWS_ENDPOINT_URL_KMS`): the local servers in tests and in
 * the embedded host's `--local-aws` mode.
 *
 * The documents are the ones the platform generates for customers (`src/aws/policies.ts`).

 * @example
 * ```ts
 * const customer = await provisionCustomer({ serviceRoleArn, externalId: 'ext-123' });
 * // customer.roleArn, customer.cmkArn: what the admin pastes into the key configuration
 * await disableCustomerKey(customer.cmkArn); // the customer revokes
 * ```
 */
import { randomUUID } from 'node:crypto';

import {
  AttachRolePolicyCommand,
  CreatePolicyCommand,
  CreateRoleCommand,
  EntityAlreadyExistsException,
  GetRoleCommand,
  IAMClient,
} from '@aws-sdk/client-iam';
import {
  CreateAliasCommand,
  CreateKeyCommand,
  DescribeKeyCommand,
  KMSClient,
  NotFoundException,
} from '@aws-sdk/client-kms';

import { arnAccount } from '../aws/arn.js';
import {
  iamPolicyFor,
  keyUserStatement,
  policyJson,
  rootAccountStatement,
  trustPolicyFor,
} from '../aws/policies.js';
import { managedPolicyArn } from './target.js';

/** Options of {@link provisionCustomer}; every name defaults to a fresh unique one. */
export interface CustomerOptions {
  /** The platform's service role ARN, named as principal in the role's trust policy. */
  serviceRoleArn: string;
  /** The external ID the platform generated for the workspace. */
  externalId: string;
  /** Region of the KMS client (default `AWS_REGION`, else us-east-1). local-kms stamps its own. */
  region?: string;
  policyName?: string;
  roleName?: string;
  /** Alias for the key, with or without the `alias/` prefix. */
  alias?: string;
  /** Leave out the key policy statement that makes the role a key user (default false). */
  omitKeyUserStatement?: boolean;
  /** Key spec (default SYMMETRIC_DEFAULT); an RSA spec gives a key BYOK must refuse. */
  keySpec?: 'SYMMETRIC_DEFAULT' | 'RSA_2048';
}

/** What {@link provisionCustomer} created. */
export interface ProvisionedCustomer {
  roleArn: string;
  roleName: string;
  cmkArn: string;
  keyId: string;
  policyArn: string;
  policyName: string;
  /** Full alias name, `alias/...`. */
  alias: string;
  accountId: string;
  /** The region in the CMK ARN. */
  region: string;
  /** The documents as created, for offline checks. */
  documents: { identityPolicy: string; trustPolicy: string; keyPolicy: string };
}

/** Creates role, policy and key; throws if the IAM and KMS account ids differ. */
export async function provisionCustomer(options: CustomerOptions): Promise<ProvisionedCustomer> {
  const suffix = randomUUID().slice(0, 8);
  const region = options.region ?? process.env.AWS_REGION ?? 'us-east-1';
  const roleName = options.roleName ?? `byok-customer-${suffix}`;
  const policyName = options.policyName ?? `byok-key-use-${suffix}`;
  const alias = withAliasPrefix(options.alias ?? `byok-${suffix}`);
  const iam = new IAMClient({ region });
  const kms = new KMSClient({ region });

  try {
    const trustPolicy = policyJson(trustPolicyFor(options.serviceRoleArn, options.externalId));
    const role = await iam.send(
      new CreateRoleCommand({ RoleName: roleName, AssumeRolePolicyDocument: trustPolicy }),
    );
    const roleArn = required(role.Role?.Arn, 'CreateRole returned no role ARN');
    const { partition, accountId } = arnAccount(roleArn);
    required(accountId, 'role ARN has no account');
    required(partition, 'role ARN has no partition');
    const keyPolicy = policyJson({
      Version: '2012-10-17',
      Id: 'byok-key-policy',
      Statement: [
        rootAccountStatement(partition, accountId),
        ...(options.omitKeyUserStatement === true ? [] : [keyUserStatement(roleArn)]),
      ],
    });
    const key = await kms.send(
      new CreateKeyCommand({
        Description: `byok-harness customer key ${suffix}`,
        KeyUsage: 'ENCRYPT_DECRYPT',
        KeySpec: options.keySpec ?? 'SYMMETRIC_DEFAULT',
        Policy: keyPolicy,
      }),
    );
    const cmkArn = required(key.KeyMetadata?.Arn, 'CreateKey returned no key ARN');
    const keyId = required(key.KeyMetadata?.KeyId, 'CreateKey returned no key id');
    const keyAccount = arnAccount(cmkArn).accountId;
    if (keyAccount !== accountId) {
      throw new Error(
        `local-kms account ${keyAccount} differs from moto account ${accountId}: ` +
          'start local-kms with KMS_ACCOUNT_ID and moto with MOTO_ACCOUNT_ID set to the same id',
      );
    }
    await kms.send(new CreateAliasCommand({ AliasName: alias, TargetKeyId: keyId }));

    const identityPolicy = policyJson(iamPolicyFor(cmkArn));
    const policy = await iam.send(
      new CreatePolicyCommand({ PolicyName: policyName, PolicyDocument: identityPolicy }),
    );
    const policyArn = required(policy.Policy?.Arn, 'CreatePolicy returned no policy ARN');
    await iam.send(new AttachRolePolicyCommand({ RoleName: roleName, PolicyArn: policyArn }));

    return {
      roleArn,
      roleName,
      cmkArn,
      keyId,
      policyArn,
      policyName,
      alias,
      accountId,
      region: required(cmkArn.split(':')[3], 'key ARN has no region'),
      documents: { identityPolicy, trustPolicy, keyPolicy },
    };
  } finally {
    iam.destroy();
    kms.destroy();
  }
}

function withAliasPrefix(alias: string): string {
  return alias.startsWith('alias/') ? alias : `alias/${alias}`;
}

function required(value: string | undefined, problem: string): string {
  if (value === undefined || value === '') throw new Error(problem);
  return value;
}

/** Fixed names of the embedded host's demo customer, as the setup guide's examples name them. */
export const demoCustomerNames = {
  roleName: 'BYOK_Role',
  policyName: 'BYOK_KMS_Policy',
  alias: 'alias/byok-demo-key',
} as const;

/** The demo customer's ARNs, to paste into the Enterprise Key console. */
export interface DemoCustomer {
  roleArn: string;
  cmkArn: string;
}

/**
 * Makes sure the demo customer exists in the local servers and returns its ARNs. Idempotent
 * across restarts: local-kms keeps its keys on disk, moto keeps IAM in memory only, so a key
 * found under the demo alias is reused and its role and policy are created again.
 */
export async function ensureDemoCustomer(options: {
  serviceRoleArn: string;
  externalId: string;
  region: string;
}): Promise<DemoCustomer> {
  const kms = new KMSClient({ region: options.region });
  const iam = new IAMClient({ region: options.region });
  try {
    const existing = await keyByAlias(kms, demoCustomerNames.alias);
    if (existing === null) {
      const created = await provisionCustomer({ ...options, ...demoCustomerNames });
      return { roleArn: created.roleArn, cmkArn: created.cmkArn };
    }

    const trustPolicy = policyJson(trustPolicyFor(options.serviceRoleArn, options.externalId));
    const { roleName, policyName } = demoCustomerNames;
    const roleArn = await ignoreExisting(
      async () => {
        const role = await iam.send(
          new CreateRoleCommand({ RoleName: roleName, AssumeRolePolicyDocument: trustPolicy }),
        );
        return required(role.Role?.Arn, 'CreateRole returned no role ARN');
      },
      async () => {
        const role = await iam.send(new GetRoleCommand({ RoleName: roleName }));
        return required(role.Role?.Arn, 'GetRole returned no role ARN');
      },
    );
    const policyArn = await ignoreExisting(
      async () => {
        const document = policyJson(iamPolicyFor(existing));
        const policy = await iam.send(
          new CreatePolicyCommand({ PolicyName: policyName, PolicyDocument: document }),
        );
        return required(policy.Policy?.Arn, 'CreatePolicy returned no policy ARN');
      },
      () => Promise.resolve(managedPolicyArn(roleArn, policyName)),
    );
    await iam.send(new AttachRolePolicyCommand({ RoleName: roleName, PolicyArn: policyArn }));
    return { roleArn, cmkArn: existing };
  } finally {
    kms.destroy();
    iam.destroy();
  }
}

async function keyByAlias(kms: KMSClient, alias: string): Promise<string | null> {
  try {
    const described = await kms.send(new DescribeKeyCommand({ KeyId: alias }));
    return described.KeyMetadata?.Arn ?? null;
  } catch (error) {
    if (error instanceof NotFoundException) return null;
    throw error;
  }
}

async function ignoreExisting<T>(create: () => Promise<T>, find: () => Promise<T>): Promise<T> {
  try {
    return await create();
  } catch (error) {
    if (error instanceof EntityAlreadyExistsException) return find();
    throw error;
  }
}
