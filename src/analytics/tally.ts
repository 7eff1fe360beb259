/**
 * Counting transcript records by conversation and by key from their clear fields alone. The
 * database engines this runs on group only by sums, so first and last times are found here,
 * over records read without their envelopes.
 */
import { recordIdOf } from '../bot/plugin/owner.js';
import type { TranscriptDocument } from '../bot/plugin/transcript-store.js';
import type { ChatSummary, KeyUse } from './types.js';

/** The clear fields of a transcript record; analytics never fetches the envelope to count. */
export type ClearRecord = Omit<TranscriptDocument, 'envelope' | 'seq'>;

/** The projection that reads exactly {@link ClearRecord}. */
export const clearFields = {
  _id: 1,
  tenantId: 1,
  appId: 1,
  botId: 1,
  channelId: 1,
  conversationId: 1,
  direction: 1,
  type: 1,
  at: 1,
  provenance: 1,
} as const;

/** Display names of the workspace's apps and bots, by id. */
export interface Names {
  apps: ReadonlyMap<string, string>;
  bots: ReadonlyMap<string, string>;
}

/** The key of a conversation: the id its transcript store gives it in the conversation list. */
export function conversationKeyOf(
  record: Pick<ClearRecord, 'botId' | 'channelId' | 'conversationId'>,
) {
  return recordIdOf(record.botId, record.channelId, record.conversationId);
}

/** Counts of one conversation, built record by record. */
class ConversationTally {
  first: Date;
  last: Date;
  incoming = 0;
  outgoing = 0;
  activities = 0;
  readonly keys = new KeyTally();

  constructor(readonly sample: ClearRecord) {
    this.first = sample.at;
    this.last = sample.at;
  }

  add(record: ClearRecord): void {
    if (record.at < this.first) this.first = record.at;
    if (record.at > this.last) this.last = record.at;
    this.activities += 1;
    if (record.type === 'message') {
      if (record.direction === 'incoming') this.incoming += 1;
      else this.outgoing += 1;
    }
    this.keys.add(record);
  }

  summary(conversationKey: string, names: Names): Omit<ChatSummary, 'readable'> {
    const { appId, botId, channelId, conversationId } = this.sample;
    return {
      conversationKey,
      appId,
      appName: names.apps.get(appId) ?? null,
      botId,
      botName: names.bots.get(botId) ?? null,
      channelId,
      conversationId,
      firstAt: this.first.toISOString(),
      lastAt: this.last.toISOString(),
      messages: { incoming: this.incoming, outgoing: this.outgoing },
      activities: this.activities,
      keys: this.keys.list(),
    };
  }
}

/** Records per key. A key is its provider, configuration and wrapping key (a rotation splits). */
export class KeyTally {
  private readonly byKey = new Map<string, KeyUse>();

  add(record: Pick<ClearRecord, 'provenance'>): void {
    const { provider, keyConfigId, keyName, keyRef } = record.provenance;
    const id = JSON.stringify([provider, keyConfigId, keyRef]);
    const use = this.byKey.get(id);
    if (use === undefined)
      this.byKey.set(id, { provider, keyConfigId, keyName, keyRef, records: 1 });
    else use.records += 1;
  }

  /** Most used first. */
  list(): KeyUse[] {
    return [...this.byKey.values()].sort((a, b) => b.records - a.records);
  }
}

/**
 * Groups records by conversation, most recently active first. Records must come newest first
 * when the caller cut the scan short, so that what is missing is the oldest.
 */
export function tallyConversations(
  records: Iterable<ClearRecord>,
  names: Names,
): Omit<ChatSummary, 'readable'>[] {
  const byConversation = new Map<string, ConversationTally>();
  for (const record of records) {
    const key = conversationKeyOf(record);
    let tally = byConversation.get(key);
    if (tally === undefined) {
      tally = new ConversationTally(record);
      byConversation.set(key, tally);
    }
    tally.add(record);
  }

  return [...byConversation.entries()]
    .sort(([ka, a], [kb, b]) => b.last.getTime() - a.last.getTime() || ka.localeCompare(kb))
    .map(([key, tally]) => tally.summary(key, names));
}
