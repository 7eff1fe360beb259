/**
 * Sets up the customer's side of BYOK the way a customer does it in their own AWS account: an
 * IAM policy allowing the four KMS actions on the key, a role the platform's service role may
 * assume with the external ID, and a symmetric KMS key whose key policy keeps the account root
 * statement and makes the role a key user. IAM runs on moto, KMS on local-kms; endpoints come
 * from the SDK's own variables (`AWS_ENDPOINT_URL_IAM`, `AWS_ENDPOINT_URL_KMS`) set by the
 * global setup.
 *
 * The documents are the ones the platform generates for customers (`src/aws/policies.ts`).
 * Neither local server enforces trust or key policies: they are written so that `byok verify`
 * can read them, while refusals are produced by the fault server (`aws-fault-server.ts`).
 *
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
  IAMClient,
} from '@aws-sdk/client-iam';
import {
  CancelKeyDeletionCommand,
  CreateAliasCommand,
  CreateKeyCommand,
  DisableKeyCommand,
  EnableKeyCommand,
  KMSClient,
  ScheduleKeyDeletionCommand,
} from '@aws-sdk/client-kms';

import {
  iamPolicyFor,
  keyUserStatement,
  policyJson,
  rootAccountStatement,
  trustPolicyFor,
} from '../../src/aws/policies.js';

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

/** Creates role, policy and key in the local servers; throws if their account ids differ. */
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
    const accountId = required(roleArn.split(':')[4], 'role ARN has no account');

    const partition = required(roleArn.split(':')[1], 'role ARN has no partition');
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
    const keyAccount = cmkArn.split(':')[4];
    if (keyAccount !== accountId) {
      throw new Error(
        `local-kms account ${String(keyAccount)} differs from moto account ${accountId}: ` +
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

/** The customer disables the key (KMS then refuses it with `DisabledException`). */
export async function disableCustomerKey(cmkArn: string): Promise<void> {
  await withKms(cmkArn, (kms) => kms.send(new DisableKeyCommand({ KeyId: cmkArn })));
}

/** The customer enables the key again. */
export async function enableCustomerKey(cmkArn: string): Promise<void> {
  await withKms(cmkArn, (kms) => kms.send(new EnableKeyCommand({ KeyId: cmkArn })));
}

/** The customer schedules the key for deletion (the shortest window AWS allows: 7 days). */
export async function scheduleCustomerKeyDeletion(cmkArn: string): Promise<void> {
  await withKms(cmkArn, (kms) =>
    kms.send(new ScheduleKeyDeletionCommand({ KeyId: cmkArn, PendingWindowInDays: 7 })),
  );
}

/**
 * The customer cancels a scheduled deletion. AWS leaves the key disabled afterwards; local-kms
 * re-enables it, so the helper disables it to behave like AWS.
 */
export async function cancelCustomerKeyDeletion(cmkArn: string): Promise<void> {
  await withKms(cmkArn, async (kms) => {
    await kms.send(new CancelKeyDeletionCommand({ KeyId: cmkArn }));
    await kms.send(new DisableKeyCommand({ KeyId: cmkArn }));
  });
}

async function withKms(cmkArn: string, action: (kms: KMSClient) => Promise<unknown>) {
  const kms = new KMSClient({ region: cmkArn.split(':')[3] ?? 'us-east-1' });
  try {
    await action(kms);
  } finally {
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
