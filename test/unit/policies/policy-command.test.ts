import { describe, expect, it } from 'vitest';

import { generatePolicies } from '../../../src/aws/policies.js';
import { registerPolicyCommands } from '../../../src/cli/commands/policy.js';
import { runCommand } from './run-command.js';

const keyId = '1234abcd-12ab-34cd-56ef-1234567890ab';
const base = [
  'policy',
  '--account',
  '111122223333',
  '--region',
  'us-east-1',
  '--key-id',
  keyId,
  '--role-name',
  'byok-role',
  '--external-id',
  'ws-ext-0123456789',
];
const expected = generatePolicies({
  accountId: '111122223333',
  region: 'us-east-1',
  keyId,
  roleName: 'byok-role',
  serviceRoleArn: 'arn:aws:iam::999988887777:role/platform-service',
  externalId: 'ws-ext-0123456789',
});

describe('byok policy', () => {
  describe('when given account, region, key, role and external ID', () => {
    it('prints every document as one JSON object and exits 0', async () => {
      const run = await runCommand(registerPolicyCommands, base);
      expect(run.exitCode).toBe(0);
      expect(JSON.parse(run.out)).toEqual(expected);
    });
  });

  describe('when --only selects one document', () => {
    it.each([
      ['iam', expected.iamPolicy],
      ['trust', expected.trustPolicy],
      ['key', expected.keyPolicyStatement],
      ['key-full', expected.keyPolicy],
    ])('prints just the %s document', async (only, document) => {
      const run = await runCommand(registerPolicyCommands, [...base, '--only', only]);
      expect(run.exitCode).toBe(0);
      expect(run.out).toBe(`${JSON.stringify(document, null, 2)}\n`);
    });
  });

  describe('when --service-role-arn is given', () => {
    it('names that role in the trust policy', async () => {
      const arn = 'arn:aws:iam::123456789012:role/other-platform';
      const run = await runCommand(registerPolicyCommands, [
        ...base,
        '--service-role-arn',
        arn,
        '--only',
        'trust',
      ]);
      expect(JSON.parse(run.out).Statement[0].Principal).toEqual({ AWS: arn });
    });
  });

  describe('when a flag is malformed', () => {
    it('prints what is wrong, nothing on stdout, and exits 2', async () => {
      const args = base.map((a) => (a === '111122223333' ? '1111' : a));
      const run = await runCommand(registerPolicyCommands, args);
      expect(run.exitCode).toBe(2);
      expect(run.out).toBe('');
      expect(run.err).toContain('accountId: a 12-digit AWS account id');
    });

    it('refuses an unknown --only choice', async () => {
      const run = await runCommand(registerPolicyCommands, [...base, '--only', 'everything']);
      expect(run.exitCode).toBe(2);
      expect(run.err).toContain('--only');
    });
  });

  describe('when a required flag is missing', () => {
    it('refuses to print anything', async () => {
      const run = await runCommand(registerPolicyCommands, base.slice(0, -2));
      expect(run.exitCode).not.toBe(0);
      expect(run.out).toBe('');
      expect(run.err).toContain('--external-id');
    });
  });
});
