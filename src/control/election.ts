// Who leads a partition after its leader failed (or after the whole process restarted): pure
// decisions over what the fenced survivors reported. The survivor whose log goes furthest —
// the highest (epoch of its last entry, last index), as in Raft — holds every committed entry:
// an entry is committed once durable on two voters, so with at most one voter lost, one of the
// survivors has it, and a log of a later epoch has everything the earlier leaders committed.
import type { FenceReport } from '../replication/replica-machine.ts';

export type ElectionOutcome =
  /** Promote `leader`; `voters` are the survivors that still hold a replica. */
  | { kind: 'leader'; leader: number; voters: number[] }
  /** A survivor already applied the partition's split: its children take over (elect them instead). */
  | { kind: 'split' }
  /** No survivor holds a log that counts (the replicas left are installing or waiting for a split). */
  | { kind: 'none'; voters: number[] };

export function chooseLeader(survivors: readonly number[], reports: ReadonlyArray<FenceReport | null>): ElectionOutcome {
  let best = -1;
  const voters: number[] = [];
  for (let i = 0; i < survivors.length; i++) {
    const r = reports[i];
    if (r === null) continue;
    if (r.splitIndex !== undefined && r.state === 'retired') return { kind: 'split' };
    voters.push(survivors[i]);
    if (!r.candidate) continue;
    if (best === -1 || isFurther(r, reports[best]!)) best = i;
  }
  if (best === -1) return { kind: 'none', voters };
  return { kind: 'leader', leader: survivors[best], voters };
}

function isFurther(a: FenceReport, b: FenceReport): boolean {
  return a.lastEpoch > b.lastEpoch || (a.lastEpoch === b.lastEpoch && a.lastIndex > b.lastIndex);
}
