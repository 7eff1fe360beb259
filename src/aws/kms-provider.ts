/**
 * The `aws` key provider: data keys generated and unwrapped by the tenant's own KMS key, reached
 * through the tenant's role. Every call runs as the assumed role (credentials from
 * {@link AssumedRoleCredentials}) against a KMS client in the CMK's region, and every failure
 * leaves as a {@link ByokError} whose code says what the customer must change.
 *
 * Besides the {@link KeyProvider} contract, the provider offers the individual steps the Test
 * Configuration runs: {@link AwsKmsKeyProvider.assumeRole}, {@link AwsKmsKeyProvider.describe},
 * and {@link AwsKmsKeyProvider.encrypt} / {@link AwsKmsKeyProvider.decrypt} of a probe value.
 */
import {
  DecryptCommand,
  DescribeKeyCommand,
  EncryptCommand,
  GenerateDataKeyCommand,
  type KMSClient,
} from '@aws-sdk/client-kms';

import type { Clock } from '../base/clock.js';
import type { Config } from '../base/config.js';
import { ByokError, ErrorCode } from '../base/errors.js';
import { type Logger, silentLogger } from '../base/log.js';
import { type IamRoleArn, type KmsKeyArn, parseIamRoleArn, parseKmsKeyArn } from './arn.js';
import { type AwsClientOptions, AwsClients } from './clients.js';
import { fromKmsError, isKmsInvalidState } from './errors.js';
import {
  type EncryptionContext,
  type GeneratedDataKey,
  type KeyDescription,
  type KeyProvider,
  ProviderKind,
} from './key-provider.js';
import { AssumedRoleCredentials, type AssumeRoleTarget } from './sts.js';

/** A tenant's key configuration, as far as KMS is concerned. */
export interface AwsKeyConfig {
  /** The CMK ARN (validated: aliases are refused). */
  cmkArn: string;
  /** The customer's role the platform assumes. */
  roleArn: string;
  externalId: string;
  tenantId: string;
}

/** Options of {@link AwsKmsKeyProvider}. */
export interface AwsKmsKeyProviderOptions extends AwsKeyConfig {
  clients: AwsClients;
  credentials: AssumedRoleCredentials;
  logger?: Logger;
}

const dataKeyBytes = 32;

/** A {@link KeyProvider} backed by the tenant's AWS KMS key. */
export class AwsKmsKeyProvider implements KeyProvider {
  readonly kind = ProviderKind.Aws;
  /** The CMK ARN. */
  readonly keyRef: string;
  readonly key: KmsKeyArn;
  readonly role: IamRoleArn;
  readonly #target: AssumeRoleTarget;
  readonly #options: AwsKmsKeyProviderOptions;
  readonly #logger: Logger;

  /** @throws ByokError `INVALID_ARN` when either ARN is malformed or they differ in partition. */
  constructor(options: AwsKmsKeyProviderOptions) {
    this.key = parseKmsKeyArn(options.cmkArn);
    this.role = parseIamRoleArn(options.roleArn);
    if (this.role.partition !== this.key.partition) {
      // STS sessions never cross partitions, so this pair could never work.
      const reason = `the role is in partition ${this.role.partition}, the key in ${this.key.partition}`;
      throw new ByokError(ErrorCode.InvalidArn, `invalid IAM role ARN: ${reason}`, {
        details: { field: 'partition', reason },
      });
    }
    this.keyRef = this.key.arn;
    this.#options = options;
    this.#logger = (options.logger ?? silentLogger).child({ component: 'aws-kms' });
    this.#target = {
      roleArn: this.role.arn,
      externalId: options.externalId,
      tenantId: options.tenantId,
      region: this.key.region,
    };
  }

  /**
   * Assumes the tenant's role (a new session when `fresh`) and says until when it holds.
   *
   * @throws ByokError `ROLE_TRUST_NOT_CONFIGURED`, `STS_UNAVAILABLE`.
   */
  async assumeRole(options: { fresh?: boolean } = {}): Promise<{ expiration: Date }> {
    const credentials = await this.#options.credentials.get(this.#target, options);
    return { expiration: credentials.expiration };
  }

  async generateDataKey(context: EncryptionContext): Promise<GeneratedDataKey> {
    const answer = await this.#call('GenerateDataKey', (kms) =>
      kms.send(
        new GenerateDataKeyCommand({
          KeyId: this.keyRef,
          KeySpec: 'AES_256',
          EncryptionContext: { ...context },
        }),
      ),
    );
    const plaintext = bytes(answer.Plaintext);
    const wrapped = bytes(answer.CiphertextBlob);
    if (plaintext?.length !== dataKeyBytes || wrapped === undefined) {
      plaintext?.fill(0);
      throw malformedAnswer('GenerateDataKey');
    }
    return { plaintext, wrapped };
  }

  async decryptDataKey(wrapped: Buffer, context: EncryptionContext): Promise<Buffer> {
    const plaintext = await this.decrypt(wrapped, context);
    if (plaintext.length !== dataKeyBytes) {
      plaintext.fill(0);
      throw malformedAnswer('Decrypt');
    }
    return plaintext;
  }

  async wrapDataKey(plaintext: Buffer, context: EncryptionContext): Promise<Buffer> {
    if (plaintext.length !== dataKeyBytes) {
      throw new ByokError(ErrorCode.Internal, `a data key must be ${dataKeyBytes} bytes`);
    }
    return this.encrypt(plaintext, context);
  }

  /** KMS Encrypt of up to 4096 bytes (a data key, or the Test Configuration's probe value). */
  async encrypt(plaintext: Buffer, context: EncryptionContext): Promise<Buffer> {
    const answer = await this.#call('Encrypt', (kms) =>
      kms.send(
        new EncryptCommand({
          KeyId: this.keyRef,
          Plaintext: plaintext,
          EncryptionContext: { ...context },
        }),
      ),
    );
    const ciphertext = bytes(answer.CiphertextBlob);
    if (ciphertext === undefined) throw malformedAnswer('Encrypt');
    return ciphertext;
  }

  /**
   * KMS Decrypt, pinned to this CMK: a ciphertext of another key, or with another encryption
   * context, fails as `DECRYPT_FAILED`. The result is the caller's to zero.
   */
  async decrypt(ciphertext: Buffer, context: EncryptionContext): Promise<Buffer> {
    const answer = await this.#call('Decrypt', (kms) =>
      kms.send(
        new DecryptCommand({
          KeyId: this.keyRef,
          CiphertextBlob: ciphertext,
          EncryptionContext: { ...context },
        }),
      ),
    );
    const plaintext = bytes(answer.Plaintext);
    if (plaintext === undefined) throw malformedAnswer('Decrypt');
    return plaintext;
  }

  async describe(): Promise<KeyDescription> {
    const answer = await this.#call('DescribeKey', (kms) =>
      kms.send(new DescribeKeyCommand({ KeyId: this.keyRef })),
    );
    const m = answer.KeyMetadata;
    if (m?.KeyId === undefined || m.Arn === undefined) throw malformedAnswer('DescribeKey');
    return {
      keyId: m.KeyId,
      arn: m.Arn,
      enabled: m.Enabled === true,
      state: m.KeyState ?? 'Unknown',
      spec: m.KeySpec ?? 'Unknown',
      usage: m.KeyUsage ?? 'Unknown',
    };
  }

  #kms(): KMSClient {
    const { clients, credentials } = this.#options;
    return clients.kms(this.key.region, this.#target, credentials.source(this.#target));
  }

  /** Runs one KMS call and maps its failure, asking for the key state when KMS only says "invalid". */
  async #call<T>(operation: string, send: (kms: KMSClient) => Promise<T>): Promise<T> {
    const kms = this.#kms();
    try {
      return await send(kms);
    } catch (error) {
      const keyState = isKmsInvalidState(error) ? await this.#keyState(kms) : undefined;
      const mapped = fromKmsError(error, { operation, cmkArn: this.keyRef, keyState });
      this.#logger.debug(
        { code: mapped.code, details: mapped.details, keyRef: this.keyRef },
        'KMS call failed',
      );
      throw mapped;
    }
  }

  async #keyState(kms: KMSClient): Promise<string | undefined> {
    try {
      const answer = await kms.send(new DescribeKeyCommand({ KeyId: this.keyRef }));
      return answer.KeyMetadata?.KeyState;
    } catch {
      // The state only sharpens the message; without it the error is KEY_UNUSABLE.
      return undefined;
    }
  }
}

/** Options of {@link createAwsKeyProviders}. */
export interface AwsKeyProvidersOptions extends AwsClientOptions {
  clock?: Clock;
  /** The platform's service role ARN, named in trust-policy fixes. */
  serviceRoleArn?: string;
  /** Refresh assumed-role credentials this long before expiry (default 5 minutes). */
  refreshMarginMs?: number;
  logger?: Logger;
}

/** The AWS settings of the process configuration, as {@link createAwsKeyProviders} takes them. */
export function awsOptionsFromConfig(
  config: Pick<
    Config,
    | 'BYOK_AWS_MAX_ATTEMPTS'
    | 'BYOK_AWS_CONNECT_TIMEOUT_MS'
    | 'BYOK_AWS_REQUEST_TIMEOUT_MS'
    | 'BYOK_SERVICE_ROLE_ARN'
  >,
): AwsKeyProvidersOptions {
  return {
    maxAttempts: config.BYOK_AWS_MAX_ATTEMPTS,
    connectionTimeoutMs: config.BYOK_AWS_CONNECT_TIMEOUT_MS,
    requestTimeoutMs: config.BYOK_AWS_REQUEST_TIMEOUT_MS,
    serviceRoleArn: config.BYOK_SERVICE_ROLE_ARN,
  };
}

/** Shared clients and credentials, and a provider per key configuration. */
export interface AwsKeyProviders {
  readonly clients: AwsClients;
  readonly credentials: AssumedRoleCredentials;
  /** @throws ByokError `INVALID_ARN`. */
  provider(config: AwsKeyConfig): AwsKmsKeyProvider;
  /** Closes every client. */
  destroy(): void;
}

/**
 * Wires {@link AwsClients} and {@link AssumedRoleCredentials} once per process, so every
 * tenant's provider shares connections and the credential cache.
 */
export function createAwsKeyProviders(options: AwsKeyProvidersOptions = {}): AwsKeyProviders {
  const clients = new AwsClients(options);
  const credentials = new AssumedRoleCredentials({
    sts: (region) => clients.sts(region),
    ...(options.clock === undefined ? {} : { clock: options.clock }),
    ...(options.serviceRoleArn === undefined ? {} : { serviceRoleArn: options.serviceRoleArn }),
    ...(options.refreshMarginMs === undefined ? {} : { refreshMarginMs: options.refreshMarginMs }),
  });
  return {
    clients,
    credentials,
    provider: (config) =>
      new AwsKmsKeyProvider({
        ...config,
        clients,
        credentials,
        ...(options.logger === undefined ? {} : { logger: options.logger }),
      }),
    destroy: () => {
      clients.destroy();
    },
  };
}

function bytes(value: Uint8Array | undefined): Buffer | undefined {
  return value === undefined
    ? undefined
    : Buffer.from(value.buffer, value.byteOffset, value.length);
}

function malformedAnswer(operation: string): ByokError {
  return new ByokError(ErrorCode.KmsUnavailable, `KMS answered ${operation} without its result`, {
    details: { awsCode: 'MalformedAnswer', operation },
  });
}
