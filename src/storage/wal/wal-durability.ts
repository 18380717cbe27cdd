// Shared memory between the write-ahead log's thread and the storage nodes: per node, its last
// batch durable in the log and the LSN just after it (written by the log thread, the LSN first,
// so that a node that sees a sequence number also sees at least its LSN), and the LSN its last
// durable checkpoint covers (written by the node; the log thread reuses what lies before every
// node's). Pure: no native addon.
const slotsPerNode = 4;
const SEQUENCE = 0;
const LSN = 1;
const COVERED = 2;

export class WalDurability {
  readonly sab: SharedArrayBuffer;
  private readonly cells: BigInt64Array;

  static create(nodes: number): WalDurability {
    return new WalDurability(new SharedArrayBuffer(8 * slotsPerNode * nodes));
  }

  constructor(sab: SharedArrayBuffer) {
    this.sab = sab;
    this.cells = new BigInt64Array(sab);
  }

  /** The log thread: the node's batches through `sequence` are durable, its records end before `lsn`. */
  published(node: number, sequence: number, lsn: number): void {
    Atomics.store(this.cells, node * slotsPerNode + LSN, BigInt(lsn));
    Atomics.store(this.cells, node * slotsPerNode + SEQUENCE, BigInt(sequence));
  }

  sequence(node: number): number {
    return Number(Atomics.load(this.cells, node * slotsPerNode + SEQUENCE));
  }

  lsn(node: number): number {
    return Number(Atomics.load(this.cells, node * slotsPerNode + LSN));
  }

  /** The node: every record of it before `lsn` is in a durable checkpoint. */
  setCovered(node: number, lsn: number): void {
    Atomics.store(this.cells, node * slotsPerNode + COVERED, BigInt(lsn));
  }

  covered(node: number): number {
    return Number(Atomics.load(this.cells, node * slotsPerNode + COVERED));
  }

  /** A new incarnation of the node: nothing durable yet; it holds back nothing before `end`. */
  reset(node: number, end: number): void {
    Atomics.store(this.cells, node * slotsPerNode + SEQUENCE, 0n);
    Atomics.store(this.cells, node * slotsPerNode + LSN, 0n);
    Atomics.store(this.cells, node * slotsPerNode + COVERED, BigInt(end));
  }
}
