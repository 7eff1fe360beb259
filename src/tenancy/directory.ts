/**
 * Workspaces, their apps and the apps' bots. Every method that serves an admin takes the
 * admin's workspace id first and filters on it, so an id from another workspace is simply
 * not found: the answer is the same 404 as for an id that never existed, and ids cannot be
 * probed.
 */
import { z } from 'zod';

import type { Clock } from '../base/clock.js';
import { ByokError, ErrorCode } from '../base/errors.js';
import { newExternalId, randomId } from './ids.js';
import type { AppDoc, BotDoc, TenancyCollections, WorkspaceDoc } from './store.js';
import { idSchema, nameSchema, parseInput } from './validation.js';

/** A workspace as shown to admins and the CLI. */
export interface Workspace {
  id: string;
  name: string;
  /** The STS external ID the customer puts in the role's trust policy. Not a secret. */
  externalId: string;
  createdAt: string;
}

/** An app as shown to admins. */
export interface App {
  id: string;
  workspaceId: string;
  name: string;
  createdAt: string;
}

/** A bot as shown to admins. */
export interface Bot {
  id: string;
  workspaceId: string;
  appId: string;
  name: string;
  createdAt: string;
}

/** An app with its bots, the shape the key selection is built from. */
export interface AppWithBots extends App {
  bots: Bot[];
}

/** Input of {@link TenancyDirectory.createWorkspace}, `createApp` and `createBot`. */
export const createNamedSchema = z.object({ name: nameSchema }).strict();

const toWorkspace = (d: WorkspaceDoc): Workspace => ({
  id: d._id,
  name: d.name,
  externalId: d.externalId,
  createdAt: d.createdAt.toISOString(),
});
const toApp = (d: AppDoc): App => ({
  id: d._id,
  workspaceId: d.workspaceId,
  name: d.name,
  createdAt: d.createdAt.toISOString(),
});
const toBot = (d: BotDoc): Bot => ({
  id: d._id,
  workspaceId: d.workspaceId,
  appId: d.appId,
  name: d.name,
  createdAt: d.createdAt.toISOString(),
});

function notFound(what: string): ByokError {
  return new ByokError(ErrorCode.NotFound, `${what} not found`);
}

/** Reads and creates workspaces, apps and bots. */
export class TenancyDirectory {
  constructor(
    private readonly c: TenancyCollections,
    private readonly clock: Clock,
  ) {}

  /** Creates a workspace with a fresh external ID. Platform operators only (CLI). */
  async createWorkspace(input: unknown): Promise<Workspace> {
    const { name } = parseInput(createNamedSchema, input, 'workspace');
    const doc: WorkspaceDoc = {
      _id: randomId('ws'),
      name,
      externalId: newExternalId(),
      createdAt: new Date(this.clock.now()),
    };
    await this.c.workspaces.insertOne(doc);
    return toWorkspace(doc);
  }

  /** Every workspace. Platform operators only (CLI); admins never see this list. */
  async listWorkspaces(): Promise<Workspace[]> {
    const docs = await this.c.workspaces.find({}).sort({ createdAt: 1 }).toArray();
    return docs.map(toWorkspace);
  }

  /** One workspace, or `NOT_FOUND`. */
  async getWorkspace(workspaceId: string): Promise<Workspace> {
    const id = parseInput(idSchema, workspaceId, 'workspace id');
    const doc = await this.c.workspaces.findOne({ _id: id });
    if (doc === null) throw notFound('workspace');
    return toWorkspace(doc);
  }

  /** Creates an app in `workspaceId`. */
  async createApp(workspaceId: string, input: unknown): Promise<App> {
    const { name } = parseInput(createNamedSchema, input, 'app');
    await this.getWorkspace(workspaceId);

    const doc: AppDoc = {
      _id: randomId('app'),
      workspaceId,
      name,
      createdAt: new Date(this.clock.now()),
    };
    await this.c.apps.insertOne(doc);
    return toApp(doc);
  }

  /** The apps of a workspace, oldest first. */
  async listApps(workspaceId: string): Promise<App[]> {
    const docs = await this.c.apps.find({ workspaceId }).sort({ createdAt: 1, _id: 1 }).toArray();
    return docs.map(toApp);
  }

  /** One app of `workspaceId`, or `NOT_FOUND` (also for another workspace's app). */
  async getApp(workspaceId: string, appId: unknown): Promise<App> {
    const id = parseInput(idSchema, appId, 'app id');
    const doc = await this.c.apps.findOne({ _id: id, workspaceId });
    if (doc === null) throw notFound('app');
    return toApp(doc);
  }

  /** Creates a bot in an app of `workspaceId`. */
  async createBot(workspaceId: string, appId: unknown, input: unknown): Promise<Bot> {
    const { name } = parseInput(createNamedSchema, input, 'bot');
    const app = await this.getApp(workspaceId, appId);

    const doc: BotDoc = {
      _id: randomId('bot'),
      workspaceId,
      appId: app.id,
      name,
      createdAt: new Date(this.clock.now()),
    };
    await this.c.bots.insertOne(doc);
    return toBot(doc);
  }

  /** The bots of a workspace, or of one of its apps (`NOT_FOUND` for a foreign app). */
  async listBots(workspaceId: string, appId?: unknown): Promise<Bot[]> {
    const filter: Partial<BotDoc> = { workspaceId };
    if (appId !== undefined) filter.appId = (await this.getApp(workspaceId, appId)).id;

    const docs = await this.c.bots.find(filter).sort({ createdAt: 1, _id: 1 }).toArray();
    return docs.map(toBot);
  }

  /** One bot of `workspaceId`, or `NOT_FOUND`. */
  async getBot(workspaceId: string, botId: unknown): Promise<Bot> {
    const id = parseInput(idSchema, botId, 'bot id');
    const doc = await this.c.bots.findOne({ _id: id, workspaceId });
    if (doc === null) throw notFound('bot');
    return toBot(doc);
  }

  /** Every app of a workspace with its bots. */
  async listAppsWithBots(workspaceId: string): Promise<AppWithBots[]> {
    const [apps, bots] = await Promise.all([
      this.listApps(workspaceId),
      this.listBots(workspaceId),
    ]);
    return apps.map((app) => ({ ...app, bots: bots.filter((b) => b.appId === app.id) }));
  }

  /**
   * Finds a bot by id across workspaces, for the bot host routing an incoming activity. Not
   * for admin requests: those must use {@link getBot} with the admin's workspace.
   */
  async findBot(botId: string): Promise<Bot | null> {
    const parsed = idSchema.safeParse(botId);
    if (!parsed.success) return null;
    const doc = await this.c.bots.findOne({ _id: parsed.data });
    return doc === null ? null : toBot(doc);
  }
}
