/**
 * Test Configuration: five steps that prove the platform can use a tenant's key exactly the
 * way production will, before anything is sealed under it. Each step reports pass or fail,
 * the AWS error code and a fix the admin can act on; after a failure the remaining steps are
 * skipped, because they would fail for the same reason and hide the first one.
 *
 * 1. AssumeRole with the workspace's external ID.
 * 2. DescribeKey: exists, enabled, symmetric, for encrypt and decrypt, in the ARN's region
 *    and account.
 * 3. GenerateDataKey with the encryption context production uses.
 * 4. Decrypt that data key and compare.
 * 5. Encrypt and Decrypt a random probe value and compare.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';

import { parseKmsKeyArn } from '../aws/arn.js';
import type { EncryptionContext, KeyDescription, KeyProvider } from '../aws/key-provider.js';
import type { Clock } from '../base/clock.js';
import { ByokError, ErrorCode, toByokError } from '../base/errors.js';
import { randomId } from '../tenancy/ids.js';
import type { AwsKeyAccess, KeyTarget } from './aws-access.js';
import { fixFor, mismatch } from './fixes.js';
import { type TestResult, type TestStep, TestStepId } from './model.js';

/** Runs Test Configuration against a key and role. */
export interface KeyTester {
  run(target: KeyTarget): Promise<TestResult>;
}

/** What {@link TestConfiguration} needs. */
export interface TestConfigurationDeps {
  access: AwsKeyAccess;
  clock: Clock;
  /** The platform principal the trust policy must name, quoted in fixes. */
  serviceRoleArn: string;
  /** The KMS encryption context production uses for the tenant's data keys. */
  encryptionContext: (tenantId: string) => EncryptionContext;
}

const titles: Record<TestStepId, string> = {
  assume_role: 'Assume the role with the external ID',
  describe_key: 'Describe the key',
  generate_data_key: 'Generate a data key',
  decrypt_data_key: 'Decrypt the data key',
  encrypt_decrypt_probe: 'Encrypt and decrypt a probe value',
};

/** The five-step test, run with the platform's real AWS clients. */
export class TestConfiguration implements KeyTester {
  constructor(private readonly deps: TestConfigurationDeps) {}

  async run(target: KeyTarget): Promise<TestResult> {
    const provider = this.deps.access.provider(target);
    const context = this.deps.encryptionContext(target.tenantId);
    let dataKey: { plaintext: Buffer; wrapped: Buffer } | undefined;

    const steps: Record<TestStepId, () => Promise<void>> = {
      assume_role: () => this.deps.access.assumeRole(target),
      describe_key: async () => {
        checkDescription(await provider.describe(), target.cmkArn);
      },
      generate_data_key: async () => {
        dataKey = await provider.generateDataKey(context);
        if (dataKey.plaintext.length !== 32)
          throw unusable('the key returned a data key that is not 256 bits');
      },
      decrypt_data_key: async () => {
        if (dataKey === undefined)
          throw new ByokError(ErrorCode.Internal, 'no data key to decrypt');
        const plaintext = await provider.decryptDataKey(dataKey.wrapped, context);
        const same =
          plaintext.length === dataKey.plaintext.length &&
          timingSafeEqual(plaintext, dataKey.plaintext);
        plaintext.fill(0);
        if (!same) throw unusable('Decrypt returned a different data key than GenerateDataKey');
      },
      encrypt_decrypt_probe: () => probeRoundTrip(provider, context),
    };

    const results: TestStep[] = [];
    let failed = false;
    try {
      for (const id of Object.values(TestStepId)) {
        if (failed) {
          results.push(step(id, 'skipped'));
          continue;
        }
        try {
          await steps[id]();
          results.push(step(id, 'pass'));
        } catch (error) {
          failed = true;
          results.push(this.failure(id, toByokError(error), target));
        }
      }
    } finally {
      dataKey?.plaintext.fill(0);
    }

    return {
      id: randomId('test'),
      at: new Date(this.deps.clock.now()).toISOString(),
      passed: !failed,
      cmkArn: target.cmkArn,
      roleArn: target.roleArn,
      steps: results,
    };
  }

  private failure(id: TestStepId, error: ByokError, target: KeyTarget): TestStep {
    const awsCode = error.details?.awsCode;
    return {
      ...step(id, 'fail'),
      code: error.code,
      awsCode: typeof awsCode === 'string' ? awsCode : null,
      message: error.fault === 'internal' ? 'an unexpected error occurred' : error.message,
      fix: fixFor(error, { ...target, serviceRoleArn: this.deps.serviceRoleArn }),
    };
  }
}

function step(id: TestStepId, status: TestStep['status']): TestStep {
  return { id, title: titles[id], status, code: null, awsCode: null, message: null, fix: null };
}

function unusable(message: string, details: Record<string, unknown> = {}): ByokError {
  return new ByokError(ErrorCode.KeyUnusable, message, { details });
}

/**
 * Refuses a key that cannot be used now: scheduled for deletion, disabled or otherwise not
 * enabled. Shared with the health checks, which must judge a key exactly as the test did.
 */
export function checkKeyState(description: KeyDescription): void {
  if (description.state === 'PendingDeletion') {
    throw new ByokError(ErrorCode.KeyPendingDeletion, 'the key is scheduled for deletion');
  }
  if (!description.enabled || description.state !== 'Enabled') {
    const code = description.state === 'Disabled' ? ErrorCode.KeyDisabled : ErrorCode.KeyUnusable;
    throw new ByokError(code, `the key is not enabled (state ${description.state})`, {
      details: { state: description.state },
    });
  }
}

/**
 * Encrypts a random value under the key and decrypts it again: the proof that both directions
 * work with production's encryption context. Shared with the health checks.
 */
export async function probeRoundTrip(
  provider: KeyProvider,
  context: EncryptionContext,
): Promise<void> {
  const probe = randomBytes(32);
  const wrapped = await provider.wrapDataKey(probe, context);
  const back = await provider.decryptDataKey(wrapped, context);
  const same = back.length === probe.length && timingSafeEqual(back, probe);
  probe.fill(0);
  back.fill(0);
  if (!same) throw unusable('Decrypt returned a different value than was encrypted');
}

/** The DescribeKey checks; each failure names what differs, for the fix. */
function checkDescription(description: KeyDescription, cmkArn: string): void {
  checkKeyState(description);
  if (description.spec !== 'SYMMETRIC_DEFAULT' || description.usage !== 'ENCRYPT_DECRYPT') {
    throw unusable(`the key is ${description.spec} for ${description.usage}`, {
      mismatch: mismatch.keyType,
    });
  }

  const expected = parseKmsKeyArn(cmkArn);
  let actual: ReturnType<typeof parseKmsKeyArn>;
  try {
    actual = parseKmsKeyArn(description.arn);
  } catch {
    throw unusable('DescribeKey returned an ARN that is not a key ARN', { mismatch: mismatch.arn });
  }
  if (actual.region !== expected.region) {
    throw unusable(
      `the key is in region ${actual.region}, not in ${expected.region} as the ARN says`,
      {
        mismatch: mismatch.region,
        actualRegion: actual.region,
      },
    );
  }
  if (actual.accountId !== expected.accountId || actual.keyId !== expected.keyId) {
    throw unusable(`the key found is ${actual.arn}, not the configured key`, {
      mismatch: mismatch.arn,
    });
  }
}
