// The one named state of a partition replica, and the moves between states that are legal. The
// state is the replica's whole role: whether it leads (takes writes, replicates, counts acks)
// follows, is being rebuilt, or is a split parent. Every change of state goes through
// transition(), which refuses any other move: a replica is never in two roles at once, and a bug
// that would make it so stops the node instead.
import { InvariantError } from './invariants.ts';

export const ReplicaState = {
  /** Receiving a snapshot from its leader: serves nothing, holds nothing that counts. */
  Installing: 'installing',
  /** Made by a split this replica has not applied yet: serves nothing until the split (or a snapshot) fills it. */
  AwaitingSplit: 'awaitingSplit',
  /** Appends its leader's entries and applies the committed ones; serves eventually consistent reads. */
  Following: 'following',
  /** Takes writes, replicates them, answers them at W = 2, serves every read. */
  Leading: 'leading',
  /** A leader giving its leadership to a follower: takes no new writes until the follower has everything. */
  HandingOff: 'handingOff',
  /** A leader whose log ends in a split entry: takes no new writes until the split is applied. */
  Splitting: 'splitting',
  /** The leader of a split parent: serves nothing, still brings its followers the split entry. */
  RetiredLeader: 'retiredLeader',
  /**
   * A split parent on a follower (or a former leader): serves nothing, holds no log that counts;
   * kept as the evidence of the split (an election that finds it adopts the children) until the
   * control plane has published the children.
   */
  Retired: 'retired',
} as const;
export type ReplicaStateName = (typeof ReplicaState)[keyof typeof ReplicaState];

const legal: Record<ReplicaStateName, readonly ReplicaStateName[]> = {
  installing: ['following', 'installing'],
  awaitingSplit: ['following', 'installing'],
  following: ['leading', 'installing', 'retired'],
  leading: ['following', 'handingOff', 'splitting'],
  handingOff: ['leading', 'following'],
  splitting: ['retiredLeader', 'following'],
  retiredLeader: ['retired'],
  retired: [],
};

/** Asserts that `from` → `to` is a legal move and returns `to`. */
export function transition(from: ReplicaStateName, to: ReplicaStateName, who: string): ReplicaStateName {
  if (!legal[from].includes(to)) throw new InvariantError(`replica ${who}: illegal state change ${from} → ${to}`);
  return to;
}

/** A leader in any of its phases: the replica the router sends writes and consistent reads to. */
export function isLeaderState(state: ReplicaStateName): boolean {
  return state === ReplicaState.Leading || state === ReplicaState.HandingOff || state === ReplicaState.Splitting;
}

/** States in which the replica drives its partition's log: it sends entries and counts acks. */
export function leadsLog(state: ReplicaStateName): boolean {
  return isLeaderState(state) || state === ReplicaState.RetiredLeader;
}

/** A split parent, on its leader or a follower. */
export function isRetired(state: ReplicaStateName): boolean {
  return state === ReplicaState.Retired || state === ReplicaState.RetiredLeader;
}

/** States whose restored record does not lead: after a restart nothing leads until an election. */
export function restoredState(state: ReplicaStateName): ReplicaStateName {
  if (isLeaderState(state)) return ReplicaState.Following;
  if (state === ReplicaState.RetiredLeader) return ReplicaState.Retired;
  return state;
}
