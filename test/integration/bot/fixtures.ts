/**
 * The real pieces the bot tests run on: a fresh FerretDB database, the key vault, the
 * envelope sealer under the local default key, and the Basic Auth service. The only double is
 * {@link SwitchableKeyProvider}, which wraps the real local key and can be told to answer the
 * way KMS does for a disabled key.
 */
import { randomBytes } from 'node:crypto';

import type {
  EncryptionContext,
  GeneratedDataKey,
  KeyDescription,
  KeyProvider,
} from '../../../src/aws/key-provider.js';
import { LocalKeyProvider } from '../../../src/aws/local-key.js';
import { ManualClock } from '../../../src/base/clock.js';
import { ByokError, ErrorCode } from '../../../src/base/errors.js';
import { BasicAuthService, SealingFailureCounter } from '../../../src/bot/index.js';
import { resumeThroughTestAdapter } from '../../../src/harness/index.js';
import {
  type DataOwner,
  defaultKeyBinding,
  EnvelopeSealer,
  type KeyBinding,
  type KeyResolver,
} from '../../../src/sealing/index.js';
import { MongoKeyVault } from '../../../src/store/key-vault.js';
import { type TestDatabase, testDatabase } from '../../support/db.js';

/** The local default key, which can be switched to refuse like a disabled KMS key. */
export class SwitchableKeyProvider implements KeyProvider {
  readonly kind;
  readonly keyRef;
  disabled = false;

  constructor(private readonly inner: LocalKeyProvider) {
    this.kind = inner.kind;
    this.keyRef = inner.keyRef;
  }

  generateDataKey(context: EncryptionContext): Promise<GeneratedDataKey> {
    return this.guard(() => this.inner.generateDataKey(context));
  }

  decryptDataKey(wrapped: Buffer, context: EncryptionContext): Promise<Buffer> {
    return this.guard(() => this.inner.decryptDataKey(wrapped, context));
  }

  wrapDataKey(plaintext: Buffer, context: EncryptionContext): Promise<Buffer> {
    return this.guard(() => this.inner.wrapDataKey(plaintext, context));
  }

  describe(): Promise<KeyDescription> {
    return this.inner.describe();
  }

  private guard<T>(call: () => Promise<T>): Promise<T> {
    if (!this.disabled) return call();
    return Promise.reject(new ByokError(ErrorCode.KeyDisabled, 'the key is disabled'));
  }
}

/** The key configuration the tests' workspace key belongs to. */
export const workspaceKeyConfigId = 'kc-test';
export const workspaceKeyName = 'Test CMK';

/**
 * Binds app-level data of the apps in `workspaceApps` to a workspace key and everything else
 * to the default key, as the key-configuration resolver does for an app that is selected
 * while its bots are not.
 */
export class SelectiveResolver implements KeyResolver {
  readonly workspaceApps = new Set<string>();

  constructor(
    private readonly defaultKey: KeyProvider,
    private readonly workspaceKey: KeyProvider,
  ) {}

  resolveForSeal(owner: DataOwner): Promise<KeyBinding> {
    const onWorkspaceKey = owner.botId === undefined && this.workspaceApps.has(owner.appId);
    return this.providerFor(owner.tenantId, onWorkspaceKey ? workspaceKeyConfigId : null);
  }

  providerFor(_tenantId: string, keyConfigId: string | null): Promise<KeyBinding> {
    return Promise.resolve(
      keyConfigId === null
        ? defaultKeyBinding(this.defaultKey)
        : { provider: this.workspaceKey, keyConfigId, keyName: workspaceKeyName },
    );
  }
}

/** A key failure as key health would receive it. */
export interface ReportedFailure {
  tenantId: string;
  keyConfigId: string | null;
  code: string;
}

/** Everything a bot test needs, on a database of its own. */
export interface BotWorld {
  database: TestDatabase;
  clock: ManualClock;
  /** The platform default key. */
  provider: SwitchableKeyProvider;
  /** The workspace key of the apps in `resolver.workspaceApps`. */
  workspaceKey: SwitchableKeyProvider;
  resolver: SelectiveResolver;
  vault: MongoKeyVault;
  sealer: EnvelopeSealer;
  service: BasicAuthService;
  counter: SealingFailureCounter;
  failures: ReportedFailure[];
  onKeyFailure: (tenantId: string, keyConfigId: string | null, error: ByokError) => void;
  /** A sealer as a freshly started process has it: same vault and key, empty DEK cache. */
  restartedSealer(): EnvelopeSealer;
  /** A Basic Auth service of another process: same database and secret, its own sealer. */
  newService(sealer: EnvelopeSealer): BasicAuthService;
}

/** Public base URL the links point at in these tests. */
export const testPublicUrl = 'http://127.0.0.1:3978';

/** Builds a fresh world on its own database. */
export async function createBotWorld(): Promise<BotWorld> {
  const database = await testDatabase('bot');
  const clock = new ManualClock(Date.now());
  const provider = new SwitchableKeyProvider(new LocalKeyProvider(randomBytes(32)));
  const workspaceKey = new SwitchableKeyProvider(new LocalKeyProvider(randomBytes(32)));
  const resolver = new SelectiveResolver(provider, workspaceKey);
  const vault = new MongoKeyVault(database.db);
  await vault.ensureIndexes();
  const newSealer = () => new EnvelopeSealer({ vault, resolver, clock });
  const sealer = newSealer();
  const counter = new SealingFailureCounter();
  const failures: ReportedFailure[] = [];
  const onKeyFailure = (tenantId: string, keyConfigId: string | null, error: ByokError) => {
    failures.push({ tenantId, keyConfigId, code: error.code });
  };
  const secret = randomBytes(32);
  const newService = (withSealer: EnvelopeSealer) =>
    new BasicAuthService({
      db: database.db,
      sealer: withSealer,
      secret,
      publicUrl: testPublicUrl,
      ttlSeconds: 600,
      clock,
      onKeyFailure,
      keyResolver: resolver,
      counter,
    });
  const service = newService(sealer);
  await service.ensureIndexes();
  return {
    database,
    clock,
    provider,
    workspaceKey,
    resolver,
    vault,
    sealer,
    service,
    counter,
    failures,
    onKeyFailure,
    restartedSealer: newSealer,
    newService,
  };
}

/** Resumes conversations through a TestAdapter, as the harness does. */
export const testAdapterResume = resumeThroughTestAdapter;

/** Every string value in a raw document tree, and every binary decoded as UTF-8. */
export function rawStrings(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (value instanceof Uint8Array) return [Buffer.from(value).toString('utf8')];
  if (typeof value === 'object' && value !== null && 'buffer' in value) {
    const buffer = value.buffer;
    if (buffer instanceof Uint8Array) return [Buffer.from(buffer).toString('utf8')];
  }
  if (Array.isArray(value)) return value.flatMap(rawStrings);
  if (typeof value === 'object' && value !== null) return Object.values(value).flatMap(rawStrings);
  return [];
}
