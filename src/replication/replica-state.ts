// The one named state of a partition replica, and the moves between states that are legal.
// Every change of state goes through transition(), which refuses any other move: a replica is
// never in two roles at once, and a bug that would make it so stops the node instead.

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
  /** A leader that appended a split entry: takes no new writes until the split is committed. */
  Splitting: 'splitting',
  /** Split into two partitions: serves nothing, kept only until its followers have the split. */
  Retired: 'retired',
} as const;
export type ReplicaStateName = (typeof ReplicaState)[keyof typeof ReplicaState];

const legal: Record<ReplicaStateName, readonly ReplicaStateName[]> = {
  installing: ['following', 'installing'],
  awaitingSplit: ['following', 'installing'],
  following: ['leading', 'installing', 'retired'],
  leading: ['following', 'handingOff', 'splitting'],
  handingOff: ['leading', 'following'],
  splitting: ['retired', 'following'],
  retired: [],
};

/** Asserts that `from` → `to` is a legal move and returns `to`. */
export function transition(from: ReplicaStateName, to: ReplicaStateName, who: string): ReplicaStateName {
  if (!legal[from].includes(to)) throw new Error(`replica ${who}: illegal state change ${from} → ${to}`);
  return to;
}

/** A leader in any of its phases: the replica the router sends writes and consistent reads to. */
export function isLeaderState(state: ReplicaStateName): boolean {
  return state === ReplicaState.Leading || state === ReplicaState.HandingOff || state === ReplicaState.Splitting;
}
