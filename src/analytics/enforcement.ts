/**
 * Totals since enforcement: for each key configuration whose enforcement date has come, how
 * many of the workspace's records since that date were sealed under its key, under the
 * platform default key, and under other configurations. Counted by the database from the
 * clear provenance of each record.
 */
import type { Collection } from 'mongodb';

import type { TranscriptDocument } from '../bot/plugin/transcript-store.js';
import { KeyState, startOfDay } from '../keys/model.js';
import type { EnforcementTotals } from './types.js';

/** The key configurations of a workspace, as much of them as the totals need. */
export interface KeyConfigList {
  list(
    workspaceId: string,
  ): Promise<readonly { id: string; name: string; state: string; enforcementDate: string }[]>;
}

/** Enforcement totals of the workspace's enforced configurations; none without a list. */
export async function enforcementTotals(
  activities: Collection<TranscriptDocument>,
  configs: KeyConfigList | undefined,
  at: { workspaceId: string },
): Promise<EnforcementTotals[]> {
  if (configs === undefined) return [];
  // A configuration reads as enforced exactly once its date has come.
  const enforced = (await configs.list(at.workspaceId)).filter(
    (c) => c.state === KeyState.Enforced,
  );

  const totals: EnforcementTotals[] = [];
  for (const config of enforced) {
    // Grouping by sums only: the engines this runs on support no other accumulator.
    const groups = await activities
      .aggregate<{ _id: string | null; records: number }>([
        {
          $match: {
            tenantId: at.workspaceId,
            at: { $gte: new Date(startOfDay(config.enforcementDate)) },
          },
        },
        { $group: { _id: '$provenance.keyConfigId', records: { $sum: 1 } } },
      ])
      .toArray();

    const count = (match: (id: string | null) => boolean) =>
      groups.filter((g) => match(g._id)).reduce((sum, g) => sum + g.records, 0);
    totals.push({
      keyConfigId: config.id,
      keyName: config.name,
      enforcementDate: config.enforcementDate,
      underKey: count((id) => id === config.id),
      underDefaultKey: count((id) => id === null),
      underOtherKeys: count((id) => id !== null && id !== config.id),
    });
  }
  return totals;
}
