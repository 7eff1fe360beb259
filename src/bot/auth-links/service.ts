/**
 * The Basic Auth validation flow as library functions, shared by the bot (issue a link, read
 * the result back), the authorization page (inspect a link, submit credentials) and the
 * harness. HTTP is a thin shell over {@link BasicAuthService.inspect} and
 * {@link BasicAuthService.submit}; no rule of the flow lives in the router.
 */
import type { ConversationReference } from 'botbuilder';
import { Binary, type Db } from 'mongodb';
import { z } from 'zod';

import { type Clock, systemClock } from '../../base/clock.js';
import { ByokError, ErrorCode, toByokError } from '../../base/errors.js';
import { type Logger, silentLogger } from '../../base/log.js';
import type { KeyResolver, Sealer } from '../../sealing/types.js';
import {
  isKeyFailure,
  type OnKeyFailure,
  type SealedRecordKind,
  SealingFailureCounter,
  SealingFailureHandler,
} from '../plugin/failures.js';
import { type BotOwner, ownerFields } from '../plugin/owner.js';
import {
  credentialsScope,
  type IssuedLink,
  type LinkDocument,
  LinkState,
  LinkStore,
} from './link-store.js';
import { type BasicCredentials, basicCredentialsSchema, ValidationProfiles } from './profiles.js';
import { keyLabelOf, LinkOutcome, type LinkResult, type ResumeConversation } from './resume.js';
import { LinkSigner } from './signing.js';
import { AttemptThrottle, type ThrottleLimits } from './throttle.js';

/** What {@link BasicAuthService} needs; one per process. */
export interface BasicAuthServiceOptions {
  db: Db;
  sealer: Sealer;
  /** The platform secret (see `loadPlatformSecret`). */
  secret: Buffer;
  /** Base URL the browser reaches the host at. */
  publicUrl: string;
  /** Link lifetime (BYOK_LINK_TTL_SECONDS); default 600. */
  ttlSeconds?: number;
  throttle?: ThrottleLimits;
  clock?: Clock;
  logger?: Logger;
  onKeyFailure?: OnKeyFailure;
  /** Names the key configuration of failures whose error does not. */
  keyResolver?: KeyResolver;
  counter?: SealingFailureCounter;
}

/** The parameters of a link URL, as received: untrusted. */
export interface LinkParams {
  linkId: unknown;
  sig: unknown;
  ws: unknown;
}

/** What a link URL leads to before any credentials are checked. */
export type LinkCheck =
  | { status: 'valid'; link: LinkDocument }
  | { status: 'invalid' | 'other-workspace' | 'expired' | 'used' };

/** What submitting credentials led to. */
export type SubmitOutcome =
  | { status: 'succeeded'; result: LinkResult }
  | { status: 'wrong-credentials' }
  | { status: 'throttled'; retryAfterSeconds: number }
  | { status: 'key-unavailable'; code: ErrorCode }
  | { status: 'expired' | 'used' };

/**
 * What the bot confirms after a successful link. `keyLabel` is "default platform key" or
 * "workspace key <name>": which key protects the stored credentials.
 */
export type StoredCredentialsReport =
  | { status: 'readable'; username: string; keyLabel: string }
  | { status: 'key-unavailable'; code: ErrorCode; keyLabel: string };

const paramsSchema = z.object({
  linkId: z.string().regex(/^[\w-]{22}$/),
  sig: z.string().regex(/^[\w-]{43}$/),
  ws: z.string().min(1).max(128),
});

/** Issues links, checks and completes them, and reads their results back. */
export class BasicAuthService {
  readonly store: LinkStore;
  readonly profiles: ValidationProfiles;
  readonly throttle: AttemptThrottle;
  readonly counter: SealingFailureCounter;
  private readonly sealer: Sealer;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly onKeyFailure: OnKeyFailure | undefined;
  private readonly keyResolver: KeyResolver | undefined;

  constructor(options: BasicAuthServiceOptions) {
    this.clock = options.clock ?? systemClock;
    this.sealer = options.sealer;
    this.logger = (options.logger ?? silentLogger).child({ component: 'basic-auth' });
    this.onKeyFailure = options.onKeyFailure;
    this.keyResolver = options.keyResolver;
    this.counter = options.counter ?? new SealingFailureCounter();
    this.store = new LinkStore({
      db: options.db,
      sealer: options.sealer,
      signer: new LinkSigner(options.secret),
      publicUrl: options.publicUrl,
      ttlSeconds: options.ttlSeconds ?? 600,
      clock: this.clock,
    });
    this.profiles = new ValidationProfiles(options.db, options.sealer, this.clock);
    this.throttle = new AttemptThrottle(options.db, options.throttle, this.clock);
  }

  /** Creates the indexes the flow relies on. Idempotent. */
  async ensureIndexes(): Promise<void> {
    await this.store.ensureIndexes();
    await this.throttle.ensureIndexes();
  }

  /** Issues a link for the conversation of `reference`. */
  async issueLink(owner: BotOwner, reference: Partial<ConversationReference>): Promise<IssuedLink> {
    return this.store.issue(owner, reference);
  }

  /** Cancels an earlier pending link of the owner (a newer one replaced it). */
  async cancelLink(owner: BotOwner, linkId: string): Promise<void> {
    await this.store.cancel(owner, linkId);
  }

  /** Checks a link URL's parameters against the stored link; changes nothing. */
  async inspect(params: LinkParams): Promise<LinkCheck> {
    const parsed = paramsSchema.safeParse(params);
    if (!parsed.success) return { status: 'invalid' };

    const link = await this.store.find(parsed.data.linkId);
    if (link === null || !this.store.verifySignature(link, parsed.data.sig)) {
      return { status: 'invalid' };
    }
    if (link.tenantId !== parsed.data.ws) return { status: 'other-workspace' };
    if (link.state === LinkState.Used) return { status: 'used' };
    if (link.state !== LinkState.Pending || link.expiresAt.getTime() <= this.clock.now()) {
      return { status: 'expired' };
    }
    return { status: 'valid', link };
  }

  /** Whether the link and the client may try credentials now. */
  async mayTry(link: LinkDocument, clientAddress: string) {
    return this.throttle.check(link._id, clientAddress);
  }

  /**
   * Checks credentials entered for a valid link. Right ones are sealed under the app's key and
   * stored with the link as it moves to `used` (one atomic update), then the conversation is
   * resumed; wrong ones count against the throttle and change nothing else.
   */
  async submit(
    link: LinkDocument,
    entered: BasicCredentials,
    clientAddress: string,
    resume: ResumeConversation,
  ): Promise<SubmitOutcome> {
    const verdict = await this.throttle.check(link._id, clientAddress);
    if (!verdict.allowed)
      return { status: 'throttled', retryAfterSeconds: verdict.retryAfterSeconds };

    const parsed = basicCredentialsSchema.safeParse(entered);
    try {
      if (!parsed.success || !(await this.profiles.matches(link, parsed.data))) {
        await this.throttle.recordFailure(link._id, clientAddress);
        return { status: 'wrong-credentials' };
      }

      const json = Buffer.from(JSON.stringify(parsed.data), 'utf8');
      const sealed = await this.sealer.seal(credentialsScope(link, link._id), json);
      json.fill(0);
      const claimed = await this.store.claim(link, {
        envelope: new Binary(sealed.envelope),
        provenance: sealed.provenance,
      });
      if (claimed === null) return await this.lostRace(link._id);
    } catch (error) {
      if (!isKeyFailure(error)) throw error;
      await this.recordKeyFailure(link, error, 'credentials', await this.appKeyConfigOf(link));
      return { status: 'key-unavailable', code: error.code };
    }

    const result: LinkResult = {
      linkId: link._id,
      owner: ownerFields(link),
      outcome: LinkOutcome.Succeeded,
    };
    await this.resumeFor(link, result, resume);
    return { status: 'succeeded', result };
  }

  /**
   * Reads the credentials stored for a used link back through decryption, for the bot's
   * confirmation. A key that cannot be used is reported (health, log, count) and returned as
   * `key-unavailable` with its reason code, so the bot can say so instead of failing.
   */
  async readStoredCredentials(owner: BotOwner, linkId: string): Promise<StoredCredentialsReport> {
    const link = await this.store.find(linkId);
    const credentials = link?.credentials;
    if (
      link?.botId !== owner.botId ||
      link.tenantId !== owner.tenantId ||
      credentials === undefined
    ) {
      throw new ByokError(
        ErrorCode.NotFound,
        'no credentials are stored for this authorization link',
      );
    }

    const scope = credentialsScope(link, link._id);
    const envelope = Buffer.from(credentials.envelope.buffer);
    const provenance = await this.sealer.provenanceOf(scope, envelope);
    const keyLabel = keyLabelOf(provenance);
    try {
      const json = await this.sealer.open(scope, envelope);
      const opened = basicCredentialsSchema.parse(JSON.parse(json.toString('utf8')));
      json.fill(0);
      return { status: 'readable', username: opened.username, keyLabel };
    } catch (error) {
      if (!isKeyFailure(error)) throw error;
      await this.recordKeyFailure(link, error, 'credentials', provenance.keyConfigId);
      return { status: 'key-unavailable', code: error.code, keyLabel };
    }
  }

  /** Opens the link's reference and resumes its conversation; failures are logged, not thrown. */
  async resumeFor(link: LinkDocument, result: LinkResult, resume: ResumeConversation) {
    try {
      await resume(await this.store.openReference(link), result);
    } catch (error) {
      if (isKeyFailure(error)) await this.recordKeyFailure(link, error, 'link');
      this.logger.warn(
        { code: toByokError(error).code, outcome: result.outcome },
        'could not resume the conversation of an authorization link',
      );
    }
  }

  /**
   * Logs, counts and reports a key failure of a link's owner. `keyConfigId` names the failing
   * key when known; otherwise the key resolver (if any) names the owner's current one.
   */
  async recordKeyFailure(
    owner: BotOwner,
    error: unknown,
    kind: SealedRecordKind,
    keyConfigId?: string | null,
  ): Promise<void> {
    const failures = new SealingFailureHandler({
      owner: ownerFields(owner),
      logger: this.logger,
      onKeyFailure: this.onKeyFailure,
      counter: this.counter,
      keyResolver: this.keyResolver,
      clock: this.clock,
    });
    await failures.record(toByokError(error), kind, keyConfigId);
  }

  /** The key configuration that seals the app's own data now (credentials are app data). */
  private async appKeyConfigOf(owner: BotOwner): Promise<string | null> {
    const app = { tenantId: owner.tenantId, appId: owner.appId };
    const binding = await this.keyResolver?.resolveForSeal(app, this.clock.now()).catch(() => null);
    return binding?.keyConfigId ?? null;
  }

  private async lostRace(linkId: string): Promise<SubmitOutcome> {
    const now = await this.store.find(linkId);
    return { status: now?.state === LinkState.Used ? 'used' : 'expired' };
  }
}
