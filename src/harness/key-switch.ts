/**
 * The customer's side of a revocation drill: disabling and enabling their KMS key with the
 * caller's own AWS credentials (the SDK's default chain and endpoint variables), the way the
 * customer would in their console. The platform's assumed role is never used for this.
 */
import { DisableKeyCommand, EnableKeyCommand, KMSClient } from '@aws-sdk/client-kms';

import { parseKmsKeyArn } from '../aws/arn.js';

/** Disables and enables one key; `close` releases the client. */
export interface KeySwitch {
  revoke(): Promise<void>;
  restore(): Promise<void>;
  close(): void;
}

/** A switch for the key `cmkArn`, in the key's own region. */
export function customerKeySwitch(cmkArn: string): KeySwitch {
  const { region } = parseKmsKeyArn(cmkArn);
  const kms = new KMSClient({ region });
  return {
    revoke: async () => {
      await kms.send(new DisableKeyCommand({ KeyId: cmkArn }));
    },
    restore: async () => {
      await kms.send(new EnableKeyCommand({ KeyId: cmkArn }));
    },
    close: () => {
      kms.destroy();
    },
  };
}
