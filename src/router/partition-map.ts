// The router's versioned partition map: for each table, its partitions as contiguous ranges
// of the 32-bit partition key hash space, and where their replicas and leaders are.
import type { PartitionAssignment } from '../storage/messages.ts';

/** The hash space is [0, 2^32). */
export const hashSpaceEnd = 2 ** 32;

interface TableMap {
  partitions: PartitionAssignment[];
  /** hashStart of each partition, sorted, for binary search. */
  starts: Float64Array;
}

export class PartitionMap {
  /** Bumped on every change; requests carry it so storage nodes can refuse stale routes. */
  version = 0;
  private readonly tables = new Map<string, TableMap>();
  /** Resolves the promise changed() gave out, at the next change. */
  private announce: (() => void) | null = null;
  private nextChange: Promise<void> | null = null;
  /** Told of every change to a table's partitions, as it is made (the front-door threads' copy follows it). */
  onTableChange: ((tableId: string) => void) | null = null;

  setTable(tableId: string, partitions: PartitionAssignment[]): void {
    const sorted = partitions.slice().sort((a, b) => a.hashStart - b.hashStart);
    assertCoversHashSpace(tableId, sorted);
    this.tables.set(tableId, { partitions: sorted, starts: Float64Array.from(sorted, (p) => p.hashStart) });
    for (const p of sorted) if (p.version > this.version) this.version = p.version;
    this.onTableChange?.(tableId);
    this.changedNow();
  }

  deleteTable(tableId: string): void {
    this.tables.delete(tableId);
    this.onTableChange?.(tableId);
    this.changedNow();
  }

  /** Settles at the map's next change: a request a node refused as routed by an older map waits for it. */
  changed(): Promise<void> {
    this.nextChange ??= new Promise<void>((resolve) => (this.announce = resolve));
    return this.nextChange;
  }

  private changedNow(): void {
    const announce = this.announce;
    if (announce === null) return;
    this.announce = null;
    this.nextChange = null;
    announce();
  }

  partitions(tableId: string): readonly PartitionAssignment[] {
    return this.tables.get(tableId)?.partitions ?? [];
  }

  /** The partition whose hash range holds `hash32`. */
  find(tableId: string, hash32: number): PartitionAssignment {
    const table = this.tables.get(tableId);
    if (table === undefined) throw new Error(`no partition map for table ${tableId}`);
    const starts = table.starts;
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (starts[mid] <= hash32) lo = mid;
      else hi = mid - 1;
    }
    return table.partitions[lo];
  }
}

function assertCoversHashSpace(tableId: string, sorted: PartitionAssignment[]): void {
  let expected = 0;
  for (const p of sorted) {
    if (p.hashStart !== expected || p.hashEnd <= p.hashStart) throw new Error(`partition map of ${tableId} has a gap or overlap at ${p.hashStart}`);
    expected = p.hashEnd;
  }
  if (expected !== hashSpaceEnd) throw new Error(`partition map of ${tableId} does not cover the hash space`);
}

/** Cuts the hash space into `count` contiguous ranges of (nearly) equal size. */
export function splitHashSpace(count: number): Array<{ hashStart: number; hashEnd: number }> {
  const ranges: Array<{ hashStart: number; hashEnd: number }> = [];
  for (let i = 0; i < count; i++) {
    ranges.push({ hashStart: Math.floor((hashSpaceEnd * i) / count), hashEnd: Math.floor((hashSpaceEnd * (i + 1)) / count) });
  }
  return ranges;
}
