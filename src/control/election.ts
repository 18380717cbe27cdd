// Who leads a partition after its leader failed (or after the whole process restarted): one
// pure rule over what the fenced live voters replied, asserted here and nowhere else.
//
// The rule:
//   1. Every live voter must reply about the partition. One that holds a split child of it is
//      evidence that the split was applied: the children are adopted instead (outcome split); a
//      retired replica of it says the same. One that holds nothing of it (and, for a split child,
//      not its parent either) blocks the election: its copy may be the one that holds a
//      committed entry (finding N0). The caller retries until the partition has a leader.
//   2. Among the candidates (replicas that follow or led, not being rebuilt or awaiting a
//      split), the one whose durable log goes furthest leads: the highest (epoch of its last
//      durable entry, last durable index), as in Raft. An entry is committed once durable on two
//      voters, so with at most one voter lost one of the replies has it durably, and a log of a
//      later epoch has everything the earlier leaders committed. Entries a replica holds but has
//      not made durable were never counted (a follower acks only durable entries), so they may be
//      cut: that is how two logs diverge, and log matching truncates the loser's suffix.
//   3. Ties go to the candidate the caller prefers (the node leading fewest partitions).
import { InvariantError } from '../replication/invariants.ts';
import type { FenceReport } from '../replication/replica-machine.ts';
import type { FenceReply } from './control-messages.ts';

export type ElectionOutcome =
  /** Promote `leader`; `voters` are the live voters that replied with a replica or its parent. */
  | { kind: 'leader'; leader: number; voters: number[] }
  /** A voter applied the partition's split: its children take over (adopt and elect them instead). */
  | { kind: 'split' }
  /** Live voters hold nothing of the partition: no election until they do (the caller retries). */
  | { kind: 'blocked'; silent: number[] }
  /** No voter holds a log that counts (those left are being rebuilt or wait for a split). */
  | { kind: 'none'; voters: number[] };

/**
 * `voters`: the partition's live voters; `replies[i]` is what voters[i] answered its fence;
 * `preference(a, b)` < 0 when node a is the better leader of two equal logs.
 */
export function chooseLeader(voters: readonly number[], replies: readonly FenceReply[], preference: (a: number, b: number) => number): ElectionOutcome {
  if (replies.length !== voters.length) throw new InvariantError(`election: ${replies.length} replies from ${voters.length} voters`);
  const silent: number[] = [];
  const replied: number[] = [];
  let best = -1;
  for (let i = 0; i < voters.length; i++) {
    const reply = replies[i];
    if (reply.kind === 'splitChildren' || (reply.kind === 'replica' && reply.report.splitIndex !== undefined && (reply.report.state === 'retired' || reply.report.state === 'retiredLeader'))) return { kind: 'split' };
    if (reply.kind === 'none') {
      silent.push(voters[i]);
      continue;
    }
    replied.push(voters[i]);
    if (reply.kind !== 'replica' || !reply.report.candidate) continue;
    if (best === -1) best = i;
    else {
      const order = compareLogs(reply.report, (replies[best] as { report: FenceReport }).report);
      if (order > 0 || (order === 0 && preference(voters[i], voters[best]) < 0)) best = i;
    }
  }
  if (silent.length > 0) return { kind: 'blocked', silent };
  if (best === -1) return { kind: 'none', voters: replied };
  const chosen = (replies[best] as { report: FenceReport }).report;
  // The rule's promise, checked: no live voter's durable log goes further than the leader's.
  for (const reply of replies) {
    if (reply.kind === 'replica' && reply.report.candidate && compareLogs(reply.report, chosen) > 0) throw new InvariantError(`election: node ${voters[best]} chosen over a voter whose durable log goes further`);
    if (reply.kind === 'replica' && !reply.report.candidate && reply.report.state !== 'installing' && reply.report.state !== 'awaitingSplit') throw new InvariantError(`election: a ${reply.report.state} replica is no candidate`);
  }
  return { kind: 'leader', leader: voters[best], voters: replied };
}

/** Raft's "at least as up to date", on durable logs: > 0 when a goes further than b. */
function compareLogs(a: FenceReport, b: FenceReport): number {
  if (a.durableEpoch !== b.durableEpoch) return a.durableEpoch - b.durableEpoch;
  return a.durableIndex - b.durableIndex;
}
