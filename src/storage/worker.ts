// Entry point of a storage worker thread (spawned by piscina): wires one storage node to its
// rings, its LMDB store and the control channel, then runs its loop for the life of the node.
// The piscina task settles only when the node is told to stop (or is fenced, or crashes).
import type { MessagePort } from 'node:worker_threads';
import { LmdbTree, type DiskWatch } from './lmdb-tree.ts';
import { WalNodeStore, type WalStoreOptions } from './wal-store.ts';
import { CheckpointCopies } from './crash-trace.ts';
import { RingWalLink } from './wal/ring-link.ts';
import { WalDurability } from './wal/wal-durability.ts';
import { FileSegments } from './wal/wal-files.ts';
import { WalCipher } from './wal/wal-cipher.ts';
import { serverFollowers } from './server-followers.ts';
import { StorageNode, type NodeEvent, type StorageNodeOptions } from './storage-node.ts';
import { RingTransport } from './ring-transport.ts';
import { runControl } from './node-control.ts';
import { FaultyTransport, RecoveryPause, faultyStore, loopFaults } from './fault-injection.ts';
import { HealthBoard } from '../control/health-board.ts';
import type { ControlMessage, ControlReply } from '../control/control-messages.ts';
import type { NodeStore } from './node-store.ts';
import type { NodeTransport } from './node-transport.ts';
import { SpscRing } from '../rings/ring.ts';
import { Doorbell } from '../rings/doorbell.ts';
import { ReadVisibility, type ServingRange } from './read-visibility.ts';
import { Outbox } from '../rings/outbox.ts';
import { log, setLogLevel, type LogLevel } from '../server/logger.ts';

/**
 * A node about to handle one message this large (encode, decode, copy, write) may stay still one
 * more check interval per this many bytes: ~10 ms of work per megabyte here, times ten for a
 * loaded machine.
 */
const longStepBytesPerBeat = 1024 * 1024;

/** The node's outboxes ring their consumers once per pump (each pump ends in transport.flush()). */
const ringOnFlush = { ringOnFlush: true } as const;

export interface StorageNodeTask {
  id: number;
  /** This node's incarnation: a replacement gets a new one (and a new, empty directory). */
  incarnation: number;
  nodeDir: string;
  sync: boolean;
  mapSizeBytes: number;
  /** lmdb-js's encryption key (32 ASCII characters); absent: the LMDB files are not encrypted. */
  encryptionKey?: string;
  /** Router → this node, and this node → router. */
  requestRing: SharedArrayBuffer;
  responseRing: SharedArrayBuffer;
  /** This node's doorbell (rung by anyone writing to its inbound rings) and the router's. */
  doorbell: SharedArrayBuffer;
  routerDoorbell: SharedArrayBuffer;
  /** Replication rings keyed by peer id: from the peer to this node, and from this node to the peer. */
  peerIn: Record<number, SharedArrayBuffer>;
  peerOut: Record<number, SharedArrayBuffer>;
  peerDoorbells: Record<number, SharedArrayBuffer>;
  control: MessagePort;
  /** Liveness, fences, incarnations and fault switches shared with the control plane. */
  healthBoard: SharedArrayBuffer;
  /** How often the node ticks (its replicas resend to silent peers, restart stalled installs). */
  heartbeatIntervalMs: number;
  /** Install the fault-injection wrappers (faults.enabled). */
  faults: boolean;
  /** The server's log.level (absent: the logger's default, info). */
  logLevel?: LogLevel;
  node: Omit<StorageNodeOptions, 'id' | 'now' | 'streamIdBase' | 'peerFenced' | 'emit' | 'wake' | 'beat'>;
  /** The node's generation: its log records carry it (a replacement's are told from its predecessor's). */
  generation: number;
  store: Omit<WalStoreOptions, 'now' | 'observer'>;
  /** Copy the B-tree at checkpoints into this crash trace (tests only). */
  crashTraceDir?: string;
  /** What the front door may read from this node's B-tree itself (read-visibility.ts); absent: it asks the node. */
  readVisibility?: SharedArrayBuffer;
  /** Stop the thread for good after replaying this many log records at start-up (tests only: a kill during recovery). */
  recoveryPauseRecords?: number;
  wal: {
    /** This node → the log's thread, and that thread's doorbell. */
    ring: SharedArrayBuffer;
    doorbell: SharedArrayBuffer;
    /** How far each node's batches are durable (written by the log's thread). */
    durability: SharedArrayBuffer;
    /** The log this node's records are in, to replay them from at start-up. */
    dir: string;
    segmentBytes: number;
    /** Replay the log up to here (where it ended when the process started); null: a new node, nothing to replay. */
    replayEnd: number | null;
  };
}

/** How long an idle node sleeps before looking at its rings again without a doorbell. */
const idleWaitMs = 50;
/** Pumps in a row before letting the event loop run (control messages, timers). */
const pumpsPerYield = 16;
/** Snapshot stream ids: each incarnation gets its own range, so a stream of a former one is never taken for a new one. */
const streamIdsPerIncarnation = 2 ** 20;

export default async function runStorageNode(task: StorageNodeTask): Promise<string> {
  if (task.logLevel !== undefined) setLogLevel(task.logLevel);
  const board = new HealthBoard(task.healthBoard);
  const fenced = () => board.isFenced(task.id, task.incarnation);
  const doorbell = new Doorbell(task.doorbell);
  const peerIn = new Map<number, SpscRing>();
  const peerOut = new Map<number, Outbox>();
  for (const [peer, sab] of Object.entries(task.peerIn)) peerIn.set(Number(peer), new SpscRing(sab));
  for (const [peer, sab] of Object.entries(task.peerOut)) peerOut.set(Number(peer), new Outbox(new SpscRing(sab), new Doorbell(task.peerDoorbells[Number(peer)]), ringOnFlush));
  const rings = new RingTransport(new SpscRing(task.requestRing), new Outbox(new SpscRing(task.responseRing), new Doorbell(task.routerDoorbell), ringOnFlush), peerIn, peerOut, fenced);
  // The failure detector sees when this thread waits on its disk (then it is not hung)...
  const watch: DiskWatch = { enter: () => board.enterDiskCall(task.id), leave: () => board.leaveDiskCall(task.id) };
  const visibility = task.readVisibility === undefined ? undefined : new ReadVisibility(task.readVisibility);
  let store: NodeStore = openStore(task, watch, () => doorbell.ring(), visibility);
  let transport: NodeTransport = rings;
  if (task.faults) {
    store = faultyStore(store, board, task.id);
    transport = new FaultyTransport(rings, board, task.id);
  }
  // ...and whether its disk still makes batches durable, as the node hears of it (after any fault that holds the reports).
  store = countBatches(store, board, task.id);
  const post = (reply: ControlReply) => task.control.postMessage(reply);
  const node = new StorageNode(store, transport, {
    ...task.node,
    id: task.id,
    now: Date.now,
    streamIdBase: task.incarnation * streamIdsPerIncarnation,
    peerFenced: (peer) => board.isDeclaredDead(peer),
    emit: (event: NodeEvent) => post({ kind: 'event', event }),
    wake: () => doorbell.ring(),
    beat: (longStepBytes) => beat(longStepBytes),
    followers: serverFollowers(),
  });
  // What the node recorded itself is where it starts; the control plane then elects a leader for
  // every partition in a new epoch (a restarted node leads nothing until then).
  node.restore();
  // Progress: every turn of the loop, every control message and every beat from inside long
  // work. A thread that is stuck stops moving it while work waits for it, and the control plane
  // notices; one starved of CPU still moves it, only less often. A node about to take one long
  // step (a message of tens of megabytes, a large batch's writes, which lmdb-js runs on this
  // thread) says how long it may stay still.
  const beat = (longStepBytes = 0) => {
    board.progress(task.id, Math.ceil(Math.max(longStepBytes, node.bytesGoingToDisk()) / longStepBytesPerBeat));
  };
  beat();
  // Ticks let replicas resend to silent peers and restart stalled snapshot installs.
  const ticker = setInterval(() => node.tick(), task.heartbeatIntervalMs);

  // The replicas' ranges serving eventually consistent reads, published whenever they change.
  const serving: ServingRange[] = [];
  const publishServing = visibility === undefined ? () => {} : () => servingRangesChanged(node, serving) && visibility.publishServing(serving);
  publishServing();
  let stopping = false;
  let stopSeq = -1;
  let controlFailure: Error | null = null;
  task.control.on('message', (msg: ControlMessage) => {
    board.controlTaken(task.id);
    if (msg.type === 'stop') {
      stopping = true;
      stopSeq = msg.seq;
      doorbell.ring();
      return;
    }
    board.progress(task.id);
    try {
      post({ kind: 'reply', seq: msg.seq, ok: true, result: handleControl(node, rings, msg) });
      publishServing();
    } catch (err) {
      // A handler that threw left the node half changed: it stops, loudly (finding N6).
      controlFailure = err as Error;
      post({ kind: 'reply', seq: msg.seq, ok: false, error: (err as Error).stack ?? String(err) });
    }
    doorbell.ring();
  });
  post({ kind: 'ready' });

  const faults = task.faults ? loopFaults(board, task.id) : () => {};
  const beforePump = () => {
    if (controlFailure !== null) throw controlFailure;
    faults();
  };
  try {
    await runLoop(node, doorbell, beforePump, publishServing, () => stopping || fenced(), beat, () => board.controlWaiting(task.id));
  } catch (err) {
    // A node that cannot go on (a commit failed, an invariant broke) ends its thread, so the
    // control plane fails it over at once instead of leaving a silent node holding its partitions.
    clearInterval(ticker);
    // Close the store here: a thread torn down with its LMDB environment still open can hang
    // in lmdb-js's clean-up (EnvWrap::cleanupStrayTxns), and with it the whole process.
    await node.store.close().catch(() => {});
    task.control.close();
    throw err;
  }
  clearInterval(ticker);
  // Finish what was drained, then close LMDB cleanly.
  if (!fenced()) node.pump();
  await node.store.close();
  post({ kind: 'reply', seq: stopSeq, ok: true, result: undefined });
  task.control.close();
  return 'stopped';
}

/**
 * `afterPump`: the node's serving ranges are published when they changed. `controlWaiting`: a
 * control message waits in the event loop. A busy node yields to it at once rather than after
 * pumpsPerYield pumps (tens of milliseconds under load): a publish waits for every node's
 * answer, and requests routed by the map it brings wait for the publish.
 */
async function runLoop(node: StorageNode, doorbell: Doorbell, beforePump: () => void, afterPump: () => void, done: () => boolean, progress: () => void, controlWaiting: () => boolean): Promise<void> {
  let pumps = 0;
  while (!done()) {
    beforePump();
    // Every turn is progress (an idle node turns at least every idleWaitMs): only a thread stuck
    // in one operation, or not given the CPU at all, stops moving it.
    progress();
    const pumped = node.pump();
    afterPump();
    if (pumped) {
      if (++pumps >= pumpsPerYield || controlWaiting()) {
        pumps = 0;
        await yieldToEventLoop();
      }
      continue;
    }
    doorbell.prepareSleep();
    if (node.hasInput()) {
      doorbell.cancelSleep();
      // Input the pump did not take (it should have): the event loop still gets its turns.
      if (++pumps >= pumpsPerYield || controlWaiting()) {
        pumps = 0;
        await yieldToEventLoop();
      }
      continue;
    }
    if (node.awaitsDisk()) {
      // Durability comes back through the event loop (lmdb-js's flush callback), which rings the
      // doorbell: wait without blocking the loop.
      await doorbell.waitAsync(node.hasBacklog() ? 1 : idleWaitMs);
      continue;
    }
    // A blocking wait: waking a thread blocked in Atomics.wait costs the waker one futex wake,
    // less than waking a waitAsync waiter, and the router pays it on its busiest path. Control
    // messages and timers run in the yield after the wait; the router rings this doorbell after
    // posting a control message.
    doorbell.waitSync(node.hasBacklog() ? 1 : idleWaitMs);
    await yieldToEventLoop();
  }
}

/**
 * The node's store: its B-tree (LMDB, written by checkpoints) and its link to the write-ahead
 * log, opened as its last checkpoint left it plus its log records after that (a replacement has
 * neither: it starts empty).
 */
function openStore(task: StorageNodeTask, watch: DiskWatch, wake: () => void, visibility: ReadVisibility | undefined): WalNodeStore {
  const tree = new LmdbTree({ path: task.nodeDir, sync: task.sync, mapSizeBytes: task.mapSizeBytes, encryptionKey: task.encryptionKey, watch });
  logCheckpoints(tree, `storage node ${task.id} (generation ${task.generation})`);
  const link = new RingWalLink(new Outbox(new SpscRing(task.wal.ring), new Doorbell(task.wal.doorbell)), new WalDurability(task.wal.durability), task.id);
  const options: WalStoreOptions = { ...task.store, now: Date.now, wake, visibility };
  if (task.crashTraceDir !== undefined) options.observer = new CheckpointCopies(tree, task.crashTraceDir, task.id, task.generation);
  if (task.wal.replayEnd === null) {
    link.covered(tree.coveredLsn);
    return new WalNodeStore(tree, link, options);
  }
  const source = new FileSegments(task.wal.dir);
  const cipher = task.encryptionKey ? new WalCipher(task.encryptionKey) : null;
  // How long a restart takes, and how much of the log it had to read: for operators (and the
  // process-kill test, which tells from these lines whether a kill came during recovery).
  const mark = tree.coveredLsn;
  const end = task.wal.replayEnd;
  log.info(`storage node ${task.id} (generation ${task.generation}): recovery started, replaying the log after its checkpoint mark (LSN ${mark}) to LSN ${end}`);
  const started = performance.now();
  const pause = task.recoveryPauseRecords === undefined ? null : new RecoveryPause(task.recoveryPauseRecords, (line) => log.info(`storage node ${task.id} (generation ${task.generation}): ${line}`));
  const afterRecord = pause === null ? undefined : (replayed: number) => pause.afterRecord(replayed);
  const store = WalNodeStore.open(tree, link, options, { source, segmentBytes: task.wal.segmentBytes, cipher, node: task.id, incarnation: task.generation, end, afterRecord });
  pause?.atEnd();
  log.info(`storage node ${task.id} (generation ${task.generation}): recovery done in ${Math.round(performance.now() - started)} ms, log LSN ${mark}..${end} (${kib(Math.max(0, end - mark))} KiB), memtable ${kib(store.memtableBytes)} KiB`);
  return store;
}

/**
 * Logs (debug) when each checkpoint starts and when it is durable, with its mark, size and
 * duration: how long checkpoints take, and (the process-kill test) whether one was under way when
 * the process died: its start logged and not its durability.
 */
function logCheckpoints(tree: LmdbTree, node: string): void {
  const checkpoint = tree.checkpoint.bind(tree);
  tree.checkpoint = (layer, coveredLsn, done) => {
    const bytes = layer.bytes;
    const started = performance.now();
    log.debug(`${node}: checkpoint started, ${kib(bytes)} KiB of memtable, mark LSN ${coveredLsn}`);
    checkpoint(layer, coveredLsn, (err) => {
      if (err === null) log.debug(`${node}: checkpoint durable in ${Math.round(performance.now() - started)} ms, mark LSN ${coveredLsn}`);
      done(err);
    });
  };
}

function kib(bytes: number): number {
  return Math.round(bytes / 1024);
}

/** Tells the health board of every batch handed to the disk and of every one reported durable. */
function countBatches(store: NodeStore, board: HealthBoard, self: number): NodeStore {
  const commit = store.commit.bind(store);
  store.commit = (onDurable) => {
    board.committed(self);
    commit(() => {
      board.durable(self);
      onDurable();
    });
  };
  return store;
}

/** A control message; a new peer's rings are swapped in here, the rest is the node's business. */
function handleControl(node: StorageNode, rings: RingTransport, msg: Exclude<ControlMessage, { type: 'stop' }>): unknown {
  if (msg.type === 'peer') rings.replacePeer(msg.peer, new SpscRing(msg.inRing), new Outbox(new SpscRing(msg.outRing), new Doorbell(msg.peerDoorbell), ringOnFlush));
  return runControl(node, msg);
}

/** Brings `serving` up to the node's replicas that serve eventually consistent reads; whether it changed. */
function servingRangesChanged(node: StorageNode, serving: ServingRange[]): boolean {
  let n = 0;
  let changed = false;
  for (const slot of node.replicas.values()) {
    const m = slot.machine;
    if (!m.servesEventualReads()) continue;
    const { hashStart, hashEnd } = m.membership;
    const had = serving[n];
    if (had === undefined || had.table !== m.table || had.hashStart !== hashStart || had.hashEnd !== hashEnd) {
      serving[n] = { table: m.table, hashStart, hashEnd };
      changed = true;
    }
    n++;
  }
  if (serving.length !== n) {
    serving.length = n;
    changed = true;
  }
  return changed;
}

function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
