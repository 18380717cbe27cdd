// The main thread's side of the front-door threads' copy of its state: every change to a table's
// record, a table's partition map, a node's read view or where a table's capacity meters live is posted, numbered, to each door thread
// as it is made, and the number is then stored where every door thread sees it at once. A door
// thread that sees a number it has not applied takes the waiting changes before it reads a
// request (router/door-state.ts): it never routes by a state older than the main thread's when the
// request arrived.
import type { MessagePort } from 'node:worker_threads';
import type { LmdbCatalog } from './catalog.ts';
import type { PartitionMap } from '../router/partition-map.ts';
import type { StorageThreads } from './storage-threads.ts';
import type { DoorReadView, DoorStateChange } from '../protocol/door-messages.ts';
import type { TableRecord } from './table-record.ts';
import type { PartitionAssignment } from '../storage/messages.ts';
import type { Admission, MeterDirectory } from '../admission/admission.ts';

export class DoorStatePublisher {
  /** Int32Array [0]: the number of the last change posted. */
  readonly seqSab: SharedArrayBuffer;
  private readonly seq: Int32Array;
  private readonly ports: MessagePort[] = [];
  private readonly catalog: LmdbCatalog;
  private readonly map: PartitionMap;
  private readonly nodes: StorageThreads;

  private readonly admission: Admission;
  private readonly stopMeters: () => void;

  constructor(catalog: LmdbCatalog, map: PartitionMap, nodes: StorageThreads, admission: Admission, seqSab: SharedArrayBuffer) {
    this.admission = admission;
    this.seqSab = seqSab;
    this.seq = new Int32Array(seqSab);
    this.catalog = catalog;
    this.map = map;
    this.nodes = nodes;
    catalog.onTableChange = (name) => this.post({ seq: 0, tables: [[name, catalog.get(name) ?? null]], maps: [], views: null, meters: [] });
    map.onTableChange = (tableId) => this.post({ seq: 0, tables: [], maps: [[tableId, this.partitionsOf(tableId)]], views: null, meters: [] });
    nodes.onReadViewsChange = () => this.post({ seq: 0, tables: [], maps: [], views: this.views(), meters: [] });
    this.stopMeters = admission.onDirectoryChange((tableId) => this.post({ seq: 0, tables: [], maps: [], views: null, meters: [[tableId, admission.directory(tableId)]] }));
  }

  /** A new door thread's port: it first gets the whole state as it is now. */
  attach(port: MessagePort): void {
    const all = this.catalog.all();
    const tables: Array<[string, TableRecord | null]> = all.map((t) => [t.name, t]);
    const maps: Array<[string, PartitionAssignment[] | null]> = all.map((t) => [t.tableId, this.partitionsOf(t.tableId)]);
    const meters: Array<[string, MeterDirectory | null]> = all.map((t) => [t.tableId, this.admission.directory(t.tableId)]);
    this.ports.push(port);
    this.post({ seq: 0, tables, maps, views: this.views(), meters }, port);
  }

  detach(port: MessagePort): void {
    const at = this.ports.indexOf(port);
    if (at !== -1) this.ports.splice(at, 1);
  }

  /** Stops following the state (the server is stopping). */
  close(): void {
    this.catalog.onTableChange = null;
    this.map.onTableChange = null;
    this.nodes.onReadViewsChange = null;
    this.stopMeters();
    this.ports.length = 0;
  }

  private post(change: DoorStateChange, only?: MessagePort): void {
    if (this.ports.length === 0) return;
    change.seq = this.seq[0] + 1;
    for (const port of this.ports) if (only === undefined || port === only) port.postMessage(change);
    // Only after every port has the change: a door thread that sees the number finds the change waiting.
    Atomics.store(this.seq, 0, change.seq);
  }

  private partitionsOf(tableId: string): PartitionAssignment[] | null {
    const partitions = this.map.partitions(tableId);
    return partitions.length === 0 ? null : (partitions as PartitionAssignment[]);
  }

  private views(): Array<DoorReadView | null> {
    const views: Array<DoorReadView | null> = [];
    for (let node = 0; node < this.nodes.count; node++) {
      const view = this.nodes.readView(node);
      views.push(view === null ? null : { dir: view.dir, incarnation: this.nodes.incarnationOf(node), visibility: view.visibility.sab });
    }
    return views;
  }
}
