/**
 * Which apps and bots of a workspace use a key configuration. Everything is selected by
 * default and only the deselected ids are stored, so the lists stay short and a deselected
 * app or bot stays on the platform default key. A bot uses the key only when it and its app
 * are both selected; a request that selects a bot of a deselected app is refused rather than
 * silently ignored.
 */
import { z } from 'zod';

import { ByokError, ErrorCode } from '../base/errors.js';
import { idSchema, parseInput } from '../tenancy/validation.js';
import { type Actor, AuditAction } from './audit.js';
import { type KeyConfigDoc, KeyPhase } from './model.js';
import { checkSelectable, checkVersion, versionSchema } from './rules.js';
import type { KeyConfigService, KeyServiceDeps } from './service.js';

/** Body of a selection change: the complete list of selected apps and bots. */
export const selectionSchema = z
  .object({
    selectedAppIds: z.array(idSchema).max(1000),
    selectedBotIds: z.array(idSchema).max(10000),
    version: versionSchema,
  })
  .strict();

/** A bot in the selection view. */
export interface SelectionBot {
  id: string;
  name: string;
  selected: boolean;
}

/** An app in the selection view, with its bots. */
export interface SelectionApp {
  id: string;
  name: string;
  selected: boolean;
  bots: SelectionBot[];
}

/** Every app and bot of the workspace and whether it uses the key configuration. */
export interface Selection {
  keyConfigId: string;
  version: number;
  /** False until a test passed: apps and bots can be chosen only after that. */
  editable: boolean;
  apps: SelectionApp[];
}

/** Reads and changes the app and bot selection of key configurations. */
export class SelectionService {
  constructor(
    private readonly deps: KeyServiceDeps,
    private readonly configs: KeyConfigService,
  ) {}

  /** The selection of a configuration. */
  async get(workspaceId: string, id: string): Promise<Selection> {
    return this.view(await this.deps.store.get(workspaceId, id));
  }

  /**
   * Replaces the selection. Unknown ids (including other workspaces' ids) are `BAD_INPUT` and
   * nothing is stored. Allowed after a passing test, and still allowed once enforced.
   */
  async put(actor: Actor, workspaceId: string, id: string, input: unknown): Promise<Selection> {
    const body = parseInput(selectionSchema, input, 'selection');
    const doc = await this.deps.store.get(workspaceId, id);
    checkVersion(doc, body.version);
    await this.configs.refuseAudited(actor, doc, { action: 'select' }, () => {
      checkSelectable(doc);
    });

    const apps = await this.deps.directory.listAppsWithBots(workspaceId);
    const appIds = new Set(apps.map((a) => a.id));
    const botApp = new Map(apps.flatMap((a) => a.bots.map((b) => [b.id, a.id] as const)));
    const selectedApps = new Set(body.selectedAppIds);
    const selectedBots = new Set(body.selectedBotIds);
    const unknownApps = [...selectedApps].filter((a) => !appIds.has(a));
    const unknownBots = [...selectedBots].filter((b) => !botApp.has(b));
    if (unknownApps.length > 0 || unknownBots.length > 0) {
      throw new ByokError(
        ErrorCode.BadInput,
        'the selection names apps or bots this workspace does not have',
        {
          details: {
            unknownAppIds: unknownApps.slice(0, 20),
            unknownBotIds: unknownBots.slice(0, 20),
          },
        },
      );
    }
    const orphans = [...selectedBots].filter((b) => !selectedApps.has(botApp.get(b) ?? ''));
    if (orphans.length > 0) {
      throw new ByokError(
        ErrorCode.BadInput,
        'a bot can use the key only when its app does too: select its app or deselect the bot',
        {
          details: { botIds: orphans.slice(0, 20) },
        },
      );
    }

    const deselectedAppIds = [...appIds].filter((a) => !selectedApps.has(a));
    const deselectedBotIds = [...botApp.keys()].filter((b) => !selectedBots.has(b));
    const now = new Date(this.deps.clock.now());
    const next = await this.deps.store.update(
      doc,
      { $set: { deselectedAppIds, deselectedBotIds } },
      now,
    );

    await this.deps.audit.record({
      workspaceId,
      keyConfigId: id,
      actor,
      action: AuditAction.SelectionChanged,
      outcome: 'success',
      details: {
        selectedAppIds: [...selectedApps],
        selectedBotIds: [...selectedBots],
        deselectedAppIds,
        deselectedBotIds,
      },
    });
    this.deps.onChange(workspaceId);
    return this.view(next);
  }

  private async view(doc: KeyConfigDoc): Promise<Selection> {
    const apps = await this.deps.directory.listAppsWithBots(doc.workspaceId);
    const offApps = new Set(doc.deselectedAppIds);
    const offBots = new Set(doc.deselectedBotIds);
    return {
      keyConfigId: doc._id,
      version: doc.version,
      editable: doc.phase !== KeyPhase.Draft,
      apps: apps.map((app) => {
        const appSelected = !offApps.has(app.id);
        return {
          id: app.id,
          name: app.name,
          selected: appSelected,
          bots: app.bots.map((b) => ({
            id: b.id,
            name: b.name,
            selected: appSelected && !offBots.has(b.id),
          })),
        };
      }),
    };
  }
}

/** Whether `owner` uses the configuration, given its stored deselections. */
export function isSelected(
  doc: Pick<KeyConfigDoc, 'deselectedAppIds' | 'deselectedBotIds'>,
  owner: { appId: string; botId?: string },
): boolean {
  if (doc.deselectedAppIds.includes(owner.appId)) return false;
  return owner.botId === undefined || !doc.deselectedBotIds.includes(owner.botId);
}
