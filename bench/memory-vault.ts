/**
 * A key vault in memory, for the benchmark only: it measures the sealing code, not the
 * database. It keeps the vault's contract (one active DEK per slot) within one process.
 */
import type {
  ActiveSlot,
  DataKeyRecord,
  KeyVault,
  RewrapChange,
  WrappedByQuery,
} from '../src/store/key-vault.js';

/** {@link KeyVault} over Maps. */
export class MemoryKeyVault implements KeyVault {
  private readonly records = new Map<string, DataKeyRecord>();
  private readonly active = new Map<string, string>();

  findActive(slot: ActiveSlot): Promise<DataKeyRecord | null> {
    const dekId = this.active.get(slotId(slot));
    const record = dekId === undefined ? undefined : this.records.get(dekId);
    return Promise.resolve(record?.state === 'active' ? record : null);
  }

  createActive(record: DataKeyRecord): Promise<{ record: DataKeyRecord; created: boolean }> {
    const id = slotId(record);
    const holder = this.records.get(this.active.get(id) ?? '');
    if (holder?.state === 'active') return Promise.resolve({ record: holder, created: false });
    this.records.set(record._id, record);
    this.active.set(id, record._id);
    return Promise.resolve({ record, created: true });
  }

  get(dekId: string): Promise<DataKeyRecord | null> {
    return Promise.resolve(this.records.get(dekId) ?? null);
  }

  listWrappedBy(
    query: WrappedByQuery,
    afterId: string | null,
    limit: number,
  ): Promise<DataKeyRecord[]> {
    const matching = [...this.records.values()]
      .filter((r) => matches(r, query) && (afterId === null || r._id > afterId))
      .sort((a, b) => a._id.localeCompare(b._id));
    return Promise.resolve(matching.slice(0, limit));
  }

  countWrappedBy(query: WrappedByQuery): Promise<number> {
    return Promise.resolve([...this.records.values()].filter((r) => matches(r, query)).length);
  }

  compareAndSetWrapped(dekId: string, change: RewrapChange): Promise<boolean> {
    const record = this.records.get(dekId);
    if (record?.keyRef !== change.fromKeyRef) return Promise.resolve(false);
    Object.assign(record, {
      wrapped: change.wrapped,
      keyRef: change.keyRef,
      provider: change.provider,
      keyConfigId: change.keyConfigId,
      rewrappedAt: change.at,
    });
    return Promise.resolve(true);
  }

  retire(dekId: string, at: Date): Promise<boolean> {
    const record = this.records.get(dekId);
    if (record?.state !== 'active') return Promise.resolve(false);
    record.state = 'retired';
    record.retiredAt = at;
    return Promise.resolve(true);
  }
}

function slotId(slot: ActiveSlot): string {
  return JSON.stringify([slot.tenantId, slot.appId, slot.keyConfigId, slot.keyRef]);
}

function matches(record: DataKeyRecord, query: WrappedByQuery): boolean {
  return (
    record.tenantId === query.tenantId &&
    record.keyConfigId === query.keyConfigId &&
    record.keyRef === query.keyRef
  );
}
