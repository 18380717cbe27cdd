// A split, as a configuration change the node makes after the persist pass: the parent replica
// has retired at its split entry (its machine did so when it handed the entry out), and the two
// children take over its hash range here (no item moves: a table's items share one tree). This
// module computes what each child starts with; the node creates or fills them.
import type { Membership } from '../replication/replica-machine.ts';
import type { SplitEntry } from '../replication/log-entry.ts';
import type { NodeStore } from './node-store.ts';
import type { SlotMachine } from './replica-slot.ts';

export interface SplitHalf {
  pid: number;
  membership: Membership;
  items: number;
  bytes: number;
}

/** Bounds on counting a half's items exactly (beyond them its counts are estimated by hash range). */
export interface SplitCounting {
  itemsMax: number;
  bytesMax: number;
}

/** The two halves of `parent`'s range as its split at `split.at` makes them. */
export function splitHalves(parent: SlotMachine, split: SplitEntry, store: NodeStore, counting: SplitCounting): [SplitHalf, SplitHalf] {
  const pm = parent.membership;
  // Counting reads every item it counts: bounded by bytes too, so that large items count few.
  const itemBytes = parent.items > 0 ? parent.bytes / parent.items : 0;
  const countMax = itemBytes > 0 ? Math.min(counting.itemsMax, Math.ceil(counting.bytesMax / itemBytes)) : counting.itemsMax;
  const counted = store.countRange(parent.table, pm.hashStart, split.at, countMax);
  // Beyond the counting bound, the halves' counts are estimated by hash range (keys are hashed uniformly).
  const lowShare = (split.at - pm.hashStart) / (pm.hashEnd - pm.hashStart);
  const low = counted ?? { items: Math.round(parent.items * lowShare), bytes: Math.round(parent.bytes * lowShare) };
  const membership = (hashStart: number, hashEnd: number): Membership => ({ hashStart, hashEnd, voters: pm.voters.slice(), leader: parent.leader, epoch: parent.epoch, version: split.version, parent: parent.pid, since: split.version });
  return [
    { pid: split.lowPid, membership: membership(pm.hashStart, split.at), items: low.items, bytes: low.bytes },
    { pid: split.highPid, membership: membership(split.at, pm.hashEnd), items: Math.max(0, parent.items - low.items), bytes: Math.max(0, parent.bytes - low.bytes) },
  ];
}
