/**
 * The offline collector: the same checklist over JSON files, for customers who review their
 * documents before applying them or cannot give the tool AWS credentials. Each file may be the
 * bare document or the output of the matching AWS CLI command, so `aws ... > file.json` works:
 *
 * - IAM policy: the document, `aws iam get-policy-version` or `aws iam get-role-policy` output;
 * - trust policy: the document or `aws iam get-role` output (which also gives the role ARN);
 * - key policy: the document or `aws kms get-key-policy` output;
 * - key description: `aws kms describe-key` output or its `KeyMetadata`;
 * - attached policies (optional): `aws iam list-attached-role-policies` output or a list of names.
 */
import { readFile } from 'node:fs/promises';

import { z } from 'zod';

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
} from './evidence.js';
import { parsePolicy } from './policy-document.js';
import { assumedRoleArn, expectationsFor, parseVerifyInput, type VerifyInput } from './target.js';

/** Paths of the files to check. */
export interface OfflineFiles {
  iamPolicy: string;
  trustPolicy: string;
  keyPolicy: string;
  keyDescription: string;
  /** Without it the attachment check is skipped. */
  attachedPolicies?: string;
}

/** Largest file read; policy documents are at most a few tens of kilobytes. */
const maxFileBytes = 1024 * 1024;

const policyVersionOutput = z.object({ PolicyVersion: z.object({ Document: z.unknown() }) });
const rolePolicyOutput = z.object({ PolicyDocument: z.unknown() });
const getRoleOutput = z.object({
  Role: z.object({ Arn: z.string().optional(), AssumeRolePolicyDocument: z.unknown() }),
});
const keyPolicyOutput = z.object({ Policy: z.string() });
const keyMetadata = z.object({
  Arn: z.string(),
  KeyState: z.string(),
  KeySpec: z.string().optional(),
  CustomerMasterKeySpec: z.string().optional(),
  KeyUsage: z.string(),
});
const describeKeyOutput = z.object({ KeyMetadata: keyMetadata });
const attachedOutput = z.object({
  AttachedPolicies: z.array(z.object({ PolicyName: z.string(), PolicyArn: z.string().optional() })),
});
const namesList = z.array(z.string());

/**
 * Runs the checklist over files. Throws only for bad input (flags); an unreadable or
 * malformed file becomes a failed check naming the file.
 */
export async function verifyOffline(
  input: VerifyInput,
  files: OfflineFiles,
): Promise<CheckResult[]> {
  const target = parseVerifyInput(input);

  const iamRaw = await readJson(files.iamPolicy);
  const trustRaw = await readJson(files.trustPolicy);
  const keyPolicyRaw = await readJson(files.keyPolicy);
  const keyRaw = await readJson(files.keyDescription);
  const attachedRaw =
    files.attachedPolicies === undefined ? null : await readJson(files.attachedPolicies);

  const role = trustRaw.ok ? getRoleOutput.safeParse(trustRaw.value) : undefined;
  const roleArn =
    role?.success === true
      ? (role.data.Role.Arn ?? assumedRoleArn(target))
      : assumedRoleArn(target);

  const evidence: Evidence = {
    permissionPolicy: map(files.iamPolicy, iamRaw, (value) => ({
      name: target.policyName,
      kind: 'file',
      policy: parsePolicy(unwrapIamPolicy(value)),
    })),
    attachedPolicies:
      attachedRaw === null ? null : map(files.attachedPolicies ?? '', attachedRaw, toAttached),
    trustPolicy: map(files.trustPolicy, trustRaw, (value) =>
      parsePolicy(role?.success === true ? role.data.Role.AssumeRolePolicyDocument : value),
    ),
    keyPolicy: map(files.keyPolicy, keyPolicyRaw, (value) => {
      const wrapped = keyPolicyOutput.safeParse(value);
      return parsePolicy(wrapped.success ? wrapped.data.Policy : value);
    }),
    key: map(files.keyDescription, keyRaw, toKeyFacts),
  };
  return runChecks(expectationsFor(target, roleArn), evidence);
}

async function readJson(path: string): Promise<Fetched<unknown>> {
  try {
    const text = await readFile(path, 'utf8');
    if (Buffer.byteLength(text) > maxFileBytes) {
      return missing('FileTooLarge', `${path} is larger than ${maxFileBytes} bytes`);
    }
    return found(JSON.parse(text) as unknown);
  } catch (error) {
    const code = (error as { code?: unknown } | null)?.code;
    if (error instanceof SyntaxError) return missing('InvalidJson', `${path} is not valid JSON`);
    return missing(typeof code === 'string' ? code : 'FileError', `${path} could not be read`);
  }
}

function map<T>(path: string, raw: Fetched<unknown>, parse: (value: unknown) => T): Fetched<T> {
  if (!raw.ok) return raw;
  try {
    return found(parse(raw.value));
  } catch (error) {
    const why = error instanceof ByokError ? `: ${error.message}` : '';
    return missing('UnexpectedShape', `${path} does not hold the expected document${why}`);
  }
}

function unwrapIamPolicy(value: unknown): unknown {
  const version = policyVersionOutput.safeParse(value);
  if (version.success) return version.data.PolicyVersion.Document;
  const inline = rolePolicyOutput.safeParse(value);
  return inline.success ? inline.data.PolicyDocument : value;
}

function toKeyFacts(value: unknown): KeyFacts {
  const wrapped = describeKeyOutput.safeParse(value);
  const metadata = wrapped.success ? wrapped.data.KeyMetadata : keyMetadata.parse(value);
  return {
    arn: metadata.Arn,
    state: metadata.KeyState,
    spec: metadata.KeySpec ?? metadata.CustomerMasterKeySpec ?? 'Unknown',
    usage: metadata.KeyUsage,
  };
}

function toAttached(value: unknown): readonly AttachedPolicy[] {
  const listed = attachedOutput.safeParse(value);
  if (listed.success) {
    return listed.data.AttachedPolicies.map((p) => ({
      name: p.PolicyName,
      ...(p.PolicyArn === undefined ? {} : { arn: p.PolicyArn }),
      kind: 'managed',
    }));
  }
  return namesList.parse(value).map((name) => ({ name, kind: 'managed' }));
}
