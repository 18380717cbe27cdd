// Which write ids a disk's durable replication logs carry, kept up to date as log groups are
// synced: what "this write was on that node's disk" means in the durability checks. Recomputing
// the durable store (sim-disk.ts durableStore: the real recovery over the synced bytes) after
// every sync would cost more than the rest of the run, so the log entries are followed instead:
// from the durable store at the node's start, then each synced group's records (the same
// payloads the writer put in them) in log order: appends, removals, dropped tables.
import { WalRecordType } from '../../../src/storage/wal/wal-format.ts';
import { batchRecords, decodeChange } from '../../../src/storage/wal/wal-payloads.ts';
import { decodeLogEntry } from '../../../src/replication/log-entry.ts';
import type { NodeStore } from '../../../src/storage/node-store.ts';

export class DurableWrites {
  /** 'table:pid' → index → the entry's write id (null: none). */
  private readonly logs = new Map<string, Map<number, string | null>>();
  /** table → write id → how many entries carry it. */
  private readonly wids = new Map<string, Map<string, number>>();

  /** The write ids of every log entry `store` holds (a store just recovered from durable bytes). */
  static of(store: NodeStore): DurableWrites {
    const d = new DurableWrites();
    for (const r of store.records()) {
      const log = store.storedLog(r.table, r.pid);
      if (log.epochs.length === 0) continue;
      const first = log.epochs[0][0];
      store.readLog(r.table, r.pid, first, log.last, Infinity).forEach((bytes, i) => d.append(r.table, r.pid, first + i, bytes));
    }
    return d;
  }

  /** One batch of a group just synced. */
  addBatch(batch: Uint8Array): void {
    for (const { type, payload } of batchRecords(batch)) {
      if (type !== WalRecordType.LogAppend && type !== WalRecordType.LogRemove && type !== WalRecordType.DropTable) continue;
      const change = decodeChange(type, payload);
      if (change.type === WalRecordType.LogAppend) this.append(change.table, change.pid, change.index, change.entry);
      else if (change.type === WalRecordType.LogRemove) this.remove(change.table, change.pid, change.from, change.to);
      else if (change.type === WalRecordType.DropTable) for (const key of [...this.logs.keys()]) if (key.startsWith(change.table + ':')) this.removeAll(key);
    }
  }

  has(table: string, wid: string): boolean {
    return (this.wids.get(table)?.get(wid) ?? 0) > 0;
  }

  private append(table: string, pid: number, index: number, entry: Uint8Array): void {
    const key = table + ':' + pid;
    let log = this.logs.get(key);
    if (log === undefined) this.logs.set(key, (log = new Map()));
    if (log.has(index)) this.forget(table, log.get(index)!);
    const wid = decodeLogEntry(entry).w ?? null;
    log.set(index, wid);
    if (wid === null) return;
    let counts = this.wids.get(table);
    if (counts === undefined) this.wids.set(table, (counts = new Map()));
    counts.set(wid, (counts.get(wid) ?? 0) + 1);
  }

  private remove(table: string, pid: number, from: number, to: number): void {
    const log = this.logs.get(table + ':' + pid);
    if (log === undefined) return;
    for (const [index, wid] of log) {
      if (index < from || index > to) continue;
      log.delete(index);
      this.forget(table, wid);
    }
  }

  private removeAll(key: string): void {
    const table = key.slice(0, key.lastIndexOf(':'));
    for (const wid of this.logs.get(key)!.values()) this.forget(table, wid);
    this.logs.delete(key);
  }

  private forget(table: string, wid: string | null): void {
    if (wid === null) return;
    const counts = this.wids.get(table)!;
    const n = counts.get(wid)! - 1;
    if (n > 0) counts.set(wid, n);
    else counts.delete(wid);
  }
}
