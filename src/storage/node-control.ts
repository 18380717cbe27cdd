// What the control plane asks of a storage node (assign, fence, install, hand off, split, drop,
// describe, digest), carried out on the node's replicas. The worker and the simulator both hand
// their control messages to runControl, so the two cannot drift apart.
import { createHash } from 'node:crypto';
import { ReplicaMachine, type FenceReport } from '../replication/replica-machine.ts';
import { ReplicaState } from '../replication/replica-state.ts';
import type { ControlRequest, ReplicaDigest } from '../control/control-messages.ts';
import type { SplitEntry } from '../replication/log-entry.ts';
import type { PartitionAssignment } from './messages.ts';
import { hashRangeOptions } from './node-store.ts';
import { appendEntry } from './leader-write.ts';
import { assignmentOf, membershipOf } from './assignment.ts';
import type { StorageNode } from './storage-node.ts';

/** The report `describe` gives of each replica. */
export interface ReplicaReport {
  table: string;
  pid: number;
  state: string;
  assignment: PartitionAssignment;
  leader: boolean;
  epoch: number;
  last: number;
  committed: number;
  applied: number;
  items: number;
  bytes: number;
  followers: Record<number, { match: number; applied: number }>;
}

/** Carries out one control message; the result is its reply (ControlReplies). */
export function runControl(node: StorageNode, msg: ControlRequest): unknown {
  switch (msg.type) {
    case 'assign':
      return assign(node, msg.assignments);
    case 'fence':
      return fence(node, msg.table, msg.pid, msg.epoch);
    case 'install':
      return install(node, msg.assignment);
    case 'peer':
      return node.peerReplaced(msg.peer);
    case 'dropTable':
      return dropTable(node, msg.table);
    case 'dropReplica':
      return dropReplica(node, msg.table, msg.pid);
    case 'handoff':
      return handoff(node, msg.table, msg.pid, msg.target);
    case 'split':
      return split(node, msg.table, msg.pid, msg.split);
    case 'describe':
      return describe(node);
    case 'digest':
      return digest(node, msg.table);
    case 'stats':
      return { ...node.stats };
    case 'stop':
      return undefined;
  }
}

/** The map's view of partitions touching this node: new replicas, changed memberships, moves away. */
function assign(node: StorageNode, assignments: PartitionAssignment[]): void {
  for (const a of assignments) {
    node.noteVersion(a.version);
    const slot = node.replicaOf(a.table, a.pid);
    const membership = membershipOf(a);
    if (!a.replicas.includes(node.id)) {
      // Moved off this node by a newer map: forget it (answers go elsewhere now).
      if (slot !== undefined && a.version > slot.machine.membership.version && slot.machine.state !== ReplicaState.Installing) node.forget(slot, true);
      continue;
    }
    if (slot !== undefined) {
      slot.machine.assign(membership);
      node.touch(slot);
      continue;
    }
    const record = ReplicaMachine.emptyRecord(a.table, a.pid, membership, ReplicaState.Following, a.epoch);
    if (a.parent === undefined) {
      // A partition of a new table: every replica starts empty, and its leader leads at once.
      const created = node.addReplica(record);
      created.machine.recordDirty = true;
      created.machine.adoptLeader(a.leader);
      continue;
    }
    // A split's child. Holding its parent unsplit, this replica fills when it applies the split
    // entry; not holding the parent, it holds none of the child's items: it is rebuilt from a
    // snapshot (never created empty, which would miss them, finding F3).
    const parent = node.replicaOf(a.table, a.parent);
    record.state = parent !== undefined && parent.machine.state !== ReplicaState.Retired ? ReplicaState.AwaitingSplit : ReplicaState.Installing;
    const created = node.addReplica(record);
    created.machine.recordDirty = true;
    created.machine.adoptLeader(a.leader);
    if (record.state === ReplicaState.Installing) created.machine.startInstall();
  }
}

function fence(node: StorageNode, table: string, pid: number, epoch: number): FenceReport | null {
  const slot = node.replicaOf(table, pid);
  if (slot === undefined) return null;
  const report = slot.machine.fence(epoch);
  node.touch(slot);
  return report;
}

/** Repair: build a replica of `a` here from a snapshot sent by its leader. */
function install(node: StorageNode, a: PartitionAssignment): void {
  const old = node.replicaOf(a.table, a.pid);
  if (old !== undefined) node.forget(old, true);
  const slot = node.addReplica(ReplicaMachine.emptyRecord(a.table, a.pid, membershipOf(a), ReplicaState.Installing, a.epoch));
  slot.machine.recordDirty = true;
  slot.machine.adoptLeader(a.leader);
  slot.machine.startInstall();
}

function handoff(node: StorageNode, table: string, pid: number, target: number): boolean {
  const slot = node.replicaOf(table, pid);
  if (slot === undefined) return false;
  const ok = slot.machine.handoff(target);
  node.touch(slot);
  return ok;
}

/** Starts a split of a partition this node leads (the split is an entry in its log). */
function split(node: StorageNode, table: string, pid: number, entry: SplitEntry): boolean {
  const slot = node.replicaOf(table, pid);
  if (slot === undefined || !slot.machine.beginSplit(entry)) return false;
  const m = slot.machine;
  appendEntry(node, slot, { e: m.epoch, i: m.nextIndex(), m: [], w: null, a: null, split: entry });
  node.touch(slot);
  return true;
}

/**
 * Dropping a table's trees frees all their pages in one go, on this thread, when its commit runs
 * (~50 ms per GB of small items here): the commit counts as this share of the table's bytes in
 * the long-step allowance (one more beat per 200 MB, ten times what it takes here).
 */
const dropBytesPerCommitByte = 200;

function dropTable(node: StorageNode, table: string): void {
  let bytes = 0;
  for (const slot of node.replicas.values()) if (slot.machine.table === table) bytes += slot.machine.bytes;
  node.expectLongCommit(Math.ceil(bytes / dropBytesPerCommitByte));
  for (const slot of [...node.replicas.values()]) if (slot.machine.table === table) node.forget(slot, false);
  node.store.dropTable(table);
  node.commitBatch();
}

function dropReplica(node: StorageNode, table: string, pid: number): void {
  const slot = node.replicaOf(table, pid);
  if (slot !== undefined) node.forget(slot, true);
  node.commitBatch();
}

function describe(node: StorageNode): ReplicaReport[] {
  const out: ReplicaReport[] = [];
  for (const { machine: m } of node.replicas.values()) {
    const followers: Record<number, { match: number; applied: number }> = {};
    for (const [peer, p] of m.progress) followers[peer] = { match: p.match, applied: p.applied };
    out.push({
      table: m.table,
      pid: m.pid,
      state: m.state,
      assignment: assignmentOf(m.table, m.pid, m.membership),
      leader: m.isLeader(),
      epoch: m.epoch,
      last: m.last,
      committed: m.committed,
      applied: m.applied,
      items: m.items,
      bytes: m.bytes,
      followers,
    });
  }
  return out;
}

/** Each replica of `table` here, with a hash of its items (to compare the replicas of a partition). */
function digest(node: StorageNode, table: string): ReplicaDigest[] {
  const out: ReplicaDigest[] = [];
  for (const { machine: m } of node.replicas.values()) {
    if (m.table !== table) continue;
    const hash = createHash('sha256');
    let items = 0;
    for (const { key, value } of node.store.items(table).getRange(hashRangeOptions(m.membership.hashStart, m.membership.hashEnd))) {
      hash.update(key);
      hash.update(value);
      items++;
    }
    out.push({ table, pid: m.pid, state: m.state, applied: m.applied, last: m.last, items, sha256: hash.digest('hex') });
  }
  return out;
}
