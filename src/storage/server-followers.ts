// The followers of the log the server runs on every replica besides the item store: secondary
// indexes, transactions and streams. Their data is derived from the entries alone, so recovery derives it
// again instead of reading it from the write-ahead log (derived-writes.ts).
import type { LogFollower } from './log-follower.ts';
import type { DerivingFollower } from './derived-writes.ts';
import { IndexFollower } from './index-follower.ts';
import { TxFollower } from './tx-follower.ts';
import { StreamFollower } from './stream-follower.ts';

export type ServerFollower = LogFollower & DerivingFollower;

/** A node's followers (a new list for each node). */
export function serverFollowers(): ServerFollower[] {
  return [new IndexFollower(), new TxFollower(), new StreamFollower()];
}

let recovery: ServerFollower[] | null = null;

/** The followers recovery derives data with (stateless: one list serves every store). */
export function derivedFollowers(): readonly ServerFollower[] {
  recovery ??= serverFollowers();
  return recovery;
}
