// The commits and cancels the coordinator sends, gathered per partition: those bound for one
// partition in the same turn of the event loop go as one request, which its leader appends as
// one log entry (leader-write.ts finishTransactions). A transaction of two items on two
// partitions otherwise costs four log entries; under load its commits share entries with other
// transactions' and it costs little more than its two prepares.
import { Op, ReturnValues, WriteKind, type TxFinishRequest, type WriteRequest } from '../storage/messages.ts';
import type { Router } from '../router/router.ts';
import type { LedgerItem } from './ledger.ts';
import { bufferView } from '../storage/buffer-view.ts';

interface Waiting {
  item: LedgerItem;
  finish: TxFinishRequest;
  resolve: () => void;
  reject: (err: unknown) => void;
}

interface Group {
  item: LedgerItem;
  waiting: Waiting[];
}

export class FinishBatcher {
  private readonly router: Router;
  private readonly defer: (fn: () => void) => void;
  private groups = new Map<string, Group>();
  private scheduled = false;
  private readonly flushNow = (): void => this.flush();

  /** `defer` runs the flush once the current turn's finishes are in (setImmediate; the simulator's clock in tests). */
  constructor(router: Router, defer: (fn: () => void) => void) {
    this.router = router;
    this.defer = defer;
  }

  /**
   * Commits (or cancels) transaction `tx` on `item`: resolves once its partition's leader has
   * applied it or found it already done, rejects as the request failed (the caller retries).
   */
  finish(tx: string, item: LedgerItem, commit: boolean): Promise<void> {
    const pid = this.router.partitionIdOf(item.tableId, item.hash32);
    // Items of one table share its index spec; one that differs (an index added meanwhile) goes in a group of its own.
    const key = `${item.tableId}\u0000${pid}\u0000${item.ix === undefined ? '' : bufferView(item.ix).toString('latin1')}`;
    let group = this.groups.get(key);
    if (group === undefined) this.groups.set(key, (group = { item, waiting: [] }));
    const waiting = group.waiting;
    const done = new Promise<void>((resolve, reject) => waiting.push({ item, finish: { k: item.k, tx, c: commit }, resolve, reject }));
    if (!this.scheduled) {
      this.scheduled = true;
      this.defer(this.flushNow);
    }
    return done;
  }

  private flush(): void {
    this.scheduled = false;
    const groups = this.groups;
    this.groups = new Map();
    for (const group of groups.values()) void this.send(group);
  }

  private async send(group: Group): Promise<void> {
    const first = group.item;
    const req: WriteRequest = { id: 0, op: Op.Write, t: first.tableId, p: 0, v: 0, k: first.k, w: WriteKind.TxFinishBatch, item: null, sz: 0, key: null, x: null, rv: ReturnValues.NONE, rvf: false, tf: group.waiting.map((w) => w.finish) };
    if (first.ix !== undefined) req.ix = first.ix;
    try {
      await this.router.sendByHash(first.tableId, first.hash32, req, true, true);
      for (const w of group.waiting) w.resolve();
    } catch (err) {
      for (const w of group.waiting) w.reject(err);
    }
  }
}
