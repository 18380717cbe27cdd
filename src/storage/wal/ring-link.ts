// A storage node's link to the write-ahead log's thread: its batches go into its ring (whose
// doorbell rings only when the log thread sleeps), and how far they are durable is read from
// shared memory (the log thread rings this node's doorbell when it publishes).
import type { Outbox } from '../../rings/outbox.ts';
import type { WalLink } from '../wal-store.ts';
import type { WalDurability } from './wal-durability.ts';

export class RingWalLink implements WalLink {
  private readonly outbox: Outbox;
  private readonly durability: WalDurability;
  private readonly node: number;

  constructor(outbox: Outbox, durability: WalDurability, node: number) {
    this.outbox = outbox;
    this.durability = durability;
    this.node = node;
  }

  send(batch: Uint8Array): void {
    this.outbox.send(batch);
  }

  /** Moves batches that waited for room into the ring; returns whether none is left waiting. */
  flush(): boolean {
    return this.outbox.flush();
  }

  durableSequence(): number {
    return this.durability.sequence(this.node);
  }

  durableLsn(): number {
    return this.durability.lsn(this.node);
  }

  covered(lsn: number): void {
    this.durability.setCovered(this.node, lsn);
  }
}
