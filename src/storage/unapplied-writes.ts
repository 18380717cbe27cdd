// A leader's view of the writes it has appended to its log but not yet applied to its data
// (they are applied once committed): a write's condition is checked against the item as the
// last appended entry left it, which may be newer than the item in the B-tree.
import type { LogEntry } from '../replication/log-entry.ts';
import { TxOp, type TxLock } from '../transactions/tx-record.ts';
import { bufferView } from './buffer-view.ts';

export class UnappliedWrites {
  /** Item collection sizes this leader knows (item-collections.ts), by partition key prefix. */
  readonly collections = new Map<string, number>();

  /** Storage key (as latin1 text) → newest appended stored bytes (null: deleted) and its index. */
  private readonly byKey = new Map<string, { value: Uint8Array | null; index: number }>();
  /** Keys in append order with their index, to forget them once applied. */
  private readonly order: Array<{ key: string; index: number }> = [];
  private head = 0;
  /** Transaction locks taken (a lock) or given up (null) by entries not yet applied, by item key. */
  private readonly locks = new Map<string, { lock: TxLock | null; index: number }>();

  get size(): number {
    return this.byKey.size;
  }

  /** Keys with unapplied writes in [from, to) (to null: no end), in no particular order. */
  keysIn(from: string, to: string | null): string[] {
    const keys: string[] = [];
    for (const key of this.byKey.keys()) if (key >= from && (to === null || key < to)) keys.push(key);
    return keys;
  }

  /** undefined: no unapplied write to this key (read the B-tree); null: deleted. */
  get(key: string): Uint8Array | null | undefined {
    return this.byKey.get(key)?.value;
  }

  add(key: string, value: Uint8Array | null, index: number): void {
    this.byKey.set(key, { value, index });
    this.order.push({ key, index });
  }

  addEntry(entry: LogEntry): void {
    for (const m of entry.m) this.add(keyText(m.k), m.b, entry.i);
    const t = entry.t;
    if (t !== undefined) this.locks.set(keyText(t.k), { lock: t.op === TxOp.Prepare ? { id: t.id, b: t.b, check: t.check } : null, index: entry.i });
    if (entry.tf !== undefined) for (const f of entry.tf) this.locks.set(keyText(f.k), { lock: null, index: entry.i });
  }

  /** undefined: no unapplied lock change for this item (read the followers' data); null: released. */
  lockChange(key: string): TxLock | null | undefined {
    return this.locks.get(key)?.lock;
  }

  /** Everything up to `applied` is in the B-tree now. */
  applied(applied: number): void {
    if (this.locks.size > 0) for (const [key, change] of this.locks) if (change.index <= applied) this.locks.delete(key);
    const order = this.order;
    while (this.head < order.length && order[this.head].index <= applied) {
      const { key, index } = order[this.head++];
      if (this.byKey.get(key)?.index === index) this.byKey.delete(key);
    }
    if (this.head === order.length) {
      order.length = 0;
      this.head = 0;
    } else if (this.head > 1024 && this.head * 2 > order.length) {
      order.splice(0, this.head);
      this.head = 0;
    }
  }

  clear(): void {
    this.locks.clear();
    this.byKey.clear();
    this.order.length = 0;
    this.head = 0;
  }
}

export function keyText(key: Uint8Array): string {
  return bufferView(key).toString('latin1');
}
