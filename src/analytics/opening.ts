/**
 * Opening transcript records for analytics: the readability check, which opens records and
 * keeps only whether they opened, and the conversation view, which may keep the message text
 * when its caller explicitly asks. Records are opened one by one through the {@link Sealer}
 * with the transcript store's own scope, so a failure names its code per record.
 *
 * Nothing opened here is logged, and plaintext buffers are zeroed as soon as they are read.
 */
import { type ByokError, toByokError } from '../base/errors.js';
import type { Logger } from '../base/log.js';
import { isKeyFailure, type OnKeyFailure } from '../bot/plugin/failures.js';
import { type TranscriptDocument, transcriptScopeOf } from '../bot/plugin/transcript-store.js';
import type { Sealer } from '../sealing/types.js';
import { type ConversationMessage, Readability, type ReadabilityCheck } from './types.js';

/** What opening records needs. */
export interface OpeningDeps {
  sealer: Sealer;
  logger: Logger;
  /** Told once per key and code when records fail to open for a key reason. */
  onKeyFailure?: OnKeyFailure | undefined;
}

type Opened = { ok: true; plaintext: Buffer } | { ok: false; error: ByokError };

async function open(sealer: Sealer, record: TranscriptDocument): Promise<Opened> {
  try {
    const plaintext = await sealer.open(
      transcriptScopeOf(record, record._id),
      Buffer.from(record.envelope.buffer),
    );
    return { ok: true, plaintext };
  } catch (error) {
    return { ok: false, error: toByokError(error) };
  }
}

/** Collects failures of one pass and tells key health about each key and code once. */
class FailureLog {
  readonly byCode: Record<string, number> = {};
  private readonly keyFailures = new Map<
    string,
    { record: TranscriptDocument; error: ByokError }
  >();

  add(record: TranscriptDocument, error: ByokError): void {
    this.byCode[error.code] = (this.byCode[error.code] ?? 0) + 1;
    if (isKeyFailure(error)) {
      const id = JSON.stringify([record.provenance.keyConfigId, error.code]);
      if (!this.keyFailures.has(id)) this.keyFailures.set(id, { record, error });
    }
  }

  async report(deps: OpeningDeps, what: string): Promise<void> {
    const failed = Object.values(this.byCode).reduce((a, b) => a + b, 0);
    if (failed === 0) return;
    deps.logger.warn({ failures: this.byCode, what }, 'transcript records did not open');
    for (const { record, error } of this.keyFailures.values()) {
      try {
        await deps.onKeyFailure?.(record.tenantId, record.provenance.keyConfigId, error);
      } catch (reportError) {
        deps.logger.warn({ err: reportError }, 'reporting a key failure failed');
      }
    }
  }
}

/** Opens every record and reports only how many opened and why the others did not. */
export async function checkReadable(
  deps: OpeningDeps,
  records: readonly TranscriptDocument[],
): Promise<ReadabilityCheck> {
  const failures = new FailureLog();
  let opened = 0;
  for (const record of records) {
    const result = await open(deps.sealer, record);
    if (result.ok) {
      result.plaintext.fill(0);
      opened += 1;
    } else {
      failures.add(record, result.error);
    }
  }
  await failures.report(deps, 'readability check');

  const ranked = Object.entries(failures.byCode).sort(([, a], [, b]) => b - a);
  let status: Readability = Readability.Partial;
  if (opened === records.length) status = Readability.Readable;
  else if (opened === 0) status = Readability.Unreadable;
  return {
    status,
    checked: records.length,
    opened,
    failures: failures.byCode,
    code: ranked[0]?.[0] ?? null,
  };
}

/**
 * Opens the records of a conversation for its view. Text and sender stay out of the result
 * unless `includeText` is set; a record that does not open carries its error code instead.
 */
export async function openMessages(
  deps: OpeningDeps,
  records: readonly TranscriptDocument[],
  includeText: boolean,
): Promise<ConversationMessage[]> {
  const failures = new FailureLog();
  const messages: ConversationMessage[] = [];
  for (const record of records) {
    const result = await open(deps.sealer, record);
    const { provider, keyConfigId, keyName } = record.provenance;
    const message: ConversationMessage = {
      at: record.at.toISOString(),
      direction: record.direction,
      type: record.type,
      key: { provider, keyConfigId, keyName },
      opened: result.ok,
      code: result.ok ? null : result.error.code,
    };
    if (result.ok) {
      if (includeText) Object.assign(message, readableParts(result.plaintext));
      result.plaintext.fill(0);
    } else {
      failures.add(record, result.error);
      if (includeText) Object.assign(message, { text: null, from: null });
    }
    messages.push(message);
  }
  await failures.report(deps, 'conversation view');
  return messages;
}

/** The text and sender name of a sealed activity's JSON; anything else in it is left out. */
function readableParts(plaintext: Buffer): { text: string | null; from: string | null } {
  const activity = JSON.parse(plaintext.toString('utf8')) as {
    text?: unknown;
    from?: { name?: unknown };
  };
  return {
    text: typeof activity.text === 'string' ? activity.text : null,
    from: typeof activity.from?.name === 'string' ? activity.from.name : null,
  };
}
