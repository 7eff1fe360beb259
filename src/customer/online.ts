/**
 * The online collector: reads the customer's role, policies, key policy and key with the
 * customer's own AWS credentials (the SDK's default chain, and `AWS_ENDPOINT_URL` or
 * `AWS_ENDPOINT_URL_IAM` / `_KMS` when set). It only reads; a call that fails becomes failed
 * evidence with the AWS error code, so one missing permission does not hide the other checks.
 */
import {
  GetPolicyCommand,
  GetPolicyVersionCommand,
  GetRoleCommand,
  GetRolePolicyCommand,
  IAMClient,
  ListAttachedRolePoliciesCommand,
  type ListAttachedRolePoliciesCommandOutput,
  ListRolePoliciesCommand,
  type ListRolePoliciesCommandOutput,
} from '@aws-sdk/client-iam';
import { DescribeKeyCommand, GetKeyPolicyCommand, KMSClient } from '@aws-sdk/client-kms';

import type { Partition } from '../aws/arn.js';
import { ByokError } from '../base/errors.js';
import type { CheckResult } from './check-result.js';
import { runChecks } from './checks.js';
import {
  type AttachedPolicy,
  type Evidence,
  type Fetched,
  found,
  type KeyFacts,
  missing,
  type PermissionPolicy,
} from './evidence.js';
import { parsePolicy } from './policy-document.js';
import {
  assumedRoleArn,
  expectationsFor,
  managedPolicyArn,
  parseVerifyInput,
  type VerifyInput,
} from './target.js';

/** The two read-only clients the collector uses; pass your own to control credentials. */
export interface CustomerClients {
  iam: IAMClient;
  kms: KMSClient;
}

/** IAM is global, but its endpoint lives in one region per partition. */
const iamRegion: Readonly<Record<Partition, string>> = {
  aws: 'us-east-1',
  'aws-cn': 'cn-north-1',
  'aws-us-gov': 'us-gov-west-1',
};

/** Clients on the default credential chain; KMS in the key's region. Destroy them when done. */
export function createCustomerClients(partition: Partition, keyRegion: string): CustomerClients {
  return {
    iam: new IAMClient({ region: iamRegion[partition], maxAttempts: 2 }),
    kms: new KMSClient({ region: keyRegion, maxAttempts: 2 }),
  };
}

/** Pages through IAM listings; a role has at most a few dozen policies, so this stays small. */
const maxPages = 20;

/**
 * Runs the whole checklist against the customer's account. Throws only for bad input; every
 * AWS failure becomes a failed check with its code.
 */
export async function verifyOnline(
  input: VerifyInput,
  clients?: CustomerClients,
): Promise<CheckResult[]> {
  const target = parseVerifyInput(input);
  const own = clients ?? createCustomerClients(target.key.partition, target.key.region);
  try {
    const { iam, kms } = own;

    // The role first: its ARN (with its path) anchors the policy lookup and the key checks.
    const role = await read(() => iam.send(new GetRoleCommand({ RoleName: target.roleName })));
    const roleArn = (role.ok ? role.value.Role?.Arn : undefined) ?? assumedRoleArn(target);
    const attachedPolicies = await listRolePolicies(iam, target.roleName);
    const { policyName } = target;
    const permissionPolicy = await readPermissionPolicy(iam, roleArn, policyName, attachedPolicies);

    // Then the key, through KMS in the key's own region.
    const keyId = target.key.arn;
    const keyPolicy = await read(() =>
      kms.send(new GetKeyPolicyCommand({ KeyId: keyId, PolicyName: 'default' })),
    );
    const key = await read(() => kms.send(new DescribeKeyCommand({ KeyId: keyId })));

    const evidence: Evidence = {
      permissionPolicy,
      attachedPolicies,
      trustPolicy: then(role, (r) => parsePolicy(r.Role?.AssumeRolePolicyDocument ?? '')),
      keyPolicy: then(keyPolicy, (r) => parsePolicy(r.Policy ?? '')),
      key: then(key, (r): KeyFacts => ({
        arn: r.KeyMetadata?.Arn ?? '',
        state: r.KeyMetadata?.KeyState ?? 'Unknown',
        spec: r.KeyMetadata?.KeySpec ?? 'Unknown',
        usage: r.KeyMetadata?.KeyUsage ?? 'Unknown',
      })),
    };
    return runChecks(expectationsFor(target, roleArn), evidence);
  } finally {
    if (clients === undefined) {
      own.iam.destroy();
      own.kms.destroy();
    }
  }
}

async function listRolePolicies(
  iam: IAMClient,
  roleName: string,
): Promise<Fetched<readonly AttachedPolicy[]>> {
  try {
    const managed = await allPages<ListAttachedRolePoliciesCommandOutput>((Marker) =>
      iam.send(new ListAttachedRolePoliciesCommand({ RoleName: roleName, Marker })),
    );
    const inline = await allPages<ListRolePoliciesCommandOutput>((Marker) =>
      iam.send(new ListRolePoliciesCommand({ RoleName: roleName, Marker })),
    );
    return found([
      ...managed.flatMap((page) =>
        (page.AttachedPolicies ?? []).map((p): AttachedPolicy => ({
          name: p.PolicyName ?? '',
          ...(p.PolicyArn === undefined ? {} : { arn: p.PolicyArn }),
          kind: 'managed',
        })),
      ),
      ...inline.flatMap((page) =>
        (page.PolicyNames ?? []).map((name): AttachedPolicy => ({ name, kind: 'inline' })),
      ),
    ]);
  } catch (error) {
    return failure(error);
  }
}

/** Follows IAM's `Marker` paging, up to {@link maxPages} pages. */
async function allPages<
  T extends { IsTruncated?: boolean | undefined; Marker?: string | undefined },
>(fetchPage: (marker: string | undefined) => Promise<T>): Promise<T[]> {
  const pages: T[] = [];
  let marker: string | undefined;
  for (let i = 0; i < maxPages; i++) {
    const page = await fetchPage(marker);
    pages.push(page);
    marker = page.IsTruncated === true ? page.Marker : undefined;
    if (marker === undefined) break;
  }
  return pages;
}

/**
 * Finds the named policy: attached managed policy (whatever its path), inline policy, or a
 * managed policy at the account's root path that is not attached (the attachment check then
 * says so).
 */
async function readPermissionPolicy(
  iam: IAMClient,
  roleArn: string,
  name: string,
  attached: Fetched<readonly AttachedPolicy[]>,
): Promise<Fetched<PermissionPolicy>> {
  const listed = attached.ok ? attached.value.find((p) => p.name === name) : undefined;
  if (listed?.kind === 'inline') {
    const roleName = roleArn.split('/').pop() ?? '';
    const inline = await read(() =>
      iam.send(new GetRolePolicyCommand({ RoleName: roleName, PolicyName: name })),
    );
    return then(inline, (r) => ({
      name,
      kind: 'inline',
      policy: parsePolicy(r.PolicyDocument ?? ''),
    }));
  }

  const arn = listed?.arn ?? managedPolicyArn(roleArn, name);
  const policy = await read(() => iam.send(new GetPolicyCommand({ PolicyArn: arn })));
  if (!policy.ok) return policy;
  const versionId = policy.value.Policy?.DefaultVersionId ?? 'v1';
  const version = await read(() =>
    iam.send(new GetPolicyVersionCommand({ PolicyArn: arn, VersionId: versionId })),
  );
  return then(version, (r) => ({
    name,
    arn,
    kind: 'managed',
    policy: parsePolicy(r.PolicyVersion?.Document ?? ''),
  }));
}

async function read<T>(call: () => Promise<T>): Promise<Fetched<T>> {
  try {
    return found(await call());
  } catch (error) {
    return failure(error);
  }
}

/** Maps a read value, turning an unparseable document into failed evidence. */
function then<T, U>(fetched: Fetched<T>, map: (value: T) => U): Fetched<U> {
  if (!fetched.ok) return fetched;
  try {
    return found(map(fetched.value));
  } catch (error) {
    return failure(error);
  }
}

function failure<T>(error: unknown): Fetched<T> {
  if (error instanceof ByokError) return missing(error.code, error.message);
  const name = error instanceof Error ? error.name : 'Error';
  const message = error instanceof Error ? error.message : String(error);
  // Network failures carry a Node error code instead of an AWS one.
  const nodeCode = (error as { code?: unknown } | null)?.code;
  const code = typeof nodeCode === 'string' && name === 'Error' ? nodeCode : name;
  return missing(code.replace(/Exception$/, ''), message.slice(0, 300) || 'no message');
}
