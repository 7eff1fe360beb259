/**
 * The Basic Auth validation profile of each app: the credentials an admin must enter on the
 * authorization page. They default to admin/password, can be set per app, are stored sealed
 * under the app's key like all bot data, and are compared in constant time.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

import { Binary, type Collection, type Db } from 'mongodb';
import { z } from 'zod';

import { type Clock, systemClock } from '../../base/clock.js';
import { ByokError, ErrorCode } from '../../base/errors.js';
import type { DataOwner, Provenance, Sealer, SealScope } from '../../sealing/types.js';
import { isDuplicateKey } from '../../store/database.js';
import { acknowledgedWrites, recordIdOf } from '../plugin/owner.js';

/** A user id and password as entered or expected. */
export interface BasicCredentials {
  username: string;
  password: string;
}

/** What an app's validation profile expects when none was configured. */
export const defaultValidationCredentials: Readonly<BasicCredentials> = {
  username: 'admin',
  password: 'password',
};

/**
 * Accepted credentials: RFC 7617 forbids ':' and control characters in the user id; the
 * password may hold anything but control characters. Lengths are capped to bound the work.
 */
export const basicCredentialsSchema = z.object({
  username: z
    .string()
    .min(1)
    .max(256)
    .regex(/^[^:\p{Cc}]+$/u, 'no colon or control characters'),
  password: z
    .string()
    .min(1)
    .max(1024)
    .regex(/^\P{Cc}+$/u, 'no control characters'),
});

/** One app's stored profile. */
interface ProfileDocument {
  _id: string;
  tenantId: string;
  appId: string;
  updatedAt: Date;
  provenance: Provenance;
  envelope: Binary;
}

/** The collection profiles live in. */
export const profileCollection = 'basic_auth_profiles';

/** Reads, sets and checks validation profiles. */
export class ValidationProfiles {
  private readonly profiles: Collection<ProfileDocument>;
  /** Per-process key: digests are only compared, never stored. */
  private readonly compareKey = randomBytes(32);

  constructor(
    db: Db,
    private readonly sealer: Sealer,
    private readonly clock: Clock = systemClock,
  ) {
    this.profiles = db.collection(profileCollection, acknowledgedWrites);
  }

  /** Sets the credentials an app's validation expects. Validates them first. */
  async set(app: DataOwner, credentials: BasicCredentials): Promise<void> {
    const parsed = basicCredentialsSchema.safeParse(credentials);
    if (!parsed.success) {
      throw new ByokError(
        ErrorCode.BadInput,
        'validation credentials are not valid Basic credentials',
        {
          details: { fields: parsed.error.issues.map((issue) => issue.path.join('.')) },
        },
      );
    }

    const _id = recordIdOf(app.tenantId, app.appId);
    const json = Buffer.from(JSON.stringify(parsed.data), 'utf8');
    const sealed = await this.sealer.seal(scopeOf(app, _id), json);
    json.fill(0);
    const fields = {
      tenantId: app.tenantId,
      appId: app.appId,
      updatedAt: new Date(this.clock.now()),
      provenance: sealed.provenance,
      envelope: new Binary(sealed.envelope),
    };
    // Every write sets all fields, so of concurrent sets one is left whole: the last.
    try {
      await this.profiles.updateOne({ _id }, { $set: fields }, { upsert: true });
    } catch (error) {
      // Concurrent first sets: FerretDB refuses all upserts but one; the others overwrite it.
      if (!isDuplicateKey(error)) throw error;
      await this.profiles.updateOne({ _id }, { $set: fields });
    }
  }

  /**
   * Whether `entered` matches the app's expected credentials. Both fields are always compared,
   * as equal-length HMAC digests with `timingSafeEqual`, so timing reveals neither which field
   * was wrong nor how much of it matched.
   */
  async matches(app: DataOwner, entered: BasicCredentials): Promise<boolean> {
    const expected = await this.expected(app);
    const userOk = timingSafeEqual(this.digest(entered.username), this.digest(expected.username));
    const passOk = timingSafeEqual(this.digest(entered.password), this.digest(expected.password));
    return userOk && passOk;
  }

  private async expected(app: DataOwner): Promise<BasicCredentials> {
    const _id = recordIdOf(app.tenantId, app.appId);
    const stored = await this.profiles.findOne({ _id });
    if (stored === null) return defaultValidationCredentials;

    const json = await this.sealer.open(scopeOf(app, _id), Buffer.from(stored.envelope.buffer));
    const credentials = basicCredentialsSchema.parse(JSON.parse(json.toString('utf8')));
    json.fill(0);
    return credentials;
  }

  private digest(value: string): Buffer {
    return createHmac('sha256', this.compareKey).update(value, 'utf8').digest();
  }
}

function scopeOf(app: DataOwner, recordId: string): SealScope {
  return {
    tenantId: app.tenantId,
    appId: app.appId,
    collection: profileCollection,
    recordId,
    field: 'credentials',
  };
}
