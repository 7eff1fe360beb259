/**
 * Credentials for acting in a tenant's AWS account: STS AssumeRole on the tenant's role ARN with
 * the tenant's external ID. Credentials are cached per (role ARN, external ID) and refreshed a
 * margin before they expire, so KMS calls never carry a token about to lapse; concurrent callers
 * share one AssumeRole call, and a failure is not cached (the next call tries again).
 *
 * The session name is `byok-harness-<tenant>`, which is what the customer sees in CloudTrail
 * next to every KMS call the platform makes with their key.
 */
import { AssumeRoleCommand, type STSClient } from '@aws-sdk/client-sts';

import { type Clock, systemClock } from '../base/clock.js';
import { ByokError, ErrorCode } from '../base/errors.js';
import type { CredentialsSource, RoleIdentity, SessionCredentials } from './clients.js';
import { fromStsError } from './errors.js';

/** The role to assume, and for whom. */
export interface AssumeRoleTarget extends RoleIdentity {
  /** Region of the STS endpoint (the CMK's region keeps the call in the customer's region). */
  region: string;
  /** Workspace id; becomes part of the session name. */
  tenantId: string;
}

/** Options of {@link AssumedRoleCredentials}. */
export interface AssumedRoleOptions {
  /** The platform's STS client for a region (see `AwsClients.sts`). */
  sts: (region: string) => STSClient;
  clock?: Clock;
  /** Refresh this long before expiry (default 5 minutes). */
  refreshMarginMs?: number;
  /** Session length asked of STS (default 3600 s, the longest every role allows). */
  durationSeconds?: number;
  /** Named in the fix when the trust policy refuses the platform. */
  serviceRoleArn?: string;
  /** Cached sessions kept at most; the oldest is dropped beyond that (default 10 000). */
  maxEntries?: number;
}

const sessionPrefix = 'byok-harness-';
const maxSessionNameLength = 64;

/**
 * The RoleSessionName for a tenant: `byok-harness-<tenant>`, with every character STS does not
 * accept (anything but letters, digits and `+=,.@_-`) replaced by `-`, and cut to STS's
 * 64-character limit.
 */
export function sessionNameFor(tenantId: string): string {
  const tenant = tenantId.replace(/[^\w+=,.@-]/g, '-') || 'unknown';
  return `${sessionPrefix}${tenant}`.slice(0, maxSessionNameLength);
}

/** Assumes tenant roles and caches their credentials. */
export class AssumedRoleCredentials {
  readonly #options: AssumedRoleOptions;
  readonly #clock: Clock;
  readonly #marginMs: number;
  readonly #maxEntries: number;
  readonly #cache = new Map<string, SessionCredentials>();
  readonly #inFlight = new Map<string, Promise<SessionCredentials>>();

  constructor(options: AssumedRoleOptions) {
    this.#options = options;
    this.#clock = options.clock ?? systemClock;
    this.#marginMs = options.refreshMarginMs ?? 5 * 60_000;
    this.#maxEntries = options.maxEntries ?? 10_000;
  }

  /**
   * Credentials for `target`, from the cache while they are valid for longer than the refresh
   * margin. `fresh` forces a new AssumeRole (the Test Configuration step must not pass on an old
   * session after the customer changed the trust policy).
   *
   * @throws ByokError `ROLE_TRUST_NOT_CONFIGURED`, `STS_UNAVAILABLE`.
   */
  async get(
    target: AssumeRoleTarget,
    options: { fresh?: boolean } = {},
  ): Promise<SessionCredentials> {
    const key = JSON.stringify([target.roleArn, target.externalId]);
    const cached = this.#cache.get(key);
    if (options.fresh !== true && cached !== undefined && !this.#needsRefresh(cached)) {
      return cached;
    }

    const pending = this.#inFlight.get(key);
    if (pending !== undefined) return pending;

    const call = this.#assume(target).then(
      (credentials) => {
        this.#inFlight.delete(key);
        this.#remember(key, credentials);
        return credentials;
      },
      (error: unknown) => {
        this.#inFlight.delete(key);
        throw error;
      },
    );
    this.#inFlight.set(key, call);
    return call;
  }

  /** A credentials source for an SDK client acting as `target`. */
  source(target: AssumeRoleTarget): CredentialsSource {
    return () => this.get(target);
  }

  /** Forgets the cached session of a role (after the customer changed it, or on sign-out). */
  forget(role: RoleIdentity): void {
    this.#cache.delete(JSON.stringify([role.roleArn, role.externalId]));
  }

  #needsRefresh(credentials: SessionCredentials): boolean {
    return credentials.expiration.getTime() - this.#marginMs <= this.#clock.now();
  }

  #remember(key: string, credentials: SessionCredentials): void {
    this.#cache.delete(key);
    this.#cache.set(key, credentials);
    const oldest = this.#cache.keys().next();
    if (this.#cache.size > this.#maxEntries && oldest.done !== true)
      this.#cache.delete(oldest.value);
  }

  async #assume(target: AssumeRoleTarget): Promise<SessionCredentials> {
    let answer;
    try {
      answer = await this.#options.sts(target.region).send(
        new AssumeRoleCommand({
          RoleArn: target.roleArn,
          ExternalId: target.externalId,
          RoleSessionName: sessionNameFor(target.tenantId),
          DurationSeconds: this.#options.durationSeconds ?? 3600,
        }),
      );
    } catch (error) {
      throw fromStsError(error, {
        roleArn: target.roleArn,
        serviceRoleArn: this.#options.serviceRoleArn,
      });
    }

    const c = answer.Credentials;
    if (
      c?.AccessKeyId === undefined ||
      c.SecretAccessKey === undefined ||
      c.SessionToken === undefined ||
      c.Expiration === undefined
    ) {
      throw new ByokError(ErrorCode.StsUnavailable, 'STS AssumeRole answered without credentials', {
        details: { awsCode: 'MissingCredentials', operation: 'AssumeRole' },
      });
    }
    return {
      accessKeyId: c.AccessKeyId,
      secretAccessKey: c.SecretAccessKey,
      sessionToken: c.SessionToken,
      expiration: c.Expiration,
    };
  }
}
