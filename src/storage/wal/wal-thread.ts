// The write-ahead log's thread (a worker of its own, spawned by piscina): drains every storage
// node's batches from its ring, gathers what arrived into one group per log, writes and
// fdatasyncs it, publishes how far each node's batches are durable (in shared memory) and rings
// the nodes that wait. While a sync runs, batches pile up for the next group: group commit with
// no timer. It has no other duty, so no node's event loop ever waits on the disk. A failed write
// or sync ends the thread (and the process, StorageThreads decides): it is never retried.
import type { MessagePort } from 'node:worker_threads';
import { SpscRing } from '../../rings/ring.ts';
import { MessageReader } from '../../rings/fragments.ts';
import { Doorbell } from '../../rings/doorbell.ts';
import { WalWriter, type WalSegments } from './wal-writer.ts';
import { FileSegments } from './wal-files.ts';
import { TracingSegments } from '../crash-trace.ts';
import { WalCipher } from './wal-cipher.ts';
import { WalDurability } from './wal-durability.ts';
import type { WalEnd } from './wal-reader.ts';

export interface WalLogSpec {
  dir: string;
  /** Where the log ends (the start-up scan found it). */
  end: WalEnd;
}

export interface WalNodeSpec {
  /** Which log its batches go to. */
  log: number;
  ring: SharedArrayBuffer;
  /** Its records' incarnation: the node's generation (a replaced node's old records are skipped). */
  generation: number;
  doorbell: SharedArrayBuffer;
}

export interface WalThreadTask {
  segmentBytes: number;
  /** fdatasync each group (storage.sync); off, a group is written and counted durable at once. */
  sync: boolean;
  encryptionKey?: string;
  logs: WalLogSpec[];
  nodes: WalNodeSpec[];
  durability: SharedArrayBuffer;
  doorbell: SharedArrayBuffer;
  control: MessagePort;
  /** Trace every segment operation here (src/storage/crash-trace.ts; tests only). */
  crashTraceDir?: string;
}

export type WalControl =
  /** A node (re)started: its ring, its generation, and, for a log of its own, that log. */
  | { type: 'node'; node: number; spec: WalNodeSpec; log?: WalLogSpec }
  | { type: 'stop' };

/** How long the thread sleeps with nothing to write before looking again without a doorbell. */
const idleWaitMs = 50;
/** Zeros written ahead of the log per idle turn (a new segment's blocks). */
const fillChunkBytes = 4 << 20;

interface NodeLink {
  reader: MessageReader;
  generation: number;
  log: number;
  doorbell: Doorbell;
}

export default async function runWalThread(task: WalThreadTask): Promise<string> {
  const cipher = task.encryptionKey ? new WalCipher(task.encryptionKey) : null;
  const durability = new WalDurability(task.durability);
  const doorbell = new Doorbell(task.doorbell);
  const writers: WalWriter[] = [];
  const openLog = (spec: WalLogSpec): WalWriter => new WalWriter(segmentsFor(spec.dir, task.segmentBytes, task.sync, task.crashTraceDir), { segmentBytes: task.segmentBytes, cipher }, spec.end);
  for (const spec of task.logs) writers.push(openLog(spec));
  const links: Array<NodeLink | null> = task.nodes.map((spec) => linkOf(spec));
  let stopping = false;
  task.control.on('message', (msg: WalControl) => {
    if (msg.type === 'stop') {
      stopping = true;
    } else {
      if (msg.log !== undefined) writers[msg.spec.log] = openLog(msg.log);
      links[msg.node] = linkOf(msg.spec);
      // A new incarnation starts with nothing durable and holds back no reuse of the log.
      durability.reset(msg.node, writers[msg.spec.log].end);
    }
    doorbell.ring();
  });
  task.control.postMessage({ type: 'ready' });
  const touched = new Set<number>();
  let yieldAt = performance.now();
  while (!stopping) {
    let worked = false;
    for (let node = 0; node < links.length; node++) {
      const link = links[node];
      if (link === null) continue;
      let batch: Uint8Array | null;
      while ((batch = link.reader.tryRead()) !== null) {
        writers[link.log].append(node, link.generation, batch);
        touched.add(node);
        worked = true;
      }
    }
    for (const writer of writers) {
      if (!writer.hasPending) continue;
      for (const d of writer.commitGroup()) durability.published(d.node, d.sequence, d.lsn);
    }
    for (const node of touched) links[node]?.doorbell.ring();
    touched.clear();
    releaseCovered(writers, links, durability);
    // Control messages (a replaced node, stop) arrive through the event loop: let it turn now and then.
    if (performance.now() - yieldAt > idleWaitMs) {
      yieldAt = performance.now();
      await new Promise((resolve) => setImmediate(resolve));
    }
    if (worked) continue;
    // Idle: write the blocks of a new segment ahead of the log's end, a chunk between looks at the rings.
    if (writers.some((w) => w.fillStep(fillChunkBytes))) continue;
    doorbell.prepareSleep();
    if (links.some((l) => l !== null && !l.reader.isEmpty())) {
      doorbell.cancelSleep();
      continue;
    }
    // A blocking wait: a node rings this doorbell with one futex wake, and the group starts at once.
    doorbell.waitSync(idleWaitMs);
  }
  for (const writer of writers) if (writer.hasPending) for (const d of writer.commitGroup()) durability.published(d.node, d.sequence, d.lsn);
  return 'stopped';
}

function linkOf(spec: WalNodeSpec): NodeLink {
  return { reader: new MessageReader(new SpscRing(spec.ring)), generation: spec.generation, log: spec.log, doorbell: new Doorbell(spec.doorbell) };
}

function segmentsFor(dir: string, segmentBytes: number, sync: boolean, crashTraceDir: string | undefined): WalSegments {
  const segments = new FileSegments(dir, sync);
  if (!sync) segments.sync = () => {};
  return crashTraceDir === undefined ? segments : new TracingSegments(segments, dir, crashTraceDir);
}

/** What only records covered by every node's durable checkpoint hold is reused. */
function releaseCovered(writers: WalWriter[], links: Array<NodeLink | null>, durability: WalDurability): void {
  for (let log = 0; log < writers.length; log++) {
    let covered = Infinity;
    for (let node = 0; node < links.length; node++) if (links[node]?.log === log) covered = Math.min(covered, durability.covered(node));
    if (covered !== Infinity) writers[log].release(covered);
  }
}
