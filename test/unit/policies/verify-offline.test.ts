import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { generatePolicies, trustPolicyFor } from '../../../src/aws/policies.js';
import { registerVerifyCommands } from '../../../src/cli/commands/verify.js';
import type { CheckResult } from '../../../src/customer/index.js';
import { runCommand } from './run-command.js';

const serviceRoleArn = 'arn:aws:iam::999988887777:role/platform-service';
const externalId = 'ws-ext-0123456789';
const generated = generatePolicies({
  accountId: '111122223333',
  region: 'us-east-1',
  keyId: '1234abcd-12ab-34cd-56ef-1234567890ab',
  roleName: 'byok-role',
  serviceRoleArn,
  externalId,
});

let dir = '';
const file = (name: string) => join(dir, name);

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'byok-verify-'));
  const keyMetadata = {
    KeyId: '1234abcd-12ab-34cd-56ef-1234567890ab',
    Arn: generated.keyArn,
    KeyState: 'Enabled',
    KeySpec: 'SYMMETRIC_DEFAULT',
    KeyUsage: 'ENCRYPT_DECRYPT',
  };
  const files: Record<string, unknown> = {
    // Bare documents, as `byok policy` prints them.
    'iam.json': generated.iamPolicy,
    'trust.json': generated.trustPolicy,
    'key-policy.json': generated.keyPolicy,
    'attached.json': ['byok-key-access'],
    // AWS CLI outputs, as `aws ... > file.json` writes them.
    'get-policy-version.json': {
      PolicyVersion: { Document: encodeURIComponent(JSON.stringify(generated.iamPolicy)) },
    },
    'get-role.json': {
      Role: { Arn: generated.roleArn, AssumeRolePolicyDocument: generated.trustPolicy },
    },
    'get-key-policy.json': { Policy: JSON.stringify(generated.keyPolicy), PolicyName: 'default' },
    'describe-key.json': { KeyMetadata: keyMetadata },
    'list-attached.json': {
      AttachedPolicies: [
        {
          PolicyName: 'byok-key-access',
          PolicyArn: 'arn:aws:iam::111122223333:policy/byok-key-access',
        },
      ],
    },
    'wrong-trust.json': trustPolicyFor(serviceRoleArn, 'another-workspace'),
    'disabled-key.json': { KeyMetadata: { ...keyMetadata, KeyState: 'Disabled' } },
  };
  for (const [name, content] of Object.entries(files)) {
    await writeFile(file(name), JSON.stringify(content, null, 2));
  }
  await writeFile(file('broken.json'), '{ "Version": ');
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const target = [
  'verify',
  '--role-name',
  'byok-role',
  '--key-arn',
  generated.keyArn,
  '--external-id',
  externalId,
];

function offline(
  files: Partial<Record<'iam' | 'trust' | 'key' | 'desc' | 'attached', string>> = {},
) {
  const chosen = {
    iam: 'iam.json',
    trust: 'trust.json',
    key: 'key-policy.json',
    desc: 'describe-key.json',
    attached: 'attached.json',
    ...files,
  };
  return [
    ...target,
    '--offline',
    '--iam-policy',
    file(chosen.iam),
    '--trust-policy',
    file(chosen.trust),
    '--key-policy',
    file(chosen.key),
    '--key-description',
    file(chosen.desc),
    ...(chosen.attached === '' ? [] : ['--attached-policies', file(chosen.attached)]),
  ];
}

describe('byok verify --offline', () => {
  describe('when the files hold the generated documents', () => {
    it('prints eight passing checks and exits 0', async () => {
      const run = await runCommand(registerVerifyCommands, offline());
      expect(run.exitCode).toBe(0);
      expect(run.out.match(/^PASS {2}/gm)).toHaveLength(8);
      expect(run.out).toContain('8 checks: 8 passed, 0 failed');
    });
  });

  describe('when the files are AWS CLI outputs (URL-encoded IAM document included)', () => {
    it('reads them and exits 0', async () => {
      const run = await runCommand(
        registerVerifyCommands,
        offline({
          iam: 'get-policy-version.json',
          trust: 'get-role.json',
          key: 'get-key-policy.json',
          attached: 'list-attached.json',
        }),
      );
      expect(run.err).toBe('');
      expect(run.exitCode).toBe(0);
    });
  });

  describe('when no attached-policies file is given', () => {
    it('skips the attachment check, says so, and still exits 0', async () => {
      const run = await runCommand(registerVerifyCommands, offline({ attached: '' }));
      expect(run.out).toMatch(
        /^SKIP {2}IAM policy byok-key-access is attached to role byok-role$/m,
      );
      expect(run.out).toContain('8 checks: 7 passed, 0 failed, 1 skipped');
      expect(run.exitCode).toBe(0);
    });
  });

  describe('when the trust policy has another external ID', () => {
    it('prints the failure with its fix and the JSON to paste, and exits 1', async () => {
      const run = await runCommand(registerVerifyCommands, offline({ trust: 'wrong-trust.json' }));
      expect(run.exitCode).toBe(1);
      expect(run.out).toContain(
        'FAIL  Trust policy lets the platform’s service role assume the role with the external ID',
      );
      expect(run.out).toContain(`expects external ID another-workspace, not ${externalId}`);
      expect(run.out).toContain(
        `fix: Require exactly Condition StringEquals sts:ExternalId ${externalId}`,
      );
      expect(run.out).toContain(`"sts:ExternalId": "${externalId}"`);
      expect(run.out).toContain('8 checks: 7 passed, 1 failed');
    });
  });

  describe('when the key is disabled', () => {
    it('fails the enabled check and exits 1', async () => {
      const run = await runCommand(registerVerifyCommands, offline({ desc: 'disabled-key.json' }));
      expect(run.exitCode).toBe(1);
      expect(run.out).toMatch(
        /^FAIL {2}The key is enabled\n {6}KeyState is Disabled\n {6}fix: Enable it/m,
      );
    });
  });

  describe('when a file is missing or not JSON', () => {
    it('fails the checks that need it, naming the file', async () => {
      const run = await runCommand(
        registerVerifyCommands,
        offline({ key: 'broken.json', iam: 'does-not-exist.json', attached: '' }),
      );
      expect(run.exitCode).toBe(1);
      expect(run.out).toContain(`${file('broken.json')} is not valid JSON (InvalidJson)`);
      expect(run.out).toContain(`${file('does-not-exist.json')} could not be read (ENOENT)`);
    });
  });

  describe('when --json is given', () => {
    it('prints the results as JSON', async () => {
      const run = await runCommand(registerVerifyCommands, [...offline(), '--json']);
      const results = JSON.parse(run.out) as CheckResult[];
      expect(results.map((r) => r.status)).toEqual(Array(8).fill('pass'));
    });
  });

  describe('when the flags are inconsistent', () => {
    it('refuses --offline without every document, exit 2', async () => {
      const run = await runCommand(registerVerifyCommands, [...target, '--offline']);
      expect(run.exitCode).toBe(2);
      expect(run.err).toContain('--iam-policy is required with --offline');
      expect(run.err).toContain('--key-description is required with --offline');
    });

    it('refuses document files without --offline, exit 2', async () => {
      const run = await runCommand(registerVerifyCommands, [
        ...target,
        '--iam-policy',
        file('iam.json'),
      ]);
      expect(run.exitCode).toBe(2);
      expect(run.err).toContain('--offline is required with file flags');
    });

    it('refuses an alias ARN for the key, exit 2', async () => {
      const args = offline().map((a) =>
        a === generated.keyArn ? 'arn:aws:kms:us-east-1:111122223333:alias/byok' : a,
      );
      const run = await runCommand(registerVerifyCommands, args);
      expect(run.exitCode).toBe(2);
      expect(run.err).toContain('an alias ARN was given');
    });
  });
});
