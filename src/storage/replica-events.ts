// What a storage node does when one of its replicas' machines reports a step of its life: a
// promotion, a finished install, a hand-off ready, a split applied; and when a retired split
// parent may finally be forgotten.
import { ReplicaState } from '../replication/replica-state.ts';
import type { PartitionAssignment } from './messages.ts';
import { assignmentOf } from './assignment.ts';
import type { ReplicaSlot } from './replica-slot.ts';
import type { StorageNode } from './storage-node.ts';

/** Carries out one event a machine reported during the pump. */
export function onMachineEvent(node: StorageNode, slot: ReplicaSlot, e: (typeof slot.machine.events)[number]): void {
  const m = slot.machine;
  switch (e.event) {
    case 'promoted':
      slot.becameLeader();
      return;
    case 'installed':
      node.emit({ event: 'installed', table: m.table, pid: m.pid, index: e.index });
      dropStaleParent(node, slot);
      return;
    case 'handoffReady':
      node.emit({ event: 'handoffReady', table: m.table, pid: m.pid, index: e.index });
      return;
    case 'splitApplied': {
      const children: PartitionAssignment[] = [];
      for (const pid of [e.split.lowPid, e.split.highPid]) {
        const child = node.replicaOf(m.table, pid);
        if (child !== undefined) children.push(assignmentOf(m.table, pid, child.machine.membership));
      }
      node.emit({ event: 'splitApplied', table: m.table, pid: m.pid, index: e.index, children });
      return;
    }
  }
}

/** A split child rebuilt from a snapshot no longer needs the unsplit parent it was waiting on. */
function dropStaleParent(node: StorageNode, child: ReplicaSlot): void {
  const parentPid = child.machine.membership.parent;
  if (parentPid === undefined) return;
  const parent = node.replicaOf(child.machine.table, parentPid);
  if (parent === undefined || parent.machine.state === ReplicaState.Retired) return;
  // Its items now belong to the children (the other child clears its range when it installs).
  node.forget(parent, false);
}

/**
 * The leader forgets a split parent once every follower has applied the split, or once a
 * follower still without it has rebuilt its children from snapshots instead (after
 * awaitSplitTicksMax): a follower forgets its parent as it applies the split, so it may never
 * say it did (finding M2).
 */
export function dropRetiredIfDone(node: StorageNode, slot: ReplicaSlot): void {
  const m = slot.machine;
  if (slot.retiredTicks <= node.awaitSplitTicksMax) for (const [peer, p] of m.progress) if (m.membership.voters.includes(peer) && p.applied < m.splitIndex) return;
  node.forget(slot, false);
  node.commitBatch();
}
