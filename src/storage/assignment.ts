// A partition's assignment (how the map and the control plane name it) and a replica machine's
// membership (how replication sees it) carry the same facts; these convert between them.
import type { Membership } from '../replication/replica-machine.ts';
import type { PartitionAssignment } from './messages.ts';

export function membershipOf(a: PartitionAssignment): Membership {
  const m: Membership = { hashStart: a.hashStart, hashEnd: a.hashEnd, voters: a.replicas.slice(), leader: a.leader, epoch: a.epoch, version: a.version };
  if (a.parent !== undefined) m.parent = a.parent;
  if (a.since !== undefined) m.since = a.since;
  return m;
}

export function assignmentOf(table: string, pid: number, m: Membership): PartitionAssignment {
  const a: PartitionAssignment = { table, pid, hashStart: m.hashStart, hashEnd: m.hashEnd, replicas: m.voters.slice(), leader: m.leader, epoch: m.epoch, version: m.version };
  if (m.parent !== undefined) a.parent = m.parent;
  if (m.since !== undefined) a.since = m.since;
  return a;
}
