/**
 * The sealing plugin: what any botbuilder bot adopts to keep its transcripts and its state in
 * MongoDB sealed under its workspace's key. It is the SDK's own interfaces (`TranscriptStore`,
 * `Middleware`, `Storage`) backed by a {@link Sealer}; the host's bots use exactly these.
 *
 * @example
 * ```ts
 * const plugin = createSealingPlugin({ db, sealer, owner: { tenantId, appId, botId } });
 * adapter.use(plugin.transcriptLogger);
 * const conversationState = new ConversationState(plugin.storage);
 * ```
 */
import { MiddlewareSet, type TurnContext } from 'botbuilder';
import type { Db } from 'mongodb';

import type { Clock } from '../../base/clock.js';
import { type Logger, silentLogger } from '../../base/log.js';
import type { KeyResolver, Sealer } from '../../sealing/types.js';
import { type OnKeyFailure, SealingFailureCounter, SealingFailureHandler } from './failures.js';
import type { BotOwner } from './owner.js';
import { SealedStorage } from './state-storage.js';
import { SealedTranscriptLogger } from './transcript-logger.js';
import { SealedTranscriptStore } from './transcript-store.js';

export {
  isKeyFailure,
  keyConfigIdOf,
  type OnKeyFailure,
  type SealedRecordKind,
  SealingFailureCounter,
  SealingFailureHandler,
  type SealingFailureHandlerOptions,
  unsavedTurnNotice,
} from './failures.js';
export { type BotOwner, recordIdOf } from './owner.js';
export {
  SealedStorage,
  type SealedStorageOptions,
  stateCollection,
  type StateDocument,
} from './state-storage.js';
export { SealedTranscriptLogger, type SealedTranscriptLoggerOptions } from './transcript-logger.js';
export {
  type ConversationDocument,
  type Direction,
  SealedTranscriptStore,
  type SealedTranscriptStoreOptions,
  transcriptCollections,
  type TranscriptDocument,
} from './transcript-store.js';

/** What {@link createSealingPlugin} needs. */
export interface SealingPluginOptions {
  db: Db;
  sealer: Sealer;
  /** The workspace, app and bot whose data this is; bound into every record and envelope. */
  owner: BotOwner;
  logger?: Logger;
  /** Told about every key failure; the host passes key health's reporter. */
  onKeyFailure?: OnKeyFailure;
  /** Names the key configuration of failures whose error does not (see the failure handler). */
  keyResolver?: KeyResolver;
  /** Shared across bots to count failures process-wide; one per plugin when omitted. */
  counter?: SealingFailureCounter;
  clock?: Clock;
  /** Page size of transcript reads; default 20. */
  pageSize?: number;
}

/** The plugin's parts for one bot. */
export interface SealingPlugin {
  /** The SDK `TranscriptStore`: read, list and delete sealed transcripts. */
  transcriptStore: SealedTranscriptStore;
  /** The SDK `Middleware` that stores each activity sealed and awaits the write. */
  transcriptLogger: SealedTranscriptLogger;
  /** The SDK `Storage` for `ConversationState` and `UserState`, sealed. */
  storage: SealedStorage;
  /** Logs, counts and reports key failures; exposes the failure counter. */
  failures: SealingFailureHandler;
}

/** Builds the sealing plugin for one bot. */
export function createSealingPlugin(options: SealingPluginOptions): SealingPlugin {
  const common = {
    db: options.db,
    sealer: options.sealer,
    owner: options.owner,
    ...(options.clock === undefined ? {} : { clock: options.clock }),
  };
  const failures = new SealingFailureHandler({
    owner: options.owner,
    logger: options.logger ?? silentLogger,
    onKeyFailure: options.onKeyFailure,
    counter: options.counter ?? new SealingFailureCounter(),
    keyResolver: options.keyResolver,
    clock: options.clock,
  });
  const transcriptStore = new SealedTranscriptStore({
    ...common,
    ...(options.pageSize === undefined ? {} : { pageSize: options.pageSize }),
  });
  return {
    transcriptStore,
    transcriptLogger: new SealedTranscriptLogger({ store: transcriptStore, failures }),
    storage: new SealedStorage(common),
    failures,
  };
}

/**
 * Runs one turn of a bot behind its plugin's transcript logger. For hosts that serve many bots
 * from one adapter, where `adapter.use` cannot pick the bot: the bot wraps its own turns.
 */
export async function runSealed(
  plugin: SealingPlugin,
  context: TurnContext,
  logic: () => Promise<void>,
): Promise<void> {
  await new MiddlewareSet(plugin.transcriptLogger).run(context, logic);
}

/** Creates the indexes of the plugin's collections. Idempotent; call once at start-up. */
export async function ensureSealingPluginIndexes(db: Db): Promise<void> {
  await SealedTranscriptStore.ensureIndexes(db);
}
