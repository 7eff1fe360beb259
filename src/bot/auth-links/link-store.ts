/**
 * Authorization links as MongoDB records. A link is issued pending, bound to workspace, app,
 * bot, conversation and user, and leaves that state exactly once through an atomic
 * single-document update: to `used` (with the sealed credentials in the same write), to
 * `expired` (by the sweeper) or to `cancelled` (a newer link replaced it). Any process that
 * shares the database can complete or expire any link.
 *
 * The conversation reference needed to resume the chat is stored sealed under the bot's key;
 * the clear fields say only who owns the link, its conversation id and its lifecycle.
 */
import { createHash, randomBytes } from 'node:crypto';

import type { ConversationReference } from 'botbuilder';
import { Binary, type Collection, type Db } from 'mongodb';

import { type Clock, systemClock } from '../../base/clock.js';
import { ByokError, ErrorCode } from '../../base/errors.js';
import type { DataOwner, Provenance, Sealer, SealScope } from '../../sealing/types.js';
import { acknowledgedWrites, type BotOwner, ownerFields } from '../plugin/owner.js';
import { type LinkBinding, LinkSigner } from './signing.js';

/** Where a link is in its life. */
export const LinkState = {
  Pending: 'pending',
  Used: 'used',
  Expired: 'expired',
  Cancelled: 'cancelled',
} as const;
export type LinkState = (typeof LinkState)[keyof typeof LinkState];

/** A sealed value with its provenance, as stored. */
export interface SealedField {
  envelope: Binary;
  provenance: Provenance;
}

/** One authorization link. */
export interface LinkDocument extends BotOwner {
  _id: string;
  conversationId: string;
  userHash: string;
  state: LinkState;
  createdAt: Date;
  expiresAt: Date;
  changedAt?: Date;
  /** The conversation reference, sealed under the bot's key. */
  reference: SealedField;
  /** The entered credentials, sealed under the app's key; present once used. */
  credentials?: SealedField;
}

/** A freshly issued link. */
export interface IssuedLink {
  linkId: string;
  url: string;
  expiresAt: Date;
}

/** The collection links live in. */
export const linkCollection = 'auth_links';

/** Options of {@link LinkStore}. */
export interface LinkStoreOptions {
  db: Db;
  sealer: Sealer;
  signer: LinkSigner;
  /** Base URL the browser reaches the host at, e.g. `http://127.0.0.1:3978`. */
  publicUrl: string;
  ttlSeconds: number;
  clock?: Clock;
}

/** Issues, finds and moves authorization links. */
export class LinkStore {
  readonly links: Collection<LinkDocument>;
  readonly clock: Clock;
  private readonly sealer: Sealer;
  private readonly signer: LinkSigner;
  private readonly publicUrl: URL;
  private readonly ttlMs: number;

  constructor(options: LinkStoreOptions) {
    this.links = options.db.collection(linkCollection, acknowledgedWrites);
    this.sealer = options.sealer;
    this.signer = options.signer;
    this.publicUrl = new URL(
      options.publicUrl.endsWith('/') ? options.publicUrl : `${options.publicUrl}/`,
    );
    this.ttlMs = options.ttlSeconds * 1000;
    this.clock = options.clock ?? systemClock;
  }

  /** Creates the index the sweeper's query uses. Idempotent. */
  async ensureIndexes(): Promise<void> {
    await this.links.createIndex({ state: 1, expiresAt: 1 });
  }

  /** Issues a pending link for the conversation and user of `reference`. */
  async issue(owner: BotOwner, reference: Partial<ConversationReference>): Promise<IssuedLink> {
    const conversationId = reference.conversation?.id;
    const userId = reference.user?.id;
    if (conversationId === undefined || userId === undefined) {
      throw new ByokError(ErrorCode.BadInput, 'a link needs the conversation and the user');
    }

    const _id = randomBytes(16).toString('base64url');
    const now = this.clock.now();
    const expiresAt = new Date(now + this.ttlMs);
    const json = Buffer.from(JSON.stringify(reference), 'utf8');
    const sealed = await this.sealer.seal(referenceScope(owner, _id), json);
    json.fill(0);

    const document: LinkDocument = {
      _id,
      ...ownerFields(owner),
      conversationId,
      userHash: hashUser(userId),
      state: LinkState.Pending,
      createdAt: new Date(now),
      expiresAt,
      reference: { envelope: new Binary(sealed.envelope), provenance: sealed.provenance },
    };
    await this.links.insertOne(document);

    const url = new URL(`auth/basic/${_id}`, this.publicUrl);
    url.searchParams.set('ws', owner.tenantId);
    url.searchParams.set('sig', this.signer.sign(bindingOf(document)));
    return { linkId: _id, url: url.toString(), expiresAt };
  }

  /** The link with this id, if any. */
  async find(linkId: string): Promise<LinkDocument | null> {
    return this.links.findOne({ _id: linkId });
  }

  /** Whether `signature` was issued for this link record as it is stored now. */
  verifySignature(link: LinkDocument, signature: string): boolean {
    return this.signer.verify(bindingOf(link), signature);
  }

  /**
   * Moves a pending, unexpired link to `used` together with the sealed credentials, in one
   * atomic update. Returns the updated link, or null when another request (or the sweeper)
   * moved it first.
   */
  async claim(link: LinkDocument, credentials: SealedField): Promise<LinkDocument | null> {
    const now = new Date(this.clock.now());
    return this.links.findOneAndUpdate(
      { _id: link._id, state: LinkState.Pending, expiresAt: { $gt: now } },
      { $set: { state: LinkState.Used, changedAt: now, credentials } },
      { returnDocument: 'after' },
    );
  }

  /** Cancels a pending link of this owner (a newer one replaced it). */
  async cancel(owner: BotOwner, linkId: string): Promise<void> {
    await this.links.updateOne(
      { _id: linkId, ...ownerFields(owner), state: LinkState.Pending },
      { $set: { state: LinkState.Cancelled, changedAt: new Date(this.clock.now()) } },
    );
  }

  /**
   * Moves up to `limit` pending links past their expiry to `expired`, one atomic update each,
   * and returns those this call moved (another process may win some).
   */
  async expireDue(limit: number): Promise<LinkDocument[]> {
    const now = new Date(this.clock.now());
    const due = await this.links
      .find({ state: LinkState.Pending, expiresAt: { $lte: now } }, { projection: { _id: 1 } })
      .sort({ expiresAt: 1 })
      .limit(limit)
      .toArray();

    const moved: LinkDocument[] = [];
    for (const { _id } of due) {
      const link = await this.links.findOneAndUpdate(
        { _id, state: LinkState.Pending, expiresAt: { $lte: now } },
        { $set: { state: LinkState.Expired, changedAt: now } },
        { returnDocument: 'after' },
      );
      if (link !== null) moved.push(link);
    }
    return moved;
  }

  /** Opens the conversation reference stored with a link. */
  async openReference(link: LinkDocument): Promise<Partial<ConversationReference>> {
    const json = await this.sealer.open(
      referenceScope(link, link._id),
      Buffer.from(link.reference.envelope.buffer),
    );
    const reference = JSON.parse(json.toString('utf8')) as Partial<ConversationReference>;
    json.fill(0);
    return reference;
  }
}

/** Credentials are the app's data: sealed under the app's key, not a bot's. */
export function credentialsScope(owner: DataOwner, linkId: string): SealScope {
  return {
    tenantId: owner.tenantId,
    appId: owner.appId,
    collection: linkCollection,
    recordId: linkId,
    field: 'credentials',
  };
}

function referenceScope(owner: BotOwner, linkId: string): SealScope {
  return {
    ...ownerFields(owner),
    collection: linkCollection,
    recordId: linkId,
    field: 'reference',
  };
}

function bindingOf(link: LinkDocument): LinkBinding {
  return {
    linkId: link._id,
    tenantId: link.tenantId,
    appId: link.appId,
    botId: link.botId,
    conversationId: link.conversationId,
    userHash: link.userHash,
    expiresAt: link.expiresAt.getTime(),
  };
}

function hashUser(userId: string): string {
  return createHash('sha256').update(`auth-link-user/${userId}`).digest('hex');
}
