// The snapshot streams a storage node is sending: at most one per (partition, target), a few
// chunks per pump, each only when the target's queue is empty, so a snapshot never crowds out
// replication traffic and the sender keeps serving.
import type { ReplFrame } from '../replication/frames.ts';
import type { NodeStore } from './node-store.ts';
import type { ReplicaSlot } from './replica-slot.ts';
import { SnapshotSender } from './snapshot-sender.ts';
import type { WriteIds } from '../replication/write-ids.ts';

/** What the streams need of their node. */
export interface SnapshotHost {
  readonly id: number;
  readonly store: NodeStore;
  readonly writeIds: WriteIds;
  replicaOf(table: string, pid: number): ReplicaSlot | undefined;
  peerBacklog(to: number): number;
  sendRepl(to: number, frame: ReplFrame): void;
}

export class SnapshotStreams {
  private readonly senders: SnapshotSender[] = [];
  private readonly host: SnapshotHost;
  private readonly chunkBytesMax: number;
  private readonly chunksPerPump: number;

  constructor(host: SnapshotHost, chunkBytesMax: number, chunksPerPump: number) {
    this.host = host;
    this.chunkBytesMax = chunkBytesMax;
    this.chunksPerPump = chunksPerPump;
  }

  get size(): number {
    return this.senders.length;
  }

  /**
   * Starts streaming `slot`'s items to `target` as stream `sid`; it replaces an older stream
   * there (finding F8). Returns false, starting nothing, while the stored view has a follower of
   * the log behind the data (`followers` names them): a snapshot is taken only where every
   * follower stands at the snapshot's index, so the target's followers continue from there.
   */
  start(slot: ReplicaSlot, target: number, sid: number, followers: readonly string[]): boolean {
    const m = slot.machine;
    const view = this.host.store.snapshot(m.table, m.pid, m.membership.hashStart, m.membership.hashEnd);
    const applied = view.record?.applied ?? -1;
    // The view is the last durable batch's; the machine's log must still hold its index's epoch.
    const positioned = applied >= m.base && applied <= m.last;
    if (!positioned || followers.some((name) => (view.positions[name] ?? -1) < applied)) {
      view.close();
      return false;
    }
    this.close((s) => s.table === m.table && s.pid === m.pid && s.target === target);
    const ids: Array<string | number | null> = [];
    this.host.writeIds.ofSnapshot(m.table, m.pid, applied, m.membership.parent, ids);
    const sender = new SnapshotSender(m.table, m.pid, target, sid, view, (i) => m.epochAt(i), ids, this.chunkBytesMax);
    m.snapshotStarted(target, sid, sender.index);
    this.senders.push(sender);
    return true;
  }

  /** Sends the next chunks of every stream; a stream whose replica no longer leads here stops. */
  send(): boolean {
    let sent = false;
    for (let s = this.senders.length - 1; s >= 0; s--) {
      const sender = this.senders[s];
      const slot = this.host.replicaOf(sender.table, sender.pid);
      if (slot === undefined || !slot.machine.isLeader()) {
        sender.close();
        this.senders.splice(s, 1);
        continue;
      }
      for (let n = 0; n < this.chunksPerPump && this.host.peerBacklog(sender.target) === 0 && !sender.done; n++) {
        this.host.sendRepl(sender.target, sender.next(this.host.id, slot.machine.epoch));
        sent = true;
      }
      if (sender.done) this.senders.splice(s, 1);
    }
    return sent;
  }

  closePartition(table: string, pid: number): void {
    this.close((s) => s.table === table && s.pid === pid);
  }

  closeTarget(target: number): void {
    this.close((s) => s.target === target);
  }

  private close(matches: (s: SnapshotSender) => boolean): void {
    for (let i = this.senders.length - 1; i >= 0; i--) {
      if (!matches(this.senders[i])) continue;
      this.senders[i].close();
      this.senders.splice(i, 1);
    }
  }
}
