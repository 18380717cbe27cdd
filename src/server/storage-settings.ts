// The storage nodes' settings, derived from the configuration in one place (the workers get
// them in their task; the simulator builds its own from the same function).
import type { Config } from './config.ts';
import type { StorageNodeTask } from '../storage/worker.ts';
import { pageJsonBudgetFor, replicationBatchBudgetFor, replicationBatchEntriesMax, snapshotChunkBudgetFor } from '../limits-relations.ts';

/**
 * Log entries kept behind the slowest follower, for catch-up after restarts (what a follower is
 * known to need is kept whatever this says). Each checkpoint writes every replica's retained tail
 * to the B-tree and removes the previous one, so a node pays for replicas × this many entries per
 * checkpoint however few writes they took: at 2,048, a table of 12 partitions cost each write
 * about a tenth more than at 512 (BENCH_PARTITIONS=12 npm run bench:storage).
 */
const logRetainedEntries = 512;
/** Trimming waits until this many entries can go (whole pages freed, not one entry per commit). */
const logTrimStep = 256;
/** Ticks (heartbeat intervals) without an answer before a leader resends to a follower. */
const probeTicks = 5;
/** Ticks a split child waits for its parent's split entry before asking for a snapshot. */
const awaitSplitTicksMax = 30;
/** Appended entries a leader holds uncommitted before it refuses writes (503, nothing applied). */
const uncommittedEntriesMax = 50_000;
/** Snapshot chunks sent per pump while the target's ring has room. */
const snapshotChunksPerPump = 4;
/** Bounds on one pump, so reads keep flowing while writes pour in. */
const requestsPerPumpMax = 512;
/** Batches on their way to the disk at once. One: while it syncs, the node keeps draining and the next batch grows, so a commit carries what arrived during the last one (loadtest: 22 log entries per commit instead of 9, mixed load ~10 % faster, PutItem the same). */
const commitsInFlightMax = 1;
const replFramesPerPumpMax = 256;
/**
 * A split counts its halves exactly up to this many items, or this many bytes of items, and
 * estimates them beyond: every replica counts after it applies the split, on its storage thread,
 * over a pinned read view that is held until the count ends (finding M9).
 */
const splitCountItemsMax = 20_000;
const splitCountBytesMax = 16 * 1024 * 1024;
/**
 * Items a split's count reads per pump: ~1-3 ms here (merged memtable over LMDB). Counted in one
 * go, 16,700 items held a node 46-190 ms, and every request queued behind it (issue 21).
 */
const splitCountItemsPerPump = 512;
/** Write ids remembered per node at most (memory bound; the time bound below is what retries need). */
const writeIdsMax = 4_000_000;

/** B-tree writes a checkpoint queues per pump: a few milliseconds of this thread's time at most. */
const checkpointWritesPerStep = 2048;

/** The store's settings: memtable bound, checkpoint interval and pace. */
export function storeSettings(config: Config): StorageNodeTask['store'] {
  return { memtableBytesMax: config.storage.memtableBytesMax, checkpointIntervalMs: config.storage.checkpointIntervalMs, checkpointWritesPerStep };
}

export function storageNodeSettings(config: Config): StorageNodeTask['node'] {
  const f = config.failover;
  const ring = config.rings.capacityBytes;
  return {
    machine: {
      // A frame of entries fits one ring frame (one entry larger than that travels as fragments).
      entriesPerFrameMax: replicationBatchEntriesMax,
      entriesFrameBytesMax: replicationBatchBudgetFor(ring),
      logEntriesMax: f.logEntriesMax,
      logRetainedEntries: Math.min(logRetainedEntries, f.logEntriesMax),
      logTrimStep: Math.min(logTrimStep, f.logEntriesMax),
      probeTicks,
      awaitSplitTicksMax,
      installStallTicksMax: Math.max(probeTicks, Math.ceil(f.installTimeoutMs / f.heartbeatIntervalMs / 4)),
      uncommittedEntriesMax,
    },
    // A write is retried for at most the router's retry window, each attempt waiting at most the
    // request timeout: its id must be remembered at least that long (finding F11).
    writeIdRetentionMs: f.routerRetryWindowMs + 2 * config.storage.requestTimeoutMs,
    writeIdsMax,
    snapshotChunkBytesMax: snapshotChunkBudgetFor(ring),
    snapshotChunksPerPump,
    pageJsonBudgetBytes: pageJsonBudgetFor(ring),
    requestsPerPumpMax,
    commitsInFlightMax,
    replFramesPerPumpMax,
    splitCountItemsMax,
    splitCountBytesMax,
    splitCountItemsPerPump,
    itemCollectionBytesMax: config.tables.itemCollectionBytesMax,
  };
}
