// The simulated write-ahead log thread of one node's log, and the node's link to it. As the real
// thread (src/storage/wal/wal-thread.ts) does, it gathers the batches that arrived into one group,
// writes it with the real WalWriter and syncs it; while the sync runs, batches pile up for the next
// group (group commit: every batch appended before a group's write is covered by its sync). When
// the sync completes (the simulated disk says when), it publishes in a WalDurability how far the
// node's batches are durable, releases the log that every durable checkpoint covers, and wakes
// the node, which reads the durability through its WalLink as a RingWalLink does.
import { WalWriter } from '../../../src/storage/wal/wal-writer.ts';
import { WalDurability } from '../../../src/storage/wal/wal-durability.ts';
import type { WalEnd } from '../../../src/storage/wal/wal-reader.ts';
import type { WalLink } from '../../../src/storage/wal-store.ts';
import type { SimLogDevice } from './sim-log-device.ts';

/** Runs `synced` once the device's fdatasyncs asked for so far complete (never, if the process died). */
export type SyncRequest = (synced: () => void) => void;

export class SimLogThread {
  readonly writer: WalWriter;
  readonly durability: WalDurability;
  private readonly device: SimLogDevice;
  private readonly node: number;
  private readonly requestSync: SyncRequest;
  private syncing = false;
  /** Batches appended since the last group was written. */
  private gathering: Uint8Array[] = [];
  /** Wakes the node (the real thread rings its doorbell). */
  onDurable: () => void = () => {};
  /** Told of each group once synced: its batches, and whether the sync also made an earlier process's unsynced writes durable. */
  onGroupSynced: (batches: Uint8Array[], inherited: boolean) => void = () => {};
  /** Groups synced. */
  groups = 0;

  /** The log continues at `end` (where the start-up scan found it), for node `node`. */
  constructor(device: SimLogDevice, node: number, end: WalEnd, requestSync: SyncRequest) {
    this.device = device;
    this.node = node;
    this.requestSync = requestSync;
    this.writer = new WalWriter(device, { segmentBytes: device.segmentBytes, cipher: null }, end);
    // As the server's log thread at start-up (a new WalDurability): nothing durable, and no segment
    // reused until the node's first checkpoint after its recovery is durable. Its records after the
    // B-tree's flushed mark are what a power loss before then would replay (found by seed 370126:
    // starting with the whole log released let the writer recycle them).
    this.durability = WalDurability.create(node + 1);
  }

  /** One batch from the node's ring. */
  append(incarnation: number, batch: Uint8Array): void {
    this.writer.append(this.node, incarnation, batch);
    this.gathering.push(batch);
    this.groupCommit();
  }

  /** Writes the gathered group and asks for its sync, unless one is under way (then the next group waits for it). */
  private groupCommit(): void {
    if (this.syncing || !this.writer.hasPending) return;
    this.syncing = true;
    const done = this.writer.commitGroup();
    const batches = this.gathering;
    this.gathering = [];
    this.requestSync(() => {
      const inherited = this.device.completeSyncs();
      this.syncing = false;
      this.groups++;
      this.onGroupSynced(batches, inherited);
      for (const d of done) this.durability.published(d.node, d.sequence, d.lsn);
      this.release();
      this.onDurable();
      this.groupCommit();
    });
  }

  /** What only records covered by the node's durable checkpoint hold is reused. */
  release(): void {
    this.writer.release(this.durability.covered(this.node));
  }
}

/** The node's end of its log: batches go to the log thread; durability is read from what the thread published. */
export class SimWalLink implements WalLink {
  private readonly thread: SimLogThread;
  private readonly node: number;
  private readonly incarnation: number;
  /** Batches sent (the node numbers its batches from 1). */
  sent = 0;

  constructor(thread: SimLogThread, node: number, incarnation: number) {
    this.thread = thread;
    this.node = node;
    this.incarnation = incarnation;
  }

  send(batch: Uint8Array): void {
    this.sent++;
    this.thread.append(this.incarnation, batch);
  }

  flush(): boolean {
    return true;
  }

  durableSequence(): number {
    return this.thread.durability.sequence(this.node);
  }

  durableLsn(): number {
    return this.thread.durability.lsn(this.node);
  }

  covered(lsn: number): void {
    this.thread.durability.setCovered(this.node, lsn);
    this.thread.release();
  }

  /** Batches sent and not yet durable (the failure detector's view of the disk). */
  batchesWaiting(): number {
    return this.sent - this.durableSequence();
  }
}
