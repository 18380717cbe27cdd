// The commit rule: an entry is committed once it is durable on `writeQuorum` (2) of the
// partition's voters. Only voters count: a learner being built from a snapshot is not a copy the
// next election considers, so an entry it alone holds is not safe (review finding F2).

/** Copies that make a write durable (W = 2 of 3). */
export const writeQuorum = 2;

/**
 * The highest index durable on at least writeQuorum (2) voters, given the leader's own durable
 * index and each voting follower's matched index: the second highest of those positions.
 * -1 when there are fewer than two voters.
 */
export function quorumIndex(leaderDurable: number, followerMatches: readonly number[]): number {
  let best = leaderDurable;
  let second = -1;
  for (let i = 0; i < followerMatches.length; i++) {
    const m = followerMatches[i];
    if (m > best) {
      second = best;
      best = m;
    } else if (m > second) {
      second = m;
    }
  }
  return second;
}
