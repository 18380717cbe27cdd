// Remembers, for the most recent client writes a node has applied (as leader or follower),
// where each landed in its partition's log and what it answered. When a leader fails after a
// write reached a follower, the router retries the write on the new leader, which finds it
// here and answers it again instead of applying it a second time.

/** Writes remembered per node; a retry comes within seconds, so a bounded window suffices. */
const rememberedWritesMax = 65_536;

export interface AppliedWrite {
  /** Replica key (table:pid) the write belongs to. */
  replica: string;
  index: number;
  attributes: string | null;
}

export class WriteDedup {
  private readonly writes = new Map<string, AppliedWrite>();

  remember(wid: string, applied: AppliedWrite): void {
    if (this.writes.size >= rememberedWritesMax) {
      const oldest = this.writes.keys().next().value as string;
      this.writes.delete(oldest);
    }
    this.writes.set(wid, applied);
  }

  find(wid: string, replica: string): AppliedWrite | undefined {
    const applied = this.writes.get(wid);
    return applied !== undefined && applied.replica === replica ? applied : undefined;
  }
}
