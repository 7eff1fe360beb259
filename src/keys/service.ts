/**
 * The key configuration lifecycle: create, change, test and proceed. Every rule lives in
 * `rules.ts`; this file reads the configuration, applies the rule, writes one atomic update
 * and records what happened in the audit trail, including refusals.
 */
import { z } from 'zod';

import type { Clock } from '../base/clock.js';
import { isByokError } from '../base/errors.js';
import type { TenancyDirectory, Workspace } from '../tenancy/directory.js';
import { randomId } from '../tenancy/ids.js';
import { nameSchema, parseInput } from '../tenancy/validation.js';
import { type Actor, AuditAction, type AuditLog } from './audit.js';
import { type KeyConfig, type KeyConfigDoc, KeyPhase, stateAt, toKeyConfig } from './model.js';
import {
  checkArns,
  checkEditable,
  checkEnforcementDate,
  checkProceed,
  checkVersion,
  dateSchema,
  versionSchema,
} from './rules.js';
import type { KeyConfigStore } from './store.js';
import type { KeyTester } from './test-configuration.js';

const arnString = z.string().min(1).max(2048);

/** Body of a new key configuration. */
export const createKeySchema = z
  .object({
    name: nameSchema,
    provider: z.literal('aws').default('aws'),
    cmkArn: arnString,
    roleArn: arnString,
    enforcementDate: dateSchema,
  })
  .strict();

/** Body of a change; `version` is the one the admin's view was based on. */
export const updateKeySchema = z
  .object({
    name: nameSchema.optional(),
    cmkArn: arnString.optional(),
    roleArn: arnString.optional(),
    enforcementDate: dateSchema.optional(),
    version: versionSchema,
  })
  .strict();

/** Body of proceed (and of other version-checked actions without fields). */
export const versionOnlySchema = z.object({ version: versionSchema }).strict();

/** What the key services share. */
export interface KeyServiceDeps {
  store: KeyConfigStore;
  audit: AuditLog;
  directory: TenancyDirectory;
  tester: KeyTester;
  clock: Clock;
  /** The platform principal customers name in their role's trust policy. */
  serviceRoleArn: string;
  /** Called after every change, so in-process caches of the workspace drop their copy. */
  onChange: (workspaceId: string) => void;
}

const editableFields = ['name', 'cmkArn', 'roleArn', 'enforcementDate'] as const;
/** Fields whose change makes the last test meaningless. */
const retestFields: ReadonlySet<string> = new Set(['cmkArn', 'roleArn', 'enforcementDate']);

/** Creates, changes, tests and schedules key configurations of a workspace. */
export class KeyConfigService {
  constructor(private readonly deps: KeyServiceDeps) {}

  /** The configurations of a workspace. */
  async list(workspaceId: string): Promise<KeyConfig[]> {
    const docs = await this.deps.store.list(workspaceId);
    if (docs.length === 0) return [];
    const workspace = await this.deps.directory.getWorkspace(workspaceId);
    return docs.map((doc) => this.shape(doc, workspace));
  }

  /** One configuration, or `NOT_FOUND`. */
  async get(workspaceId: string, id: string): Promise<KeyConfig> {
    return this.view(await this.deps.store.get(workspaceId, id));
  }

  /** Creates a draft configuration after checking both ARNs and the date. */
  async create(actor: Actor, workspaceId: string, input: unknown): Promise<KeyConfig> {
    const body = parseInput(createKeySchema, input, 'key configuration');
    const { cmk, roleArn } = checkArns(body.cmkArn, body.roleArn);
    const now = this.deps.clock.now();
    checkEnforcementDate(body.enforcementDate, now);
    const workspace = await this.deps.directory.getWorkspace(workspaceId);

    const doc: KeyConfigDoc = {
      _id: randomId('key'),
      workspaceId,
      name: body.name,
      provider: 'aws',
      cmkArn: cmk.arn,
      roleArn,
      enforcementDate: body.enforcementDate,
      phase: KeyPhase.Draft,
      lastTest: null,
      deselectedAppIds: [],
      deselectedBotIds: [],
      retiredKeys: [],
      rotationJobId: null,
      version: 1,
      createdBy: actor,
      createdAt: new Date(now),
      updatedAt: new Date(now),
      proceededAt: null,
    };
    await this.deps.store.insert(doc);
    await this.deps.audit.record({
      workspaceId,
      keyConfigId: doc._id,
      actor,
      action: AuditAction.KeyCreated,
      outcome: 'success',
      details: {
        name: doc.name,
        cmkArn: doc.cmkArn,
        roleArn,
        enforcementDate: doc.enforcementDate,
      },
    });
    this.deps.onChange(workspaceId);
    return this.shape(doc, workspace);
  }

  /**
   * Changes name, ARNs or date. Until the enforcement date any change is allowed and a change
   * of key, role or date sends the configuration back to draft (test again, proceed again);
   * from that date every such change is refused.
   */
  async update(actor: Actor, workspaceId: string, id: string, input: unknown): Promise<KeyConfig> {
    const body = parseInput(updateKeySchema, input, 'key configuration change');
    const doc = await this.deps.store.get(workspaceId, id);
    checkVersion(doc, body.version);

    const changes: Partial<Record<(typeof editableFields)[number], string>> = {};
    for (const field of editableFields) {
      const value = body[field];
      if (value !== undefined && value !== doc[field]) changes[field] = value;
    }
    const fields = Object.keys(changes);
    if (fields.length === 0) return this.view(doc);

    const now = this.deps.clock.now();
    await this.refuseAudited(actor, doc, { fields }, () => {
      checkEditable(doc, now, fields);
    });
    if (changes.cmkArn !== undefined || changes.roleArn !== undefined) {
      const checked = checkArns(changes.cmkArn ?? doc.cmkArn, changes.roleArn ?? doc.roleArn);
      if (changes.cmkArn !== undefined) changes.cmkArn = checked.cmk.arn;
    }
    if (changes.enforcementDate !== undefined) checkEnforcementDate(changes.enforcementDate, now);

    const retest = fields.some((f) => retestFields.has(f));
    const next = await this.deps.store.update(
      doc,
      { $set: { ...changes, ...(retest ? { phase: KeyPhase.Draft, proceededAt: null } : {}) } },
      new Date(now),
    );
    if (retest && doc.phase === KeyPhase.Scheduled) {
      await this.deps.store.releaseActive(workspaceId, id);
    }

    const changed = Object.fromEntries(
      fields.map((f) => [
        f,
        { from: doc[f as keyof KeyConfigDoc], to: changes[f as keyof typeof changes] },
      ]),
    );
    await this.record(actor, next, AuditAction.KeyUpdated, 'success', {
      changed,
      retestRequired: retest,
    });
    this.deps.onChange(workspaceId);
    return this.view(next);
  }

  /**
   * Runs Test Configuration on the stored key and role and stores the result. A pass moves a
   * draft to tested; a failure moves tested back to draft. A scheduled configuration keeps its
   * phase: its key health reports the failure.
   */
  async test(actor: Actor, workspaceId: string, id: string): Promise<KeyConfig> {
    const doc = await this.deps.store.get(workspaceId, id);
    const workspace = await this.deps.directory.getWorkspace(workspaceId);
    const result = await this.deps.tester.run({
      tenantId: workspaceId,
      cmkArn: doc.cmkArn,
      roleArn: doc.roleArn,
      externalId: workspace.externalId,
    });

    const phase =
      doc.phase === KeyPhase.Scheduled
        ? doc.phase
        : result.passed
          ? KeyPhase.Tested
          : KeyPhase.Draft;
    // Based on the version read before the test: a change made meanwhile makes this result stale.
    const next = await this.deps.store.update(
      doc,
      { $set: { lastTest: result, phase } },
      new Date(this.deps.clock.now()),
    );
    await this.record(actor, next, AuditAction.KeyTested, result.passed ? 'success' : 'failure', {
      testId: result.id,
      passed: result.passed,
      cmkArn: result.cmkArn,
      roleArn: result.roleArn,
      steps: result.steps.map((s) => ({
        id: s.id,
        status: s.status,
        code: s.code,
        awsCode: s.awsCode,
      })),
    });
    this.deps.onChange(workspaceId);
    return this.shape(next, workspace);
  }

  /** Schedules the configuration: from its enforcement date, selected apps and bots use it. */
  async proceed(
    actor: Actor,
    workspaceId: string,
    id: string,
    input: unknown = {},
  ): Promise<KeyConfig> {
    const body = parseInput(versionOnlySchema, input, 'proceed');
    const doc = await this.deps.store.get(workspaceId, id);
    checkVersion(doc, body.version);
    const now = this.deps.clock.now();
    await this.refuseAudited(actor, doc, { action: 'proceed' }, () => {
      checkProceed(doc, now);
    });

    await this.refuseAudited(actor, doc, { action: 'proceed' }, () =>
      this.deps.store.claimActive(workspaceId, id),
    );
    let next: KeyConfigDoc;
    try {
      next = await this.deps.store.update(
        doc,
        { $set: { phase: KeyPhase.Scheduled, proceededAt: new Date(now) } },
        new Date(now),
      );
    } catch (error) {
      await this.deps.store.releaseActive(workspaceId, id);
      throw error;
    }

    await this.record(actor, next, AuditAction.KeyProceeded, 'success', {
      enforcementDate: next.enforcementDate,
      state: stateAt(next, now),
    });
    this.deps.onChange(workspaceId);
    return this.view(next);
  }

  /** Shapes a document for admins, with the workspace's external ID. */
  async view(doc: KeyConfigDoc): Promise<KeyConfig> {
    return this.shape(doc, await this.deps.directory.getWorkspace(doc.workspaceId));
  }

  private shape(doc: KeyConfigDoc, workspace: Pick<Workspace, 'externalId'>): KeyConfig {
    return toKeyConfig(doc, this.deps.clock.now(), {
      externalId: workspace.externalId,
      serviceRoleArn: this.deps.serviceRoleArn,
    });
  }

  /** Runs a rule; a `CONFLICT` it raises is recorded as a refused change before it is thrown. */
  async refuseAudited(
    actor: Actor,
    doc: KeyConfigDoc,
    details: Record<string, unknown>,
    rule: () => void | Promise<void>,
  ): Promise<void> {
    try {
      await rule();
    } catch (error) {
      if (isByokError(error, 'CONFLICT')) {
        await this.record(actor, doc, AuditAction.KeyChangeRefused, 'refused', {
          ...details,
          reason: error.details?.reason,
          message: error.message,
        });
      }
      throw error;
    }
  }

  private async record(
    actor: Actor,
    doc: KeyConfigDoc,
    action: AuditAction,
    outcome: 'success' | 'failure' | 'refused',
    details: Record<string, unknown>,
  ): Promise<void> {
    await this.deps.audit.record({
      workspaceId: doc.workspaceId,
      keyConfigId: doc._id,
      actor,
      action,
      outcome,
      details,
    });
  }
}
