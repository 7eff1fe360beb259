import { describe, expect, it } from 'vitest';

import { ByokError } from '../../../src/base/errors.js';
import {
  type KeyConfigDoc,
  KeyPhase,
  startOfDay,
  stateAt,
  utcToday,
} from '../../../src/keys/model.js';
import {
  checkArns,
  checkEditable,
  checkEnforcementDate,
  checkProceed,
  checkSelectable,
  checkVersion,
  dateSchema,
} from '../../../src/keys/rules.js';

const cmkArn = 'arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab';
const roleArn = 'arn:aws:iam::111122223333:role/byok-customer';
const jan10 = Date.UTC(2026, 0, 10, 15, 30);

function config(overrides: Partial<KeyConfigDoc> = {}): KeyConfigDoc {
  return {
    _id: 'key_1',
    workspaceId: 'ws_1',
    name: 'Production key',
    provider: 'aws',
    cmkArn,
    roleArn,
    enforcementDate: '2026-01-12',
    phase: KeyPhase.Draft,
    lastTest: null,
    deselectedAppIds: [],
    deselectedBotIds: [],
    retiredKeys: [],
    rotationJobId: null,
    version: 3,
    createdBy: { kind: 'admin', id: 'adm_1', label: 'a@example.com' },
    createdAt: new Date(0),
    updatedAt: new Date(0),
    proceededAt: null,
    ...overrides,
  };
}

const passedTest = { id: 't', at: '', passed: true, cmkArn, roleArn, steps: [] };

function reasonOf(action: () => void): unknown {
  try {
    action();
  } catch (error) {
    return error instanceof ByokError ? { code: error.code, reason: error.details?.reason } : error;
  }
  return 'no error';
}

describe('key configuration rules', () => {
  describe('when the state is derived', () => {
    it('is enforced from 00:00 UTC of the enforcement date once scheduled', () => {
      const scheduled = config({ phase: KeyPhase.Scheduled });

      expect(stateAt(scheduled, startOfDay('2026-01-12') - 1)).toBe('scheduled');
      expect(stateAt(scheduled, startOfDay('2026-01-12'))).toBe('enforced');
    });

    it('never enforces a configuration that was not scheduled, whatever the date', () => {
      expect(stateAt(config({ phase: KeyPhase.Tested }), startOfDay('2030-01-01'))).toBe('tested');
    });

    it('reads today in UTC', () => {
      expect(utcToday(Date.UTC(2026, 0, 10, 23, 59))).toBe('2026-01-10');
    });
  });

  describe('when an enforcement date is entered', () => {
    it('accepts today and later dates', () => {
      expect(() => {
        checkEnforcementDate('2026-01-10', jan10);
      }).not.toThrow();
      expect(() => {
        checkEnforcementDate('2027-03-01', jan10);
      }).not.toThrow();
    });

    it('refuses yesterday as bad input', () => {
      expect(
        reasonOf(() => {
          checkEnforcementDate('2026-01-09', jan10);
        }),
      ).toEqual({
        code: 'BAD_INPUT',
        reason: undefined,
      });
    });

    it('refuses dates that do not exist or are not written YYYY-MM-DD', () => {
      for (const bad of ['2026-02-30', '2026-13-01', '10/01/2026', '2026-1-1', '']) {
        expect(dateSchema.safeParse(bad).success, bad).toBe(false);
      }
    });
  });

  describe('when the ARNs are checked together', () => {
    it('accepts a key and a role of the same account', () => {
      expect(checkArns(cmkArn, roleArn).cmk.region).toBe('us-east-1');
    });

    it('refuses a role of another account', () => {
      expect(() => checkArns(cmkArn, 'arn:aws:iam::444455556666:role/r')).toThrow(/account/);
    });

    it('refuses a role of another partition', () => {
      expect(() => checkArns(cmkArn, 'arn:aws-cn:iam::111122223333:role/r')).toThrow(/partition/);
    });

    it('refuses malformed ARNs with INVALID_ARN', () => {
      expect(
        reasonOf(() => checkArns('arn:aws:kms:us-east-1:111122223333:alias/x', roleArn)),
      ).toMatchObject({ code: 'INVALID_ARN' });
      expect(reasonOf(() => checkArns(cmkArn, 'arn:aws:s3:::bucket'))).toMatchObject({
        code: 'INVALID_ARN',
      });
    });
  });

  describe('when a change is asked of an enforced configuration', () => {
    it('refuses it with the reason "enforced"', () => {
      const enforced = config({ phase: KeyPhase.Scheduled, enforcementDate: '2026-01-10' });

      expect(
        reasonOf(() => {
          checkEditable(enforced, jan10, ['cmkArn']);
        }),
      ).toEqual({
        code: 'CONFLICT',
        reason: 'enforced',
      });
    });

    it('allows it the day before', () => {
      const scheduled = config({ phase: KeyPhase.Scheduled, enforcementDate: '2026-01-11' });

      expect(() => {
        checkEditable(scheduled, jan10, ['cmkArn']);
      }).not.toThrow();
    });
  });

  describe('when proceeding', () => {
    it('requires the latest test to have passed', () => {
      expect(
        reasonOf(() => {
          checkProceed(config(), jan10);
        }),
      ).toEqual({
        code: 'CONFLICT',
        reason: 'test_required',
      });
      expect(
        reasonOf(() => {
          checkProceed(
            config({ phase: KeyPhase.Tested, lastTest: { ...passedTest, passed: false } }),
            jan10,
          );
        }),
      ).toEqual({
        code: 'CONFLICT',
        reason: 'test_required',
      });
    });

    it('refuses a date that passed while the configuration waited', () => {
      const stale = config({
        phase: KeyPhase.Tested,
        lastTest: passedTest,
        enforcementDate: '2026-01-09',
      });

      expect(
        reasonOf(() => {
          checkProceed(stale, jan10);
        }),
      ).toEqual({
        code: 'CONFLICT',
        reason: 'enforcement_date_passed',
      });
    });

    it('allows a tested configuration with a date ahead', () => {
      expect(() => {
        checkProceed(config({ phase: KeyPhase.Tested, lastTest: passedTest }), jan10);
      }).not.toThrow();
    });
  });

  describe('when selecting apps and bots', () => {
    it('is refused for a draft and allowed after a passing test', () => {
      expect(
        reasonOf(() => {
          checkSelectable(config());
        }),
      ).toEqual({
        code: 'CONFLICT',
        reason: 'test_required',
      });
      expect(() => {
        checkSelectable(config({ phase: KeyPhase.Tested }));
      }).not.toThrow();
    });
  });

  describe('when a version is named', () => {
    it('refuses a stale version and accepts the current one or none', () => {
      expect(
        reasonOf(() => {
          checkVersion(config(), 2);
        }),
      ).toEqual({
        code: 'CONFLICT',
        reason: 'version_mismatch',
      });
      expect(() => {
        checkVersion(config(), 3);
      }).not.toThrow();
      expect(() => {
        checkVersion(config(), undefined);
      }).not.toThrow();
    });
  });
});
