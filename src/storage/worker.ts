// Entry point of a storage worker thread (spawned by piscina). It runs one storage node for
// the life of the server: the piscina task only settles when the node is told to stop.
import type { MessagePort } from 'node:worker_threads';
import { NodeStore } from './node-store.ts';
import { StorageNode, type NodeEvent } from './storage-node.ts';
import { HealthBoard } from '../control/health-board.ts';
import type { PartitionAssignment } from './messages.ts';
import { SpscRing } from '../rings/ring.ts';
import { Doorbell } from '../rings/doorbell.ts';
import { Outbox } from '../rings/outbox.ts';

export interface StorageNodeTask {
  id: number;
  /** This incarnation's LMDB directory (a replacement node starts in a new, empty one). */
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
  assignments: PartitionAssignment[];
  /** Heartbeats, fences and fault switches shared with the control plane. */
  healthBoard: SharedArrayBuffer;
  heartbeatIntervalMs: number;
  logEntriesMax: number;
}

/** Control messages from the control plane (postMessage: rare, never per request). */
export type ControlMessage =
  | { type: 'assign'; seq: number; assignments: PartitionAssignment[] }
  | { type: 'fence'; seq: number; table: string; pid: number; epoch: number }
  | { type: 'install'; seq: number; assignment: PartitionAssignment }
  | { type: 'peer'; seq: number; peer: number; inRing: SharedArrayBuffer; outRing: SharedArrayBuffer; peerDoorbell: SharedArrayBuffer }
  | { type: 'dropTable'; seq: number; table: string }
  | { type: 'dropReplica'; seq: number; table: string; pid: number }
  | { type: 'handoff'; seq: number; table: string; pid: number; target: number }
  | { type: 'split'; seq: number; table: string; pid: number; at: number; lowPid: number; highPid: number; version: number }
  | { type: 'describe'; seq: number }
  | { type: 'stop'; seq: number };

/** A control message before the control channel numbers it. */
export type ControlRequest = ControlMessage extends infer M ? (M extends { seq: number } ? Omit<M, 'seq'> : never) : never;

export interface ControlReply {
  seq: number;
  ok: boolean;
  error?: string;
  result?: unknown;
  /** Unsolicited news from the node (seq is 0). */
  event?: NodeEvent;
}

/** How long an idle node sleeps before looking at its rings again without a doorbell. */
const idleWaitMs = 50;
/** Pumps in a row before letting the event loop run (control messages, timers). */
const pumpsPerYield = 16;

export default async function runStorageNode(task: StorageNodeTask): Promise<string> {
  const doorbell = new Doorbell(task.doorbell);
  const routerDoorbell = new Doorbell(task.routerDoorbell);
  const peerIn = new Map<number, SpscRing>();
  const peerOut = new Map<number, Outbox>();
  for (const [peer, sab] of Object.entries(task.peerIn)) peerIn.set(Number(peer), new SpscRing(sab));
  for (const [peer, sab] of Object.entries(task.peerOut)) {
    peerOut.set(Number(peer), new Outbox(new SpscRing(sab), new Doorbell(task.peerDoorbells[Number(peer)])));
  }
  const board = new HealthBoard(task.healthBoard);
  const store = new NodeStore({ path: task.nodeDir, sync: task.sync, mapSizeBytes: task.mapSizeBytes, encryptionKey: task.encryptionKey });
  const emit = (event: NodeEvent) => task.control.postMessage({ seq: 0, ok: true, event } satisfies ControlReply);
  const node = new StorageNode(
    task.id,
    store,
    {
      requests: new SpscRing(task.requestRing),
      responses: new Outbox(new SpscRing(task.responseRing), routerDoorbell),
      peerIn,
      peerOut,
    },
    board,
    emit,
    task.logEntriesMax,
  );
  // What the node recorded itself comes first; the control plane's catalog may be older.
  node.restore();
  node.assign(task.assignments);
  // The heartbeat is a timer on this thread's event loop: a thread that is stuck, busy for too
  // long or dead stops beating, and the control plane notices.
  board.beat(task.id);
  const heartbeat = setInterval(() => board.beat(task.id), task.heartbeatIntervalMs);

  let stopping = false;
  let stopSeq = -1;
  task.control.on('message', (msg: ControlMessage) => {
    const reply: ControlReply = { seq: msg.seq, ok: true };
    try {
      switch (msg.type) {
        case 'assign':
          node.assign(msg.assignments);
          break;
        case 'fence':
          reply.result = node.fence(msg.table, msg.pid, msg.epoch);
          break;
        case 'install':
          node.install(msg.assignment);
          break;
        case 'peer':
          node.replacePeerLinks(msg.peer, new SpscRing(msg.inRing), new Outbox(new SpscRing(msg.outRing), new Doorbell(msg.peerDoorbell)));
          break;
        case 'dropTable':
          node.dropTable(msg.table);
          break;
        case 'dropReplica':
          node.dropReplica(msg.table, msg.pid);
          break;
        case 'handoff':
          reply.result = node.handoff(msg.table, msg.pid, msg.target);
          break;
        case 'split':
          reply.result = node.split(msg.table, msg.pid, msg.at, msg.lowPid, msg.highPid, msg.version);
          break;
        case 'describe':
          reply.result = node.describe();
          break;
        case 'stop':
          stopping = true;
          stopSeq = msg.seq;
          doorbell.ring();
          return;
      }
    } catch (err) {
      reply.ok = false;
      reply.error = (err as Error).stack ?? String(err);
    }
    task.control.postMessage(reply);
    doorbell.ring();
  });
  task.control.postMessage({ seq: 0, ok: true, result: 'ready' } satisfies ControlReply);

  let pumps = 0;
  let beatAt = performance.now();
  try {
    while (!stopping) {
      // Fault injection: a hung node blocks its whole thread, heartbeat included.
      if (board.hangRequested(task.id)) board.hangWhileRequested(task.id);
      if (board.crashRequested(task.id)) throw new Error(`storage node ${task.id} crashed (fault injection)`);
      if (board.isFenced(task.id)) break;
      // A busy node beats from its loop too, so only a node stuck in one operation misses beats.
      const now = performance.now();
      if (now - beatAt >= task.heartbeatIntervalMs) {
        beatAt = now;
        board.beat(task.id);
      }
      if (node.pump()) {
        if (++pumps >= pumpsPerYield) {
          pumps = 0;
          await yieldToEventLoop();
        }
        continue;
      }
      pumps = 0;
      doorbell.prepareSleep();
      if (node.hasInput()) {
        doorbell.cancelSleep();
        continue;
      }
      // A blocking wait: waking a thread blocked in Atomics.wait costs the waker one futex
      // wake, less than waking a waitAsync waiter (a task posted to this thread's event loop),
      // and the router pays it on its busiest path. Control messages and timers run in the
      // yield after the wait; the router rings this doorbell after posting a control message.
      doorbell.waitSync(node.hasBacklog() ? 1 : idleWaitMs);
      await yieldToEventLoop();
    }
  } catch (err) {
    // A node that cannot go on (a commit failed) stops beating, so the control plane fails
    // it over instead of leaving a silent node holding its partitions.
    clearInterval(heartbeat);
    // Close the store here: a thread torn down with its LMDB environment still open can hang
    // in lmdb-js's clean-up (EnvWrap::cleanupStrayTxns), and with it the whole process.
    await node.close().catch(() => {});
    throw err;
  }
  clearInterval(heartbeat);
  // Finish what was drained, then close LMDB cleanly.
  if (!board.isFenced(task.id)) node.pump();
  await node.close();
  task.control.postMessage({ seq: stopSeq, ok: true } satisfies ControlReply);
  task.control.close();
  return 'stopped';
}

function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
