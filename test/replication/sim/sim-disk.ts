// One storage node's simulated disk: its write-ahead log (SimLogDevice, written by the real
// WalWriter through a simulated log thread) and its B-tree (SimCheckpointTree), under the real
// WalNodeStore. The disk does one sync at a time, each taking a seeded latency (a stalled disk
// holds them), for the log's fdatasyncs and the tree's flushes alike. It survives its process in
// one of two ways: a process crash (the page cache and every committed B-tree write stay) or a
// power loss (what was synced, plus a seeded part of what followed the log's last sync, possibly
// a torn record; the B-tree at its last flush). Restart runs the server's recovery over what
// survived: the start-up scan of the log (as StorageThreads.readLogs does, with scanWal), then
// WalNodeStore.open. It also answers what a power loss right now would keep (the durability
// checks), by running that same recovery over the synced bytes and the flushed tree.
import { scanWal, type WalEnd } from '../../../src/storage/wal/wal-reader.ts';
import { WalNodeStore, type WalLink, type WalStoreOptions } from '../../../src/storage/wal-store.ts';
import { hashRangeOptions, type NodeStore } from '../../../src/storage/node-store.ts';
import { SimLogDevice } from './sim-log-device.ts';
import { SimLogThread, SimWalLink } from './sim-log-thread.ts';
import { DurableWrites } from './sim-durable-writes.ts';
import { SimCheckpointTree, emptyTree, treeAfter, type TreeOnDisk } from './sim-checkpoint-tree.ts';
import type { Scheduler } from './scheduler.ts';
import type { Random } from './random.ts';

/** Small segments, so that logs roll over and segments are recycled (stale records and all) within a run. */
export const simSegmentBytes = 64 * 1024;

/** What the disks went through, over a run. */
export interface DiskCounts {
  /** Start-up scans that cut a torn tail: part of the last group written before a power loss survived it, and was cut. */
  tornTails: number;
  /** Power losses that rolled a checkpoint in progress (or written and not yet flushed) back. */
  checkpointsRolledBack: number;
  /** Process crashes that left a B-tree ahead of its last flushed checkpoint. */
  treesAhead: number;
  /** Log bytes written and not synced that power losses took away. */
  logBytesLost: number;
  /**
   * What recovery threw: at a restart, or over a durable state (a power loss then would have left
   * a store that does not open). Each fails the run; each starts with "recovery ".
   */
  recoveryFailures: string[];
}

export function noDiskCounts(): DiskCounts {
  return { tornTails: 0, checkpointsRolledBack: 0, treesAhead: 0, logBytesLost: 0, recoveryFailures: [] };
}

export type CrashKind = 'process' | 'power';

/** The store's pace in the simulator: small memtables and frequent checkpoints, each spread over several pumps. */
function storeOptions(random: Random): Omit<WalStoreOptions, 'now' | 'wake'> {
  return { memtableBytesMax: 256 * 1024, checkpointIntervalMs: 100 + random.next() * 400, checkpointWritesPerStep: 8 + random.int(0, 56) };
}

/** A durable view never checkpoints. */
const durableViewOptions: WalStoreOptions = { memtableBytesMax: Infinity, checkpointIntervalMs: Infinity, checkpointWritesPerStep: 1, now: () => 0 };

/** The link of a durable view: nothing is ever sent through it. */
const noLink: WalLink = { send: () => {}, flush: () => true, durableSequence: () => 0, durableLsn: () => 0, covered: () => {} };

export class SimDisk {
  readonly id: number;
  /** The node generation whose records this disk's log holds (the real server keeps it in its catalog). */
  readonly generation: number;
  private readonly scheduler: Scheduler;
  private readonly random: Random;
  readonly counts: DiskCounts;
  private readonly device: SimLogDevice;
  /** The B-tree as the disk holds it until the store opens it. */
  private readonly treeAtOpen: TreeOnDisk;
  private tree: SimCheckpointTree | null = null;
  private thread: SimLogThread | null = null;
  link: SimWalLink | null = null;
  /** Where the start-up scan found the log's end. */
  private end: WalEnd | null = null;
  /** Disk latency of one sync, in virtual ms. */
  syncLatency: () => number;
  /** A "hang-in-commit" fault: syncs wait until this time. */
  stallUntil = 0;
  private diskFreeAt = 0;
  /** The process (or the node's thread) ended: nothing this disk was doing for it completes. */
  private stopped = false;
  /** A power loss kept part (not all, not none) of the log's unsynced writes: its tail may be torn. */
  private torn = false;
  /** Moves whenever something becomes durable (the durable view is recomputed then). */
  private durableVersion = 0;
  private view: { version: number; store: WalNodeStore } | null = null;
  /** The write ids in the durable logs, followed group by group (null: to be read from the durable store). */
  private writes: DurableWrites | null = null;

  constructor(scheduler: Scheduler, random: Random, counts: DiskCounts, id: number, generation: number, device = new SimLogDevice(simSegmentBytes), tree = emptyTree()) {
    this.scheduler = scheduler;
    this.random = random;
    this.counts = counts;
    this.id = id;
    this.generation = generation;
    this.device = device;
    this.treeAtOpen = tree;
    this.syncLatency = () => 0.1 + this.random.next() * 2;
  }

  // ---- recovery ------------------------------------------------------------------------

  /** The start-up scan of the log (StorageThreads.readLogs): to its end, cutting a torn tail; throws WalCorruptError on damage. */
  scan(): WalEnd {
    const end = scanWal(this.device, this.device.segmentBytes, () => {});
    if (end.cutTail && this.torn) this.counts.tornTails++;
    this.end = end;
    return end;
  }

  /** Log bytes recovery will replay (after the B-tree's mark): what its time depends on. */
  get replayBytes(): number {
    return Math.max(0, (this.end?.end ?? 0) - this.treeAtOpen.written.mark);
  }

  /** Opens the node's store (WalNodeStore.open: the B-tree, then the log after its mark), its log thread writing from the scan's end. */
  open(now: () => number, wake: () => void, onDurable: () => void): WalNodeStore {
    const end = this.end ?? this.scan();
    const tree = new SimCheckpointTree(this.treeAtOpen, (flushed) => this.whenSynced(() => {
      this.durableVersion++;
      flushed();
    }));
    const thread = new SimLogThread(this.device, this.id, end, (synced) => this.whenSynced(() => {
      this.durableVersion++;
      synced();
    }));
    // Syncs the writer makes as it opens (of the segments it found holding the log) block the
    // opening thread in the server: they are done before the node starts, as part of its recovery.
    if (this.device.syncPending) {
      if (this.device.completeSyncs()) this.writes = null;
      this.durableVersion++;
    }
    thread.onDurable = onDurable;
    thread.onGroupSynced = (batches, inherited) => {
      if (inherited) this.writes = null;
      else for (const batch of batches) this.writes?.addBatch(batch);
    };
    const link = new SimWalLink(thread, this.id, this.generation);
    const store = WalNodeStore.open(tree, link, { ...storeOptions(this.random), now, wake }, { source: this.device, segmentBytes: this.device.segmentBytes, cipher: null, node: this.id, incarnation: this.generation, end: end.end });
    this.tree = tree;
    this.thread = thread;
    this.link = link;
    return store;
  }

  // ---- the disk's syncs ------------------------------------------------------------------

  /** One sync: done after the disk's latency, in order with the others (a stalled disk holds them). */
  private whenSynced(run: () => void): void {
    const start = Math.max(this.scheduler.now, this.diskFreeAt, this.stallUntil);
    this.diskFreeAt = start + this.syncLatency();
    this.scheduler.at(this.diskFreeAt, () => this.complete(run));
  }

  private complete(run: () => void): void {
    if (this.stopped) return;
    if (this.stallUntil > this.scheduler.now) return this.scheduler.at(this.stallUntil, () => this.complete(run));
    run();
  }

  /** The mark of the B-tree's last checkpoint, as recovery would start from it now (0: none). */
  get checkpointMark(): number {
    return (this.tree?.onDisk() ?? this.treeAtOpen).written.mark;
  }

  /** Batches the node sent and the log has not made durable. */
  batchesWaiting(): number {
    return this.link?.batchesWaiting() ?? 0;
  }

  /** The node's batches durable so far (the failure detector's view of a disk that still makes progress). */
  batchesDurable(): number {
    return this.link?.durableSequence() ?? 0;
  }

  // ---- crashes ---------------------------------------------------------------------------

  /** The node's thread (or its process) ended: its syncs under way never complete for it. */
  stop(): void {
    this.stopped = true;
  }

  /** The disk as the process's crash left it, for the next process (the same generation's node). */
  after(kind: CrashKind): SimDisk {
    this.stop();
    const tree = this.tree?.onDisk() ?? this.treeAtOpen;
    if (tree.ahead) {
      if (kind === 'process') this.counts.treesAhead++;
      else this.counts.checkpointsRolledBack++;
    }
    let device: SimLogDevice;
    let torn = false;
    if (kind === 'process') device = this.device.afterProcessCrash();
    else {
      const lost = this.device.afterPowerLoss(this.random);
      this.counts.logBytesLost += lost.lostBytes;
      device = lost.device;
      torn = lost.keptBytes > 0 && lost.lostBytes > 0;
    }
    const next = new SimDisk(this.scheduler, this.random, this.counts, this.id, this.generation, device, treeAfter(kind, tree));
    next.syncLatency = this.syncLatency;
    // Still torn if this process never scanned its log (a crash while it waited to).
    next.torn = torn || (this.torn && this.end === null);
    return next;
  }

  // ---- what a power loss now would keep ---------------------------------------------------

  /**
   * The store recovery would open if the power went now and none of the unsynced log writes
   * survived: the real recovery over the synced log and the flushed tree. Recomputed only when
   * something became durable since. Throws what recovery would throw.
   */
  durableStore(): WalNodeStore {
    if (this.view?.version === this.durableVersion) return this.view.store;
    let store: WalNodeStore;
    try {
      store = this.recoverDurable();
    } catch (err) {
      // The run fails on it; the checks go on with the last durable state that opened.
      this.counts.recoveryFailures.push(`recovery would fail on node ${this.id} (generation ${this.generation}) if the power went at ${this.scheduler.now.toFixed(1)} ms: ${(err as Error).stack ?? (err as Error).message}`);
      store = this.view?.store ?? this.emptyStore();
    }
    this.view = { version: this.durableVersion, store };
    return store;
  }

  /** The real recovery over the synced log and the flushed tree. */
  private recoverDurable(): WalNodeStore {
    const source = this.device.durableSource();
    const end = scanWal(source, this.device.segmentBytes, () => {});
    const flushed = treeAfter('power', this.tree?.onDisk() ?? this.treeAtOpen);
    return WalNodeStore.open(new SimCheckpointTree(flushed, () => {}), noLink, durableViewOptions, { source, segmentBytes: this.device.segmentBytes, cipher: null, node: this.id, incarnation: this.generation, end: end.end });
  }

  private emptyStore(): WalNodeStore {
    return new WalNodeStore(new SimCheckpointTree(emptyTree(), () => {}), noLink, durableViewOptions);
  }

  /** Whether some durable log entry of `table` carries write id `wid`. */
  durableHasWrite(table: string, wid: string): boolean {
    this.writes ??= DurableWrites.of(this.durableStore());
    return this.writes.has(table, wid);
  }

  /** The durable items of a hash range, key (hex) → stored value (hex). */
  durableItemsIn(table: string, hashStart: number, hashEnd: number): Map<string, string> {
    return itemsIn(this.durableStore(), table, hashStart, hashEnd);
  }
}

/** The items of one hash range as `store` reads them now, key (hex) → stored value (hex). */
export function itemsIn(store: NodeStore, table: string, hashStart: number, hashEnd: number): Map<string, string> {
  const out = new Map<string, string>();
  for (const { key, value } of store.items(table).getRange(hashRangeOptions(hashStart, hashEnd))) out.set(key.toString('hex'), value.toString('hex'));
  return out;
}
