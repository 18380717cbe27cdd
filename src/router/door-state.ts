// A front-door thread's copy of the main thread's state (control/door-state-publisher.ts): table
// records, partition maps, the nodes' read views and where the capacity meters are. Before each request the thread catches up
// with every change the main thread had made by then, synchronously, so it never routes by an
// older state than the main thread would have. What it does not know (a table, an index holder, a
// map) it does not guess at: the request goes to the main thread (forwardToMain).
import { receiveMessageOnPort, type MessagePort } from 'node:worker_threads';
import { PartitionMap } from './partition-map.ts';
import { ReadVisibility } from '../storage/read-visibility.ts';
import { indexHolderName, type TableRecord } from '../control/table-record.ts';
import type { NodeReadView } from '../control/storage-threads.ts';
import type { DoorReadView, DoorStateChange } from '../protocol/door-messages.ts';
import type { PartitionAssignment } from '../storage/messages.ts';
import type { MeterDirectory } from '../admission/admission.ts';

/**
 * Thrown (not an Error: no stack is taken) where a front-door thread cannot answer a request
 * exactly as the main thread would; the request is then forwarded to the main thread whole.
 * Nothing a request did before it is thrown may be visible (see DoorRouter).
 */
export const forwardToMain: { readonly forward: true } = Object.freeze({ forward: true });

/** The partition map, where a table the thread does not know is forwarded rather than an error. */
class DoorPartitionMap extends PartitionMap {
  override find(tableId: string, hash32: number): PartitionAssignment {
    if (this.partitions(tableId).length === 0) throw forwardToMain;
    return super.find(tableId, hash32);
  }
}

interface HeldView extends NodeReadView {
  incarnation: number;
}

export class DoorState {
  readonly map: PartitionMap = new DoorPartitionMap();
  private readonly tables = new Map<string, TableRecord>();
  private views: Array<HeldView | null> = [];
  private readonly meters = new Map<string, MeterDirectory>();
  private readonly port: MessagePort;
  private readonly seq: Int32Array;
  private applied = 0;

  constructor(port: MessagePort, seqSab: SharedArrayBuffer) {
    this.port = port;
    this.seq = new Int32Array(seqSab);
    this.catchUp();
  }

  /** Takes every change the main thread posted before now. */
  catchUp(): void {
    const target = Atomics.load(this.seq, 0);
    if (target === this.applied) return;
    // Every change numbered up to `target` was posted before the number was stored: it is waiting.
    for (let m = receiveMessageOnPort(this.port); m !== undefined; m = receiveMessageOnPort(this.port)) this.apply(m.message as DoorStateChange);
    this.applied = target;
  }

  private apply(change: DoorStateChange): void {
    for (const [name, record] of change.tables) {
      if (record === null) this.tables.delete(name);
      else this.tables.set(name, record);
    }
    for (const [tableId, partitions] of change.maps) {
      if (partitions === null) this.map.deleteTable(tableId);
      else this.map.setTable(tableId, partitions);
    }
    for (const [tableId, directory] of change.meters) {
      if (directory === null) this.meters.delete(tableId);
      else this.meters.set(tableId, directory);
    }
    if (change.views !== null) this.views = change.views.map((view, node) => this.heldView(node, view));
  }

  /** The same object for the same incarnation (LocalReads keeps its environment per view object). */
  private heldView(node: number, view: DoorReadView | null): HeldView | null {
    if (view === null) return null;
    const had = this.views[node];
    if (had != null && had.incarnation === view.incarnation && had.dir === view.dir) return had;
    return { dir: view.dir, incarnation: view.incarnation, visibility: new ReadVisibility(view.visibility) };
  }

  /** The table's record; a table this thread does not know goes to the main thread. */
  getTable(name: string): TableRecord {
    const table = this.tables.get(name);
    if (table === undefined) throw forwardToMain;
    return table;
  }

  /** A global index's hidden table, as ControlPlane.indexHolder. */
  indexHolder(table: TableRecord, index: string): TableRecord {
    return this.getTable(indexHolderName(table.name, index));
  }

  /** Where the table's capacity meters are in the shared arena (undefined: this thread cannot meter it). */
  metersOf(tableId: string): MeterDirectory | undefined {
    return this.meters.get(tableId);
  }

  /** LocalReads' view of node `node` (null: none, or the node is not alive). */
  readView(node: number): NodeReadView | null {
    return this.views[node] ?? null;
  }
}
