/**
 * Who owns the bot data a plugin instance writes, and how record ids are derived from it.
 * Every stored record carries workspace, app and bot, and every `_id` is a digest: ids never
 * hold user text, conversation keys or anything a reader of the raw collection could use.
 */
import { createHash } from 'node:crypto';

import type { DataOwner } from '../../sealing/types.js';

/** A bot of an app of a workspace: the owner of every transcript and state record. */
export interface BotOwner extends DataOwner {
  botId: string;
}

/**
 * A stable record id from its parts: the SHA-256 of their JSON array, hex encoded. Parts are
 * joined as JSON so that `['a:b', 'c']` and `['a', 'b:c']` never collide.
 */
export function recordIdOf(...parts: readonly string[]): string {
  return createHash('sha256').update(JSON.stringify(parts)).digest('hex');
}

/**
 * Collection options for bot data: a write resolves only once a majority of the replica set
 * (the single server, on a standalone or FerretDB) has acknowledged it, so a turn that
 * completed is never lost to a failover.
 */
export const acknowledgedWrites = { writeConcern: { w: 'majority' } } as const;

/** The owner fields stored in the clear on every record, for queries and analytics. */
export function ownerFields(owner: BotOwner): BotOwner {
  return { tenantId: owner.tenantId, appId: owner.appId, botId: owner.botId };
}
