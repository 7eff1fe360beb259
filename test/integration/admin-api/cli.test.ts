import { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { registerAdminCommands } from '../../../src/cli/commands/admin.js';
import type { KeyConfig } from '../../../src/keys/model.js';
import type { App, Workspace } from '../../../src/tenancy/directory.js';
import { provisionCustomer } from '../../support/customer-aws.js';
import { dayPlus, type Platform, serviceRoleArn, startPlatform } from '../keys/harness.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- command output is checked by assertions
type Out = any;

describe('admin CLI commands', () => {
  let platform: Platform;

  beforeAll(async () => {
    platform = await startPlatform();
  });
  afterAll(async () => {
    await platform.close();
  });

  async function byok(...args: string[]): Promise<{ code: number; out: Out; err: string }> {
    let out = '';
    let err = '';
    let code = -1;
    const program = new Command().exitOverride();
    registerAdminCommands(program, {
      open: () =>
        Promise.resolve({
          tenancy: platform.tenancy,
          keys: platform.keys,
          close: () => Promise.resolve(),
        }),
      io: { out: (t) => (out += t), err: (t) => (err += t), setExitCode: (c) => (code = c) },
      env: { NEW_ADMIN_PASSWORD: 'a password from the environment' },
    });
    await program.parseAsync(args, { from: 'user' });
    return { code, out: out === '' ? undefined : JSON.parse(out), err };
  }

  /** `byok key create` in a workspace, enforced from tomorrow. */
  function createKey(workspaceId: string, name: string, cmkArn: string, roleArn: string) {
    return byok(
      'key',
      'create',
      '--workspace',
      workspaceId,
      '--name',
      name,
      '--cmk-arn',
      cmkArn,
      '--role-arn',
      roleArn,
      '--enforcement-date',
      dayPlus(1),
    );
  }

  describe('when an operator sets up a workspace and its key from the command line', () => {
    it('creates, tests, selects, proceeds and reports status through the same rules as the API', async () => {
      const workspace = (await byok('workspace', 'create', '--name', 'CLI workspace'))
        .out as Workspace;
      const app = (await byok('app', 'create', '--workspace', workspace.id, '--name', 'CLI app'))
        .out as App;
      await byok(
        'bot',
        'create',
        '--workspace',
        workspace.id,
        '--app',
        app.id,
        '--name',
        'CLI bot',
      );
      const admin = await byok(
        'admin',
        'create',
        '--workspace',
        workspace.id,
        '--email',
        'ops@example.com',
      );
      const customer = await provisionCustomer({
        serviceRoleArn,
        externalId: workspace.externalId,
      });

      expect(admin.out.generatedPassword).toMatch(/^[0-9A-Za-z]{24}$/);
      const bad = await createKey(
        workspace.id,
        'k',
        'arn:aws:kms:us-east-1:1:key/x',
        customer.roleArn,
      );
      expect([bad.code, bad.out]).toEqual([2, undefined]);
      expect(bad.err).toMatch(/^byok key create: invalid KMS key ARN/);

      const key = (await createKey(workspace.id, 'CLI key', customer.cmkArn, customer.roleArn))
        .out as KeyConfig;
      const tested = await byok('key', 'test', '--workspace', workspace.id, '--key', key.id);
      const selected = await byok(
        'key',
        'select',
        '--workspace',
        workspace.id,
        '--key',
        key.id,
        '--all',
      );
      const proceeded = await byok('key', 'proceed', '--workspace', workspace.id, '--key', key.id);
      const status = await byok(
        'key',
        'status',
        '--workspace',
        workspace.id,
        '--key',
        key.id,
        '--check',
      );
      const audit = await byok(
        'key',
        'audit',
        '--workspace',
        workspace.id,
        '--key',
        key.id,
        '--limit',
        '2',
      );

      expect([tested.code, tested.out.lastTest.passed]).toEqual([0, true]);
      expect(selected.out.apps[0]).toMatchObject({ id: app.id, selected: true });
      expect(proceeded.out.state).toBe('scheduled');
      expect(status.out).toMatchObject({
        config: { id: key.id },
        health: { status: 'healthy' },
        rotation: null,
      });
      expect(
        (audit.out as { action: string; actor: { kind: string } }[]).map((e) => [
          e.action,
          e.actor.kind,
        ]),
      ).toEqual([
        ['key.health_changed', 'operator'],
        ['key.proceeded', 'operator'],
      ]);
    });

    it('exits with 1 when Test Configuration fails, and reads an admin password from the named variable', async () => {
      const workspace = (await byok('workspace', 'create', '--name', 'Failing')).out as Workspace;
      const customer = await provisionCustomer({
        serviceRoleArn,
        externalId: workspace.externalId,
      });
      platform.faults.script('sts', 'AssumeRole', { error: 'AccessDenied' });
      const key = (await createKey(workspace.id, 'k', customer.cmkArn, customer.roleArn))
        .out as KeyConfig;

      const tested = await byok('key', 'test', '--workspace', workspace.id, '--key', key.id);
      const admin = await byok(
        'admin',
        'create',
        '--workspace',
        workspace.id,
        '--email',
        'env@example.com',
        '--password-env',
        'NEW_ADMIN_PASSWORD',
      );

      expect([tested.code, tested.out.lastTest.steps[0].code]).toEqual([
        1,
        'ROLE_TRUST_NOT_CONFIGURED',
      ]);
      expect(admin.out.generatedPassword).toBeUndefined();
      await expect(
        platform.tenancy.accounts.login({
          email: 'env@example.com',
          password: 'a password from the environment',
        }),
      ).resolves.toMatchObject({ admin: { workspaceId: workspace.id } });
    });
  });
});
