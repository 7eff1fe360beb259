/**
 * The customer's side of BYOK in the local servers, for tests: `provisionCustomer` (from the
 * library, as the embedded host's demo uses it) plus the key-state changes a customer makes
 * when revoking or restoring access.
 *
 * @example
 * ```ts
 * const customer = await provisionCustomer({ serviceRoleArn, externalId: 'ext-123' });
 * // customer.roleArn, customer.cmkArn: what the admin pastes into the key configuration
 * await disableCustomerKey(customer.cmkArn); // the customer revokes
 * ```
 */
import {
  CancelKeyDeletionCommand,
  DisableKeyCommand,
  EnableKeyCommand,
  KMSClient,
  ScheduleKeyDeletionCommand,
} from '@aws-sdk/client-kms';

export {
  type CustomerOptions,
  provisionCustomer,
  type ProvisionedCustomer,
} from '../../src/customer/provision.js';

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
