// A split, as a configuration change the node makes after the persist pass: the parent replica
// has retired at its split entry (its machine did so when it handed the entry out), and the two
// children take over its hash range here (no item moves: a table's items share one tree). This
// module computes what each child starts with, and counts the halves' items exactly afterwards,
// a slice per pump, so that no pump of the node reads a whole half while requests wait on it.
import type { Membership } from '../replication/replica-machine.ts';
import type { SplitEntry } from '../replication/log-entry.ts';
import type { PinnedRange } from './node-store.ts';
import type { SlotMachine } from './replica-slot.ts';
import { storedItemSize } from './stored-item.ts';

export interface SplitHalf {
  pid: number;
  membership: Membership;
  items: number;
  bytes: number;
}

/** Bounds on counting a half's items exactly (beyond them its counts stay estimated by hash range). */
export interface SplitCounting {
  itemsMax: number;
  bytesMax: number;
}

/**
 * The two halves of `parent`'s range as its split at `split.at` makes them, their counts
 * estimated by hash range (keys are hashed uniformly) until a SplitCount corrects them.
 */
export function splitHalves(parent: SlotMachine, split: SplitEntry): [SplitHalf, SplitHalf] {
  const pm = parent.membership;
  const lowShare = (split.at - pm.hashStart) / (pm.hashEnd - pm.hashStart);
  const low = { items: Math.round(parent.items * lowShare), bytes: Math.round(parent.bytes * lowShare) };
  const membership = (hashStart: number, hashEnd: number): Membership => ({ hashStart, hashEnd, voters: pm.voters.slice(), leader: parent.leader, epoch: parent.epoch, version: split.version, parent: parent.pid, since: split.version });
  return [
    { pid: split.lowPid, membership: membership(pm.hashStart, split.at), items: low.items, bytes: low.bytes },
    { pid: split.highPid, membership: membership(split.at, pm.hashEnd), items: Math.max(0, parent.items - low.items), bytes: Math.max(0, parent.bytes - low.bytes) },
  ];
}

/** How many items a split of `parent` counts at most: bytes bound it too, so that large items count few. */
export function splitCountItemsMax(parent: SlotMachine, counting: SplitCounting): number {
  const itemBytes = parent.items > 0 ? parent.bytes / parent.items : 0;
  return itemBytes > 0 ? Math.min(counting.itemsMax, Math.ceil(counting.bytesMax / itemBytes)) : counting.itemsMax;
}

/**
 * Counts a split's low half exactly over a read view pinned when the split applied (the parent's
 * items as of its split entry: the children's own writes since then are in their counts already,
 * and do not show in the view). Once done, the children's estimates are corrected by the
 * difference; past `itemsMax` items it gives up and the estimates stay.
 */
export class SplitCount {
  private items = 0;
  private bytes = 0;
  private view: PinnedRange | null;

  constructor(
    readonly table: string,
    /** The children's pids, low half first (-1 once forgotten). */
    public lowPid: number,
    public highPid: number,
    /** The low half's estimate the children started with. */
    private readonly estimate: { items: number; bytes: number },
    view: PinnedRange,
    private readonly itemsMax: number,
  ) {
    this.view = view;
  }

  get done(): boolean {
    return this.view === null;
  }

  /**
   * Counts at most `slice` more items. Returns null while not done, then once the correction of
   * the low half's counts (the high half's is its negation), or zeros when it went past the bound.
   */
  step(slice: number): { items: number; bytes: number } | null {
    const view = this.view;
    if (view === null) return { items: 0, bytes: 0 };
    for (let n = 0; n < slice; n++) {
      const next = view.items.next();
      if (next.done) {
        this.close();
        return { items: this.items - this.estimate.items, bytes: this.bytes - this.estimate.bytes };
      }
      if (++this.items > this.itemsMax) {
        this.close();
        return { items: 0, bytes: 0 };
      }
      this.bytes += storedItemSize(next.value.value);
    }
    return null;
  }

  /** A child whose counts come from elsewhere now (dropped, rebuilt from a snapshot) is not corrected; returns whether either is left. */
  forget(pid: number): boolean {
    if (this.lowPid === pid) this.lowPid = -1;
    if (this.highPid === pid) this.highPid = -1;
    if (this.lowPid === -1 && this.highPid === -1) this.close();
    return !this.done;
  }

  /** Releases the pinned view (done, or both children went away). */
  close(): void {
    this.view?.close();
    this.view = null;
  }
}
