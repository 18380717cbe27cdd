// What the control plane asks of a storage node (assign, fence, install, hand off, split, drop,
// describe, digest), carried out on the node's replicas between pumps. The worker and the
// simulator both hand their control messages to runControl, so the two cannot drift apart. A
// handler that throws leaves the node in a state nobody can vouch for: the caller stops the node
// (finding N6).
import { createHash } from 'node:crypto';
import { ReplicaMachine } from '../replication/replica-machine.ts';
import { ReplicaState, isRetired } from '../replication/replica-state.ts';
import type { ControlReplies, ControlRequestOf, ControlType, FenceReply, ReplicaDigest, ReplicaReport } from '../control/control-messages.ts';
import type { SplitEntry } from '../replication/log-entry.ts';
import { encodeLogEntry } from '../replication/log-entry.ts';
import type { PartitionAssignment } from './messages.ts';
import { hashRangeOptions } from './node-store.ts';
import { assignmentOf, membershipOf } from './assignment.ts';
import type { StorageNode } from './storage-node.ts';

type Handlers = { [K in ControlType]: (node: StorageNode, msg: ControlRequestOf<K>) => ControlReplies[K] };

const handlers: Handlers = {
  assign: (node, msg) => assign(node, msg.assignments),
  fence: (node, msg) => fence(node, msg.table, msg.pid, msg.epoch, msg.parent),
  install: (node, msg) => install(node, msg.assignment),
  peer: (node, msg) => node.peerReplaced(msg.peer),
  dropTable: (node, msg) => dropTable(node, msg.table),
  dropReplica: (node, msg) => dropReplica(node, msg.table, msg.pid),
  handoff: (node, msg) => handoff(node, msg.table, msg.pid, msg.target),
  split: (node, msg) => split(node, msg.table, msg.pid, msg.split),
  describe: (node) => describe(node),
  digest: (node, msg) => digest(node, msg.table),
  stats: (node) => ({ ...node.stats }),
  stop: () => undefined,
};

/** Carries out one control message and returns its reply. */
export function runControl<K extends ControlType>(node: StorageNode, msg: ControlRequestOf<K>): ControlReplies[K] {
  return (handlers[msg.type] as (node: StorageNode, msg: ControlRequestOf<K>) => ControlReplies[K])(node, msg);
}

/** The map's view of partitions touching this node: new replicas, changed memberships, moves away. */
function assign(node: StorageNode, assignments: PartitionAssignment[]): void {
  for (const a of assignments) {
    node.noteVersion(a.version);
    const slot = node.replicaOf(a.table, a.pid);
    if (a.parent !== undefined) dropPublishedParent(node, a);
    if (!a.replicas.includes(node.id)) {
      // Moved off this node by a newer map: forget it (answers go elsewhere now).
      if (slot !== undefined && a.version > slot.machine.membership.version && slot.machine.state !== ReplicaState.Installing) node.drop(slot, true);
      continue;
    }
    if (slot !== undefined) {
      slot.machine.assign(membershipOf(a));
      node.touch(slot);
      continue;
    }
    // A partition of a new table (still in its first epoch: no election since it was made) starts
    // empty everywhere, its log from index 0 of epoch 0, and its leader leads at once. Any other
    // partition this node is told it holds and does not (a replaced node's, an assignment that
    // outran the repair) may hold data: it is rebuilt from a snapshot. An empty follower of such
    // a partition could be elected with nothing (seed 91: its log's base carried the partition's
    // epoch, which outranked every real log).
    const record = ReplicaMachine.emptyRecord(a.table, a.pid, membershipOf(a), a.epoch === 1 ? ReplicaState.Following : ReplicaState.Installing, 0);
    if (a.parent !== undefined) {
      // A split's child. Holding its parent unsplit, this replica fills when it applies the split
      // entry; not holding the parent, it holds none of the child's items: it is rebuilt from a
      // snapshot (never created empty, which would miss them, finding F3).
      const parent = node.replicaOf(a.table, a.parent);
      record.state = parent !== undefined && !isRetired(parent.machine.state) ? ReplicaState.AwaitingSplit : ReplicaState.Installing;
    }
    node.addReplica(record).machine.adoptLeader(a.leader);
  }
}

/**
 * The control plane published a split's child: a parent this node keeps only as the evidence of
 * that split (a follower's retired parent, finding N0) is not needed any more.
 */
function dropPublishedParent(node: StorageNode, child: PartitionAssignment): void {
  const parent = node.replicaOf(child.table, child.parent!);
  if (parent !== undefined && parent.machine.state === ReplicaState.Retired) node.drop(parent, false);
}

/**
 * Raises the replica's epoch (nothing from an older leader counts any more) and reports how far
 * its log goes. Not holding the partition, the node says whether it holds one of its split
 * children (the split happened: an election adopts them) or, for a split child, its parent
 * unsplit (it lags behind the split), or nothing at all (which blocks an election: election.ts).
 */
function fence(node: StorageNode, table: string, pid: number, epoch: number, parent: number | undefined): FenceReply {
  const slot = node.replicaOf(table, pid);
  if (slot !== undefined) {
    const report = slot.machine.fence(epoch);
    node.touch(slot);
    return { kind: 'replica', report };
  }
  for (const other of node.replicas.values()) {
    if (other.table === table && other.machine.membership.parent === pid && other.machine.state !== ReplicaState.Installing && other.machine.state !== ReplicaState.AwaitingSplit) return { kind: 'splitChildren' };
  }
  if (parent !== undefined) {
    const held = node.replicaOf(table, parent);
    if (held !== undefined && !isRetired(held.machine.state)) return { kind: 'parentOnly' };
  }
  return { kind: 'none' };
}

/** Repair: build a replica of `a` here from a snapshot sent by its leader. */
function install(node: StorageNode, a: PartitionAssignment): void {
  const old = node.replicaOf(a.table, a.pid);
  if (old !== undefined) node.drop(old, true);
  node.addReplica(ReplicaMachine.emptyRecord(a.table, a.pid, membershipOf(a), ReplicaState.Installing, a.epoch)).machine.adoptLeader(a.leader);
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
  const splitEntry = { e: m.epoch, i: m.nextIndex(), m: [], w: null, a: null, split: entry };
  m.append(encodeLogEntry(splitEntry), splitEntry);
  node.touch(slot);
  return true;
}

/**
 * Dropping a table's trees frees all their pages in one go, on this thread, when its commit runs
 * (~50 ms per GB of small items here): the commit counts as this share of the table's bytes in
 * the long-step allowance (one more beat per 200 MB, ten times what it takes here).
 */
const dropBytesPerCommitByte = 200;

/** The long-step allowance of the commit that drops a table holding `tableBytes` on a node. */
export function dropCommitBytes(tableBytes: number): number {
  return Math.ceil(tableBytes / dropBytesPerCommitByte);
}

function dropTable(node: StorageNode, table: string): void {
  let bytes = 0;
  for (const slot of node.replicas.values()) if (slot.machine.table === table) bytes += slot.machine.bytes;
  node.expectLongCommit(dropCommitBytes(bytes));
  for (const slot of [...node.replicas.values()]) if (slot.machine.table === table) node.drop(slot, false);
  node.store.dropTable(table);
  node.commitBatch();
}

function dropReplica(node: StorageNode, table: string, pid: number): void {
  const slot = node.replicaOf(table, pid);
  if (slot !== undefined) node.drop(slot, true);
  node.commitBatch();
}

function describe(node: StorageNode): ReplicaReport[] {
  const out: ReplicaReport[] = [];
  for (const { machine: m } of node.replicas.values()) {
    const followers: Record<number, { match: number; applied: number }> = {};
    for (const f of m.followers()) followers[f.node] = { match: f.match, applied: f.applied };
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
    if (m.table !== table || isRetired(m.state)) continue;
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
