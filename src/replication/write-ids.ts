// Remembers, per storage node, where recent client writes landed in their partition's log: a
// write retried after its first attempt may have been applied (its leader failed before
// answering, or a split moved it) is found here by its write id and answered again instead of
// applied twice. Remembered when the entry is appended (as leader or follower), forgotten when
// it is truncated, and kept for a time that covers every retry (retentionMs), not for a count.

export interface WriteRecord {
  table: string;
  pid: number;
  index: number;
  /** The Attributes the write answered (JSON text), or null. */
  attributes: string | null;
  rememberedAt: number;
}

export class WriteIds {
  private readonly records = new Map<string, WriteRecord>();
  /** Write ids in the order remembered, for expiry (head: oldest). */
  private readonly order: string[] = [];
  private orderHead = 0;
  private readonly retentionMs: number;
  private readonly recordsMax: number;
  /** Records dropped by the count bound before their time (a retry of them could apply twice). */
  evictedEarly = 0;

  constructor(retentionMs: number, recordsMax: number) {
    this.retentionMs = retentionMs;
    this.recordsMax = recordsMax;
  }

  remember(wid: string, table: string, pid: number, index: number, attributes: string | null, now: number): void {
    this.records.set(wid, { table, pid, index, attributes, rememberedAt: now });
    this.order.push(wid);
    this.expire(now);
  }

  find(wid: string): WriteRecord | undefined {
    return this.records.get(wid);
  }

  /** An entry that held this write was truncated: the write never happened there. */
  forget(wid: string, table: string, pid: number, index: number): void {
    const r = this.records.get(wid);
    if (r !== undefined && r.table === table && r.pid === pid && r.index === index) this.records.delete(wid);
  }

  /** A replica was wiped (rebuilt from a snapshot, which brings its own records). */
  forgetReplica(table: string, pid: number): void {
    for (const [wid, r] of this.records) if (r.table === table && r.pid === pid) this.records.delete(wid);
  }

  /**
   * The records a snapshot of partition `pid` at log index `index` carries, four values each
   * (write id, partition, index, Attributes): its own up to `index` only (a record of an entry
   * after the snapshot may be of one never committed, finding N1) and its split parent's, all
   * committed before the split, kept under the parent's partition so that a retry of one is
   * answered at once rather than waiting on a parent index in the child's log (finding N2).
   */
  ofSnapshot(table: string, pid: number, index: number, parent: number | undefined, out: Array<string | number | null>): void {
    for (const [wid, r] of this.records) {
      if (r.table !== table) continue;
      if ((r.pid === pid && r.index <= index) || (parent !== undefined && r.pid === parent)) out.push(wid, r.pid, r.index, r.attributes);
    }
  }

  get size(): number {
    return this.records.size;
  }

  private expire(now: number): void {
    const order = this.order;
    while (this.orderHead < order.length) {
      const wid = order[this.orderHead];
      const r = this.records.get(wid);
      const tooMany = this.records.size > this.recordsMax;
      if (r !== undefined && now - r.rememberedAt < this.retentionMs && !tooMany) break;
      if (r !== undefined && (now - r.rememberedAt >= this.retentionMs || tooMany)) {
        if (now - r.rememberedAt < this.retentionMs) this.evictedEarly++;
        this.records.delete(wid);
      }
      this.orderHead++;
    }
    if (this.orderHead > 4096 && this.orderHead * 2 > order.length) {
      order.splice(0, this.orderHead);
      this.orderHead = 0;
    }
  }
}
