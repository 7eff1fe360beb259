/**
 * `byok verify`: the customer's verification checklist. Online it reads the role, policies
 * and key with the customer's own AWS credentials; with `--offline` it checks JSON files. Each
 * check prints pass or fail and what to change; the exit code is 0 only when no check failed.
 */
import type { Command } from 'commander';
import { z } from 'zod';

import { isByokError } from '../../base/errors.js';
import {
  allPassed,
  type CheckResult,
  type OfflineFiles,
  verifyOffline,
  verifyOnline,
} from '../../customer/index.js';
import {
  type CliIo,
  configuredServiceRoleArn,
  type CustomerCommandOptions,
  ExitCode,
  kebab,
  processIo,
  usage,
} from './policy.js';

const verifyFlagsSchema = z
  .object({
    roleName: z.string(),
    keyArn: z.string(),
    externalId: z.string(),
    serviceRoleArn: z.string().optional(),
    policyName: z.string().optional(),
    offline: z.boolean().default(false),
    iamPolicy: z.string().optional(),
    trustPolicy: z.string().optional(),
    keyPolicy: z.string().optional(),
    keyDescription: z.string().optional(),
    attachedPolicies: z.string().optional(),
    json: z.boolean().default(false),
  })
  .superRefine((flags, ctx) => {
    const files = ['iamPolicy', 'trustPolicy', 'keyPolicy', 'keyDescription'] as const;
    for (const file of files) {
      if (flags.offline && flags[file] === undefined) {
        ctx.addIssue({ code: 'custom', path: [file], message: 'is required with --offline' });
      }
    }
    if (!flags.offline && [...files, 'attachedPolicies' as const].some((f) => flags[f])) {
      ctx.addIssue({ code: 'custom', path: ['offline'], message: 'is required with file flags' });
    }
  });
type VerifyFlags = z.infer<typeof verifyFlagsSchema>;

/** Adds `byok verify` to `program`. */
export function registerVerifyCommands(
  program: Command,
  options: CustomerCommandOptions = {},
): void {
  const io = options.io ?? processIo;
  const serviceRoleArn = options.serviceRoleArn ?? configuredServiceRoleArn;
  program
    .command('verify')
    .description('Check your AWS set-up (role, policies, key) against what the platform needs')
    .requiredOption('--role-name <name>', 'the IAM role the platform assumes')
    .requiredOption('--key-arn <arn>', 'the KMS key ARN entered in the key configuration')
    .requiredOption('--external-id <id>', 'the external ID shown in the Enterprise Key console')
    .option('--service-role-arn <arn>', "the platform's service role ARN")
    .option('--policy-name <name>', 'name of the IAM policy (default byok-key-access)')
    .option('--offline', 'check JSON files instead of reading your AWS account')
    .option('--iam-policy <file>', 'offline: the IAM policy (or get-policy-version output)')
    .option('--trust-policy <file>', 'offline: the trust policy (or get-role output)')
    .option('--key-policy <file>', 'offline: the key policy (or get-key-policy output)')
    .option('--key-description <file>', 'offline: describe-key output')
    .option('--attached-policies <file>', 'offline: list-attached-role-policies output')
    .option('--json', 'print the results as JSON')
    .action(async (raw: unknown) => {
      const flags = verifyFlagsSchema.safeParse(raw);
      if (!flags.success) {
        const problems = flags.error.issues.map((i) => `--${kebab(i.path.join('.'))} ${i.message}`);
        usage(io, `byok verify: ${problems.join('; ')}`);
        return;
      }
      await runVerify(flags.data, serviceRoleArn, io);
    });
}

async function runVerify(flags: VerifyFlags, serviceRoleArn: () => string, io: CliIo) {
  const input = {
    roleName: flags.roleName,
    keyArn: flags.keyArn,
    externalId: flags.externalId,
    serviceRoleArn: flags.serviceRoleArn ?? serviceRoleArn(),
    ...(flags.policyName === undefined ? {} : { policyName: flags.policyName }),
  };

  let results: CheckResult[];
  try {
    results = flags.offline
      ? await verifyOffline(input, offlineFiles(flags))
      : await verifyOnline(input);
  } catch (error) {
    if (!isByokError(error)) throw error;
    usage(io, `byok verify: ${error.message}`);
    return;
  }

  io.out(flags.json ? `${JSON.stringify(results, null, 2)}\n` : report(results));
  io.setExitCode(allPassed(results) ? ExitCode.Ok : ExitCode.ChecksFailed);
}

function offlineFiles(flags: VerifyFlags): OfflineFiles {
  return {
    iamPolicy: flags.iamPolicy ?? '',
    trustPolicy: flags.trustPolicy ?? '',
    keyPolicy: flags.keyPolicy ?? '',
    keyDescription: flags.keyDescription ?? '',
    ...(flags.attachedPolicies === undefined ? {} : { attachedPolicies: flags.attachedPolicies }),
  };
}

const marks = { pass: 'PASS', fail: 'FAIL', skip: 'SKIP' } as const;

/** The human-readable checklist: one block per check, the fix and the JSON under failures. */
export function report(results: readonly CheckResult[]): string {
  const lines: string[] = [];
  const printed = new Set<string>();
  for (const result of results) {
    lines.push(`${marks[result.status]}  ${result.title}`);
    lines.push(`      ${result.found}`);
    if (result.status !== 'pass' && result.fix !== undefined)
      lines.push(`      fix: ${result.fix}`);
    if (result.status === 'fail' && result.snippet !== undefined) {
      const json = JSON.stringify(result.snippet, null, 2);
      if (printed.has(json)) {
        lines.push('      (the JSON is shown above)');
      } else {
        printed.add(json);
        lines.push(...json.split('\n').map((line) => `        ${line}`));
      }
    }
  }

  const count = (status: CheckResult['status']) =>
    results.filter((r) => r.status === status).length;
  const skipped = count('skip') > 0 ? `, ${count('skip')} skipped` : '';
  lines.push(
    '',
    `${results.length} checks: ${count('pass')} passed, ${count('fail')} failed${skipped}`,
  );
  return `${lines.join('\n')}\n`;
}
