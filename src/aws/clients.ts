/**
 * Creates and caches the AWS SDK clients the platform uses: one STS client per region (signed
 * with the platform's own credentials from the SDK's default chain) and one KMS client per
 * region and assumed role. Creating a client per call would throw away its connections and its
 * retry budget, so they live as long as this factory.
 *
 * Endpoints are left to the SDK, which reads `AWS_ENDPOINT_URL_KMS`, `AWS_ENDPOINT_URL_STS` or
 * `AWS_ENDPOINT_URL` by itself and otherwise reaches real AWS. The single exception is
 * {@link AwsClientOptions.endpoint}, which tests use to route through the local fault endpoint.
 *
 * Retries are the SDK's standard strategy: throttling and transient failures (5xx, timeouts,
 * reset connections) are retried with exponential backoff and full jitter up to `maxAttempts`;
 * access and key-state errors (4xx) are never retried.
 */
import { KMSClient } from '@aws-sdk/client-kms';
import { STSClient } from '@aws-sdk/client-sts';

/** Temporary credentials as the SDK expects them. */
export interface SessionCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
  expiration: Date;
}

/** Returns current credentials; called by the SDK before signing a request. */
export type CredentialsSource = () => Promise<SessionCredentials>;

/** Client settings shared by every KMS and STS client of one factory. */
export interface AwsClientOptions {
  /** Attempts per call, the first included (default 3). */
  maxAttempts?: number;
  /** Milliseconds to establish a connection (default 3000). */
  connectionTimeoutMs?: number;
  /** Milliseconds for a whole request and its answer (default 5000). */
  requestTimeoutMs?: number;
  /** Tests only: send every request to this URL instead of the SDK's endpoint resolution. */
  endpoint?: string;
  /** KMS clients kept at most; the least recently used is closed beyond that (default 1000). */
  maxKmsClients?: number;
}

/** Whose credentials a KMS client signs with. */
export interface RoleIdentity {
  roleArn: string;
  externalId: string;
}

/** Defaults of {@link AwsClientOptions}. */
export const awsClientDefaults = {
  maxAttempts: 3,
  connectionTimeoutMs: 3_000,
  requestTimeoutMs: 5_000,
  maxKmsClients: 1_000,
} as const;

/** Caches KMS clients per (region, role, external ID) and one STS client per region. */
export class AwsClients {
  readonly #options: Required<Omit<AwsClientOptions, 'endpoint'>> & { endpoint?: string };
  readonly #sts = new Map<string, STSClient>();
  readonly #kms = new Map<string, KMSClient>();

  constructor(options: AwsClientOptions = {}) {
    this.#options = { ...awsClientDefaults, ...options };
  }

  /** Settings in effect, for logs and tests. */
  get options(): Readonly<AwsClientOptions> {
    return this.#options;
  }

  /** The platform's STS client for `region`, signed by the SDK's default credential chain. */
  sts(region: string): STSClient {
    let client = this.#sts.get(region);
    if (client === undefined) {
      client = new STSClient({ region, ...this.#common() });
      this.#sts.set(region, client);
    }
    return client;
  }

  /**
   * The KMS client for `region` acting as `role`. `credentials` is used only when the client is
   * created; later calls for the same region and role get the cached client.
   */
  kms(region: string, role: RoleIdentity, credentials: CredentialsSource): KMSClient {
    const key = JSON.stringify([region, role.roleArn, role.externalId]);
    let client = this.#kms.get(key);
    if (client !== undefined) {
      // Re-insert so the map's order is least recently used first.
      this.#kms.delete(key);
      this.#kms.set(key, client);
      return client;
    }

    client = new KMSClient({ region, credentials, ...this.#common() });
    this.#kms.set(key, client);
    for (const [oldKey, old] of this.#kms) {
      if (this.#kms.size <= this.#options.maxKmsClients) break;
      old.destroy();
      this.#kms.delete(oldKey);
    }
    return client;
  }

  /** Closes every client's connections. */
  destroy(): void {
    for (const client of [...this.#sts.values(), ...this.#kms.values()]) client.destroy();
    this.#sts.clear();
    this.#kms.clear();
  }

  #common() {
    const { maxAttempts, connectionTimeoutMs, requestTimeoutMs, endpoint } = this.#options;
    return {
      maxAttempts,
      retryMode: 'standard',
      requestHandler: {
        connectionTimeout: connectionTimeoutMs,
        requestTimeout: requestTimeoutMs,
        throwOnRequestTimeout: true,
      },
      ...(endpoint === undefined ? {} : { endpoint }),
    } as const;
  }
}
