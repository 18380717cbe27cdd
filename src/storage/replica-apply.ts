// Applies committed log entries to a replica's data, in log order, on every replica alike. A
// split entry is applied alone, once everything before it is durable: the replica retires and
// its two children take over its hash range (no item moves: a table's items share one B-tree).
// Snapshot chunks being installed are written here too.
import type { SplitEntry } from '../replication/log-entry.ts';
import { ReplicaMachine, type Membership } from '../replication/replica-machine.ts';
import { ReplicaState } from '../replication/replica-state.ts';
import type { ReplicaSlot } from './replica-slot.ts';
import type { StorageNode } from './storage-node.ts';
import { logIndexMax } from './node-store.ts';

export function applyCommitted(node: StorageNode, slot: ReplicaSlot): void {
  const m = slot.machine;
  const from = m.applyFrom;
  const to = m.applyTo;
  const store = node.store;
  for (let i = from + 1; i <= to; i++) {
    const entry = m.entryAt(i);
    if (entry.split !== undefined) {
      if (i !== from + 1 || m.applied !== i - 1) {
        // Apply what comes before it now; the split once that is durable (its halves are counted on it).
        m.deferApply(i - 1);
        return;
      }
      m.deferApply(i);
      applySplit(node, slot, entry.split, i);
      return;
    }
    for (const mu of entry.m) {
      if (mu.b === null) store.removeItem(m.table, mu.k);
      else store.putItem(m.table, mu.k, mu.b);
      m.items += mu.d;
      m.bytes += mu.z;
    }
  }
}

function applySplit(node: StorageNode, parentSlot: ReplicaSlot, split: SplitEntry, index: number): void {
  const parent = parentSlot.machine;
  const pm = parent.membership;
  // Counting reads every item it counts: bounded by bytes too, so that large items count few.
  const itemBytes = parent.items > 0 ? parent.bytes / parent.items : 0;
  const countMax = itemBytes > 0 ? Math.min(node.splitCountItemsMax, Math.ceil(node.splitCountBytesMax / itemBytes)) : node.splitCountItemsMax;
  const counted = node.store.countRange(parent.table, pm.hashStart, split.at, countMax);
  // Beyond the counting bound, the halves' counts are estimated by hash range (keys are hashed uniformly).
  const lowShare = (split.at - pm.hashStart) / (pm.hashEnd - pm.hashStart);
  const low = counted ?? { items: Math.round(parent.items * lowShare), bytes: Math.round(parent.bytes * lowShare) };
  const halves: Array<[number, number, number, number, number]> = [
    [split.lowPid, pm.hashStart, split.at, low.items, low.bytes],
    [split.highPid, split.at, pm.hashEnd, Math.max(0, parent.items - low.items), Math.max(0, parent.bytes - low.bytes)],
  ];
  parent.retire(index);
  for (const [pid, hashStart, hashEnd, items, bytes] of halves) {
    const membership: Membership = { hashStart, hashEnd, voters: pm.voters.slice(), leader: parent.leader, epoch: parent.epoch, version: split.version, parent: parent.pid };
    const existing = node.replicaOf(parent.table, pid);
    if (existing !== undefined) {
      // Made earlier from the map's news of the split: the split fills it now.
      if (existing.machine.state === ReplicaState.AwaitingSplit) existing.machine.fillFromSplit(membership, parent.epoch, items, bytes);
      node.touch(existing);
      continue;
    }
    const record = ReplicaMachine.emptyRecord(parent.table, pid, membership, ReplicaState.Following, parent.epoch);
    record.items = items;
    record.bytes = bytes;
    const child = node.addReplica(record);
    child.machine.recordDirty = true;
    child.machine.adoptLeader(parent.leader);
  }
  node.knownVersion = Math.max(node.knownVersion, split.version);
  // A follower needs its parent no more; the leader keeps it until its followers have the split.
  if (parent.leader !== node.id) node.retireFollowerParent(parentSlot);
}

/** Writes a snapshot chunk being installed (the first one clears the replica's range and log). */
export function writeInstall(node: StorageNode, slot: ReplicaSlot, install: { clear: boolean; kv: Uint8Array[]; ids: Array<string | number | null> }): void {
  const m = slot.machine;
  if (install.clear) {
    node.store.clearRange(m.table, m.membership.hashStart, m.membership.hashEnd);
    node.store.removeLog(m.table, m.pid, 0, logIndexMax);
    node.writeIds.forgetReplica(m.table, m.pid);
  }
  for (let i = 0; i < install.kv.length; i += 2) node.store.putItem(m.table, install.kv[i], install.kv[i + 1]);
  const now = node.now();
  for (let i = 0; i < install.ids.length; i += 3) {
    node.writeIds.remember(install.ids[i] as string, m.table, m.pid, install.ids[i + 1] as number, install.ids[i + 2] as string | null, now);
  }
}
