/**
 * Authorization links as MongoDB records. A link is issued pending, bound to workspace, app,
 * bot, conversation and user, and leaves that state exactly once: to `used` (with the sealed
 * credentials), to `expired` (by the sweeper) or to `cancelled` (a newer link replaced it).
 * Any process that shares the database can complete or expire any link.
 *
 * "Exactly once" is decided by a claim, not by a conditional update (which FerretDB does not
 * make atomic; see `claimOnce`): whoever moves a link first inserts a claim whose `_id` is the
 * link id and which names the new state. Only the caller whose insert succeeds writes the new
 * state to the link and acts on it (stores credentials, resumes the chat); every other caller
 * writes nothing. The claim is the whole decision (state, time, sealed credentials) and the
 * link's fields are a copy of it: reads merge a claim over a link still marked pending, and
 * the sweeper copies it onto such a link, so a process that died between its claim and its
 * write leaves a link that reads as decided. The copy writes exactly the values the winner
 * writes, so it is harmless when the winner is alive (FerretDB rewrites whole documents on
 * update; two writers of different values could erase each other's fields).
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
import { claimOnce } from '../../store/claims.js';
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

/** The decision that moved a link out of `pending`; `_id` is the link id. */
export interface LinkClaimDocument {
  _id: string;
  state: Exclude<LinkState, 'pending'>;
  at: Date;
  /** The entered credentials of a `used` link, sealed as on the link. */
  credentials?: SealedField;
}

/** The collection links live in. */
export const linkCollection = 'auth_links';

/** The collection of link claims: at most one per link, never removed while the link lives. */
export const linkClaimCollection = 'auth_link_claims';

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
  readonly claims: Collection<LinkClaimDocument>;
  readonly clock: Clock;
  private readonly sealer: Sealer;
  private readonly signer: LinkSigner;
  private readonly publicUrl: URL;
  private readonly ttlMs: number;

  constructor(options: LinkStoreOptions) {
    this.links = options.db.collection(linkCollection, acknowledgedWrites);
    this.claims = options.db.collection(linkClaimCollection, acknowledgedWrites);
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

  /**
   * The link with this id, if any, as decided: a pending link whose claim exists reads with
   * the claim's fields (its winner may still be writing them, or may have died). Writes nothing.
   */
  async find(linkId: string): Promise<LinkDocument | null> {
    const link = await this.links.findOne({ _id: linkId });
    if (link?.state !== LinkState.Pending) return link;

    const claim = await this.claims.findOne({ _id: linkId });
    return claim === null ? link : decided(link, claim);
  }

  /** Whether `signature` was issued for this link record as it is stored now. */
  verifySignature(link: LinkDocument, signature: string): boolean {
    return this.signer.verify(bindingOf(link), signature);
  }

  /**
   * Moves a pending link that has not expired by this process's clock to `used` together with
   * the sealed credentials. Returns the updated link, or null when another request, the
   * sweeper or a cancellation claimed it first (or it has expired); nothing is written then.
   */
  async claim(link: LinkDocument, credentials: SealedField): Promise<LinkDocument | null> {
    const at = new Date(this.clock.now());
    if (link.expiresAt <= at) return null;
    return this.decide(link, { _id: link._id, state: LinkState.Used, at, credentials });
  }

  /** Cancels a pending link of this owner (a newer one replaced it). */
  async cancel(owner: BotOwner, linkId: string): Promise<void> {
    const link = await this.links.findOne({
      _id: linkId,
      ...ownerFields(owner),
      state: LinkState.Pending,
    });
    if (link === null) return;

    const at = new Date(this.clock.now());
    await this.decide(link, { _id: linkId, state: LinkState.Cancelled, at });
  }

  /**
   * Moves up to `limit` pending links past their expiry to `expired` and returns those this
   * call moved. A link another process claimed first (a submission, a cancellation, another
   * sweeper) is not returned; its claim is copied onto it so that it stops reading as pending.
   */
  async expireDue(limit: number): Promise<LinkDocument[]> {
    const at = new Date(this.clock.now());
    const due = await this.links
      .find({ state: LinkState.Pending, expiresAt: { $lte: at } })
      .sort({ expiresAt: 1 })
      .limit(limit)
      .toArray();

    const moved: LinkDocument[] = [];
    for (const link of due) {
      const expired = await this.decide(link, { _id: link._id, state: LinkState.Expired, at });
      if (expired !== null) {
        moved.push(expired);
        continue;
      }

      const claim = await this.claims.findOne({ _id: link._id });
      if (claim !== null) await this.copy(claim);
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

  /**
   * Claims the link's move described by `claim` and, for the one caller whose claim is
   * stored, copies it onto the link and returns the link as decided; null for every other.
   */
  private async decide(link: LinkDocument, claim: LinkClaimDocument): Promise<LinkDocument | null> {
    const { _id, ...fields } = claim;
    if (!(await claimOnce(this.claims, _id, fields))) return null;
    await this.copy(claim);
    return decided(link, claim);
  }

  /** Writes a claim's fields onto its link; every writer of one claim writes the same values. */
  private async copy(claim: LinkClaimDocument): Promise<void> {
    const { _id, state, at, credentials } = claim;
    await this.links.updateOne(
      { _id, state: LinkState.Pending },
      { $set: { state, changedAt: at, ...(credentials === undefined ? {} : { credentials }) } },
    );
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

/** A link with its claim applied. */
function decided(link: LinkDocument, claim: LinkClaimDocument): LinkDocument {
  const { state, at, credentials } = claim;
  return { ...link, state, changedAt: at, ...(credentials === undefined ? {} : { credentials }) };
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
