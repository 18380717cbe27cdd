// What a storage node does when one of its replicas' machines reports a step of its life: a
// promotion or a step-down, a finished install, a hand-off ready, a split applied; and when a
// split parent it led may finally be dropped.
import { ReplicaState } from '../replication/replica-state.ts';
import type { MachineEvent } from '../replication/replica-machine.ts';
import type { PartitionAssignment } from './messages.ts';
import { assignmentOf } from './assignment.ts';
import type { ReplicaSlot } from './replica-slot.ts';
import type { NodeEvent } from './storage-node.ts';

/** What acting on an event needs of the node. */
export interface EventPort {
  emit(event: NodeEvent): void;
  readonly replicas: ReadonlyMap<string, ReplicaSlot>;
  replicaOf(table: string, pid: number): ReplicaSlot | undefined;
  drop(slot: ReplicaSlot, clearData: boolean): void;
}

/** Carries out one event a machine reported. */
export function onMachineEvent(node: EventPort, slot: ReplicaSlot, e: MachineEvent): void {
  const m = slot.machine;
  switch (e.event) {
    case 'promoted':
    case 'steppedDown':
      // A leader's overlay belongs to one leadership: the next one starts from its log (finding N7).
      slot.dropOverlay();
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

/**
 * A split child rebuilt from a snapshot no longer needs the unsplit parent it was waiting on;
 * its sibling may still (it fills from the parent's split entry, or installs too): the parent
 * goes once no child here waits on it (finding N5).
 */
function dropStaleParent(node: EventPort, child: ReplicaSlot): void {
  const parentPid = child.machine.membership.parent;
  if (parentPid === undefined) return;
  const parent = node.replicaOf(child.table, parentPid);
  if (parent === undefined || parent.machine.state === ReplicaState.Retired || parent.machine.state === ReplicaState.RetiredLeader) return;
  for (const other of node.replicas.values()) {
    if (other.table === child.table && other.machine.membership.parent === parentPid && other.machine.state === ReplicaState.AwaitingSplit) return;
  }
  // Its items now belong to the children (each clears its range when it installs).
  node.drop(parent, false);
}

/**
 * Whether a split parent this node led may be dropped: every voter has applied the split, or
 * `awaitTicksMax` ticks have passed (a follower still without it rebuilds its children from
 * snapshots instead, and says nothing more about the parent: finding M2).
 */
export function retiredLeaderDone(slot: ReplicaSlot, awaitTicksMax: number): boolean {
  if (slot.retiredTicks > awaitTicksMax) return true;
  const m = slot.machine;
  for (const f of m.followers()) if (f.voter && f.applied < m.splitIndex) return false;
  return true;
}
