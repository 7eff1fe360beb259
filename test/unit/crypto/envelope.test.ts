import { createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';

import { describe, expect, it } from 'vitest';

import { ByokError, ErrorCode } from '../../../src/base/errors.js';
import {
  type DataKey,
  encodeAad,
  envelopeHeaderBytes,
  envelopeOverheadBytes,
  newDekId,
  openValue,
  readHeader,
  type RecordContext,
  sealValue,
} from '../../../src/crypto/index.js';

const context: RecordContext = {
  tenantId: 'tenant-1',
  appId: 'app-1',
  collection: 'transcripts',
  recordId: 'record-1',
  field: 'text',
};

function dataKey(): DataKey {
  return { id: newDekId(), key: randomBytes(32) };
}

function codeOf(action: () => unknown): string | undefined {
  try {
    action();
  } catch (error) {
    if (error instanceof ByokError) return error.code;
    throw error;
  }
  return undefined;
}

describe('envelope', () => {
  describe('when a value is sealed and opened with the same key and context', () => {
    it.each([
      ['an empty value', 0],
      ['a 1-byte value', 1],
      ['a 1 MiB value', 1024 * 1024],
    ])('returns %s unchanged', (_name, size) => {
      const key = dataKey();
      const plaintext = randomBytes(size);

      const envelope = sealValue(key, context, plaintext);

      expect(envelope.length).toBe(envelopeOverheadBytes + size);
      expect(openValue(key, context, envelope).equals(plaintext)).toBe(true);
    });

    it('names format version 1 and the data key id in a header readable without a key', () => {
      const key = dataKey();

      const header = readHeader(sealValue(key, context, Buffer.from('hello')));

      expect(header).toEqual({ version: 1, dekId: key.id });
    });

    it('follows the documented format: HKDF-SHA256 subkey over the salt, AES-256-GCM', () => {
      const key = dataKey();
      const plaintext = Buffer.from('documented format');
      const envelope = sealValue(key, context, plaintext);

      const salt = envelope.subarray(17, 49);
      const nonce = envelope.subarray(49, 61);
      const subkey = Buffer.from(
        hkdfSync('sha256', key.key, salt, 'byok-harness envelope v1 subkey', 32),
      );
      const decipher = createDecipheriv('aes-256-gcm', subkey, nonce);
      decipher.setAAD(encodeAad(1, key.id, context, envelope.subarray(0, envelopeHeaderBytes)));
      decipher.setAuthTag(envelope.subarray(envelope.length - 16));
      const opened = Buffer.concat([
        decipher.update(envelope.subarray(envelopeHeaderBytes, envelope.length - 16)),
        decipher.final(),
      ]);

      expect(opened.toString()).toBe('documented format');
    });

    it('does not contain the plaintext', () => {
      const plaintext = Buffer.from('a secret that must not appear in the stored bytes');

      const envelope = sealValue(dataKey(), context, plaintext);

      expect(envelope.includes(plaintext)).toBe(false);
    });
  });

  describe('when any single bit of the envelope is flipped', () => {
    it('fails to open for every bit of header, nonce, ciphertext and tag', () => {
      const key = dataKey();
      const envelope = sealValue(key, context, Buffer.from('8 bytes!'));
      const outcomes = new Map<string, number>();

      for (let bit = 0; bit < envelope.length * 8; bit++) {
        const flipped = Buffer.from(envelope);
        flipped[bit >> 3]! ^= 1 << (bit & 7);
        const code = codeOf(() => openValue(key, context, flipped));
        const expected = bit < 8 ? ErrorCode.EnvelopeVersionUnsupported : ErrorCode.DecryptFailed;
        expect(code, `bit ${bit}`).toBe(expected);
        outcomes.set(String(code), (outcomes.get(String(code)) ?? 0) + 1);
      }

      expect(outcomes.get(ErrorCode.DecryptFailed)).toBe((envelope.length - 1) * 8);
    });
  });

  describe('when an envelope is opened for another place', () => {
    const swaps: [string, Partial<RecordContext>][] = [
      ['tenant', { tenantId: 'tenant-2' }],
      ['app', { appId: 'app-2' }],
      ['collection', { collection: 'dialogState' }],
      ['record', { recordId: 'record-2' }],
      ['field', { field: 'attachments' }],
    ];

    it.each(swaps)('fails with DECRYPT_FAILED for another %s', (_name, change) => {
      const key = dataKey();
      const envelope = sealValue(key, context, Buffer.from('bound to its place'));

      expect(codeOf(() => openValue(key, { ...context, ...change }, envelope))).toBe(
        ErrorCode.DecryptFailed,
      );
    });

    it('fails when characters move from one context field to the next', () => {
      const key = dataKey();
      const sealed = sealValue(key, { ...context, tenantId: 'ab', appId: 'c' }, Buffer.from('x'));

      expect(codeOf(() => openValue(key, { ...context, tenantId: 'a', appId: 'bc' }, sealed))).toBe(
        ErrorCode.DecryptFailed,
      );
    });
  });

  describe('when an envelope is opened with another data key', () => {
    it('fails with DECRYPT_FAILED for other key bytes under the same id', () => {
      const key = dataKey();
      const envelope = sealValue(key, context, Buffer.from('value'));

      const impostor = { id: key.id, key: randomBytes(32) };

      expect(codeOf(() => openValue(impostor, context, envelope))).toBe(ErrorCode.DecryptFailed);
    });

    it('fails with DECRYPT_FAILED for another key id', () => {
      const key = dataKey();
      const envelope = sealValue(key, context, Buffer.from('value'));

      const other = { id: newDekId(), key: key.key };

      expect(codeOf(() => openValue(other, context, envelope))).toBe(ErrorCode.DecryptFailed);
    });
  });

  describe('when an envelope is truncated', () => {
    it('reports ENVELOPE_MALFORMED for every length shorter than header and tag', () => {
      const key = dataKey();
      const envelope = sealValue(key, context, Buffer.from('value'));

      for (let length = 0; length < envelopeOverheadBytes; length++) {
        const cut = envelope.subarray(0, length);
        expect(
          codeOf(() => openValue(key, context, cut)),
          `length ${length}`,
        ).toBe(ErrorCode.EnvelopeMalformed);
      }
    });

    it('reports DECRYPT_FAILED when only ciphertext or tag bytes are missing', () => {
      const key = dataKey();
      const envelope = sealValue(key, context, Buffer.from('a longer value'));

      for (let length = envelopeOverheadBytes; length < envelope.length; length++) {
        const cut = envelope.subarray(0, length);
        expect(
          codeOf(() => openValue(key, context, cut)),
          `length ${length}`,
        ).toBe(ErrorCode.DecryptFailed);
      }
    });

    it('reports ENVELOPE_MALFORMED for a value that is not bytes', () => {
      expect(codeOf(() => readHeader('AQID' as unknown as Buffer))).toBe(
        ErrorCode.EnvelopeMalformed,
      );
    });
  });

  describe('when the format version is unknown', () => {
    it.each([0, 2, 255])('reports ENVELOPE_VERSION_UNSUPPORTED for version %i', (version) => {
      const key = dataKey();
      const envelope = sealValue(key, context, Buffer.from('value'));
      envelope[0] = version;

      expect(codeOf(() => readHeader(envelope))).toBe(ErrorCode.EnvelopeVersionUnsupported);
      expect(codeOf(() => openValue(key, context, envelope))).toBe(
        ErrorCode.EnvelopeVersionUnsupported,
      );
    });
  });

  describe('when the input is malformed', () => {
    it.each([
      ['an empty tenant id', { tenantId: '' }],
      ['a lone surrogate in a record id', { recordId: 'r\uD800' }],
      ['an operator object as a field', { field: { $gt: '' } as unknown as string }],
      ['a context id over 1024 bytes', { collection: 'c'.repeat(1025) }],
    ])('refuses %s with BAD_INPUT', (_name, change) => {
      expect(codeOf(() => sealValue(dataKey(), { ...context, ...change }, Buffer.alloc(1)))).toBe(
        ErrorCode.BadInput,
      );
    });

    it('refuses a plaintext string with BAD_INPUT saying what it expected', () => {
      expect(() => sealValue(dataKey(), context, 'text' as unknown as Buffer)).toThrow(
        /expected a Buffer or Uint8Array, received string/,
      );
    });

    it('refuses a 16-byte data key, saying expected and received sizes', () => {
      const short = { id: newDekId(), key: randomBytes(16) };

      expect(() => sealValue(short, context, Buffer.alloc(1))).toThrow(
        /expected a Buffer of 32 bytes, received a Buffer of 16 bytes/,
      );
    });
  });

  describe('when a million values are sealed', () => {
    it('never repeats a nonce or a salt', { timeout: 180_000 }, () => {
      const key = dataKey();
      const empty = Buffer.alloc(0);
      const nonces = new Set<string>();
      const salts = new Set<string>();
      const count = 1_000_000;

      for (let i = 0; i < count; i++) {
        const envelope = sealValue(key, context, empty);
        nonces.add(envelope.toString('hex', 49, 61));
        salts.add(envelope.toString('hex', 17, 49));
      }

      expect(nonces.size).toBe(count);
      expect(salts.size).toBe(count);
    });
  });
});
