// A storage node's link to a write-ahead log writer in the same thread, made durable when asked:
// for tests, and for tools that open one node's store alone. The server's nodes use the log
// thread (wal-thread.ts) instead.
import type { WalLink } from '../wal-store.ts';
import type { WalWriter } from './wal-writer.ts';

export class DirectWalLink implements WalLink {
  private readonly writer: WalWriter;
  private readonly node: number;
  private readonly incarnation: number;
  private durable = { sequence: 0, lsn: 0 };
  coveredLsn = 0;

  constructor(writer: WalWriter, node: number, incarnation: number) {
    this.writer = writer;
    this.node = node;
    this.incarnation = incarnation;
  }

  send(batch: Uint8Array): void {
    this.writer.append(this.node, this.incarnation, batch);
  }

  flush(): boolean {
    return true;
  }

  /** One group commit: everything sent so far becomes durable. */
  sync(): void {
    for (const d of this.writer.commitGroup()) if (d.node === this.node) this.durable = { sequence: d.sequence, lsn: d.lsn };
  }

  durableSequence(): number {
    return this.durable.sequence;
  }

  durableLsn(): number {
    return this.durable.lsn;
  }

  covered(lsn: number): void {
    this.coveredLsn = lsn;
    this.writer.release(lsn);
  }
}
