// The control plane (DynamoDB's auto-admin, in small): creates and deletes tables, places
// each partition's three replicas on three zones with leaders spread evenly, persists the
// catalog and publishes new map versions to the router and the storage nodes.
import { randomUUID } from 'node:crypto';
import type { Catalog } from './catalog.ts';
import type { TableRecord, BillingMode } from './table-record.ts';
import { PartitionMap, hashSpaceEnd, splitHashSpace } from '../router/partition-map.ts';
import type { StorageNodes } from '../router/storage-nodes.ts';
import type { PartitionAssignment } from '../storage/messages.ts';
import type { AttributeDefinition, KeySchemaElement } from '../values/types.ts';
import { DynamoError } from '../protocol/errors.ts';
import type { Admission } from '../admission/admission.ts';

/** Each partition has this many replicas, each in a different zone. */
export const replicationFactor = 3;

export interface NewTable {
  name: string;
  region: string;
  keySchema: KeySchemaElement[];
  attributeDefinitions: AttributeDefinition[];
  billingMode: BillingMode;
  readCapacityUnits: number;
  writeCapacityUnits: number;
}

export class ControlPlane {
  readonly catalog: Catalog;
  readonly map: PartitionMap;
  private readonly nodes: StorageNodes;
  private readonly initialPartitions: number;
  /** Table names being created or deleted: a second request for one is refused meanwhile. */
  private readonly busy = new Set<string>();
  /** Control plane changes run one at a time: table lifecycle, failover and repair all edit the map. */
  private queue: Promise<unknown> = Promise.resolve();
  /** Per-partition capacity meters, kept in step with every table change. */
  admission: Admission | null = null;

  attachAdmission(admission: Admission): void {
    this.admission = admission;
    for (const table of this.catalog.all()) admission.configure(table);
  }

  constructor(catalog: Catalog, map: PartitionMap, nodes: StorageNodes, initialPartitions: number) {
    this.catalog = catalog;
    this.map = map;
    this.nodes = nodes;
    this.initialPartitions = initialPartitions;
    for (const table of catalog.all()) map.setTable(table.tableId, table.partitions);
    if (catalog.mapVersion > map.version) map.version = catalog.mapVersion;
  }

  /** Every partition assignment in the catalog, for storage nodes starting up. */
  static assignmentsOf(catalog: Catalog): PartitionAssignment[] {
    return catalog.all().flatMap((t) => t.partitions);
  }

  getTable(name: string): TableRecord | undefined {
    return this.catalog.get(name);
  }

  /** Approximate item count and size, from each partition's leader (DynamoDB's are approximate too). */
  async tableStats(table: TableRecord): Promise<{ itemCount: number; sizeBytes: number }> {
    const leaders = new Set(table.partitions.map((p) => p.leader));
    let itemCount = 0;
    let sizeBytes = 0;
    await Promise.all(
      [...leaders].map(async (node) => {
        const replicas = (await this.nodes.control(node, { type: 'describe' }).catch(() => [])) as Array<{ table: string; leader: boolean; entries: number; bytes: number }>;
        for (const r of replicas) {
          if (r.table !== table.tableId || !r.leader) continue;
          itemCount += r.entries;
          sizeBytes += r.bytes;
        }
      }),
    );
    return { itemCount, sizeBytes };
  }

  /**
   * Splits one partition in two at the middle of its hash range: the leader does it as an entry
   * in the partition's log (every replica splits at the same point), then the new map version is
   * published. Returns whether it split.
   */
  async splitPartition(tableName: string, pid: number): Promise<boolean> {
    return this.exclusive(async () => {
      const table = this.catalog.get(tableName);
      const p = table?.partitions.find((q) => q.pid === pid);
      if (table === undefined || p === undefined || !this.nodes.isAlive(p.leader)) return false;
      const at = p.hashStart + Math.floor((p.hashEnd - p.hashStart) / 2);
      if (at <= p.hashStart) return false;
      const version = this.catalog.nextMapVersion();
      const lowPid = Math.max(...table.partitions.map((q) => q.pid)) + 1;
      const highPid = lowPid + 1;
      let children: PartitionAssignment[];
      try {
        children = (await this.nodes.control(p.leader, { type: 'split', table: p.table, pid, at, lowPid, highPid, version })) as PartitionAssignment[];
      } catch {
        return false;
      }
      if (children.length !== 2) return false;
      // Followers learn of the children now or when they reach the split in the log, whichever is first.
      await Promise.allSettled(p.replicas.filter((w) => w !== p.leader && this.nodes.isAlive(w)).map((w) => this.nodes.control(w, { type: 'assign', assignments: children })));
      table.partitions = table.partitions.filter((q) => q.pid !== pid).concat(children);
      await this.catalog.put(table);
      this.map.setTable(table.tableId, table.partitions);
      this.map.version = Math.max(this.map.version, version);
      this.admission?.configure(table);
      return true;
    });
  }

  /**
   * The storage nodes are the authority on what they hold: rebuilds each table's partitions from
   * what the live nodes report (the newest version of each hash range wins) and corrects the
   * router's map, and the catalog, where they lag (a restart in the middle of a split or a failover).
   */
  async refreshFromNodes(): Promise<void> {
    const reports = await Promise.all(
      Array.from({ length: this.nodes.count }, (_, node) =>
        this.nodes.isAlive(node) ? (this.nodes.control(node, { type: 'describe' }).catch(() => []) as Promise<Array<{ assignment: PartitionAssignment; retired: boolean; installing: boolean }>>) : Promise.resolve([]),
      ),
    );
    const best = new Map<string, Map<number, PartitionAssignment>>();
    const retired = new Map<string, Map<number, number>>();
    for (const list of reports) {
      for (const r of list) {
        const a = r.assignment;
        if (r.retired) {
          const t = retired.get(a.table) ?? new Map<number, number>();
          t.set(a.pid, Math.max(t.get(a.pid) ?? 0, a.version));
          retired.set(a.table, t);
          continue;
        }
        if (r.installing) continue;
        const t = best.get(a.table) ?? new Map<number, PartitionAssignment>();
        const seen = t.get(a.pid);
        if (seen === undefined || a.version > seen.version || (a.version === seen.version && a.epoch > seen.epoch)) t.set(a.pid, a);
        best.set(a.table, t);
      }
    }
    for (const table of this.catalog.all()) {
      const reported = best.get(table.tableId);
      if (reported === undefined) continue;
      // The newest partitions that do not overlap, across the whole hash space.
      const chosen: PartitionAssignment[] = [];
      const candidates = [...reported.values()].filter((a) => !retired.get(table.tableId)?.has(a.pid)).sort((x, y) => y.version - x.version);
      for (const a of candidates) if (!chosen.some((c) => c.hashStart < a.hashEnd && a.hashStart < c.hashEnd)) chosen.push(a);
      chosen.sort((x, y) => x.hashStart - y.hashStart);
      if (!coversHashSpace(chosen)) continue;
      const current = this.map.partitions(table.tableId);
      const same = current.length === chosen.length && chosen.every((a, i) => current[i].pid === a.pid && current[i].version === a.version && current[i].leader === a.leader);
      if (same) continue;
      const newer = chosen.some((a) => !table.partitions.some((q) => q.pid === a.pid && q.version >= a.version));
      this.map.setTable(table.tableId, chosen);
      this.map.version = Math.max(this.map.version, ...chosen.map((a) => a.version));
      if (newer) {
        await this.exclusive(async () => {
          table.partitions = chosen;
          if (this.catalog.mapVersion < this.map.version) this.catalog.mapVersion = this.map.version;
          await this.catalog.put(table);
          this.admission?.configure(table);
        });
      }
    }
  }

  /** Fault injection: remembers the router's map as it is now... */
  snapshotRouterMap(): void {
    this.mapSnapshot = new Map(this.catalog.all().map((t) => [t.tableId, this.map.partitions(t.tableId).slice()]));
  }

  /** ...and puts it back later, so requests are routed with a stale map (the router must recover). */
  rewindRouterMap(): boolean {
    if (this.mapSnapshot === null) return false;
    for (const [tableId, partitions] of this.mapSnapshot) if (this.catalog.all().some((t) => t.tableId === tableId)) this.map.setTable(tableId, partitions);
    return true;
  }

  private mapSnapshot: Map<string, PartitionAssignment[]> | null = null;

  /** Runs `change` after every change queued before it. */
  exclusive<T>(change: () => Promise<T>): Promise<T> {
    const run = this.queue.then(change, change);
    this.queue = run.catch(() => {});
    return run;
  }

  /**
   * Publishes new assignments for some of a table's partitions: storage nodes first (so a node
   * knows its role before any request routed by the new map reaches it), then the catalog,
   * then the router's map. Call inside exclusive().
   */
  async publish(table: TableRecord, changed: PartitionAssignment[]): Promise<void> {
    const version = this.catalog.nextMapVersion();
    const byPid = new Map(changed.map((p) => [p.pid, { ...p, version }]));
    const partitions = table.partitions.map((p) => byPid.get(p.pid) ?? p);
    const updates = [...byPid.values()];
    const targets = new Set<number>();
    for (const p of updates) for (const w of p.replicas) targets.add(w);
    for (const p of table.partitions) if (byPid.has(p.pid)) for (const w of p.replicas) targets.add(w);
    await Promise.allSettled([...targets].filter((w) => this.nodes.isAlive(w)).map((w) => this.nodes.control(w, { type: 'assign', assignments: updates })));
    table.partitions = partitions;
    await this.catalog.put(table);
    this.map.setTable(table.tableId, partitions);
    this.map.version = version;
    this.admission?.configure(table);
  }

  async createTable(spec: NewTable): Promise<TableRecord> {
    return this.exclusive(() => this.createTableNow(spec));
  }

  private async createTableNow(spec: NewTable): Promise<TableRecord> {
    if (this.catalog.get(spec.name) !== undefined || this.busy.has(spec.name)) {
      throw new DynamoError('ResourceInUseException', `Table already exists: ${spec.name}`);
    }
    this.busy.add(spec.name);
    try {
      const tableId = `${spec.name}.${randomUUID()}`;
      const version = this.catalog.nextMapVersion();
      const partitions = this.placePartitions(tableId, version);
      const table: TableRecord = {
        name: spec.name,
        tableId,
        arn: `arn:aws:dynamodb:${spec.region}:000000000000:table/${spec.name}`,
        keySchema: spec.keySchema,
        attributeDefinitions: spec.attributeDefinitions,
        billingMode: spec.billingMode,
        readCapacityUnits: spec.readCapacityUnits,
        writeCapacityUnits: spec.writeCapacityUnits,
        createdAt: Date.now() / 1000,
        partitions,
      };
      // Storage nodes first, so the table is servable the moment it is visible.
      await this.nodes.controlAll({ type: 'assign', assignments: partitions });
      await this.catalog.put(table);
      this.map.setTable(tableId, partitions);
      this.map.version = version;
      this.admission?.configure(table);
      return table;
    } finally {
      this.busy.delete(spec.name);
    }
  }

  /** UpdateTable: billing mode and provisioned capacity, effective at once. */
  async updateCapacity(name: string, billingMode: BillingMode, readCapacityUnits: number, writeCapacityUnits: number): Promise<TableRecord> {
    return this.exclusive(async () => {
      const table = this.catalog.get(name);
      if (table === undefined || this.busy.has(name)) {
        throw new DynamoError('ResourceNotFoundException', `Requested resource not found: Table: ${name} not found`);
      }
      table.billingMode = billingMode;
      table.readCapacityUnits = readCapacityUnits;
      table.writeCapacityUnits = writeCapacityUnits;
      await this.catalog.put(table);
      this.admission?.configure(table);
      return table;
    });
  }

  async deleteTable(name: string): Promise<TableRecord> {
    return this.exclusive(() => this.deleteTableNow(name));
  }

  private async deleteTableNow(name: string): Promise<TableRecord> {
    const table = this.catalog.get(name);
    if (table === undefined || this.busy.has(name)) {
      throw new DynamoError('ResourceNotFoundException', `Requested resource not found: Table: ${name} not found`);
    }
    this.busy.add(name);
    try {
      await this.catalog.delete(name);
      this.map.deleteTable(table.tableId);
      this.admission?.forget(table.tableId);
      this.map.version = this.catalog.nextMapVersion();
      await this.nodes.controlAll({ type: 'dropTable', table: table.tableId });
      return table;
    } finally {
      this.busy.delete(name);
    }
  }

  /**
   * Cuts the hash space into the initial partitions and places replicas: partition i is led by
   * the zone leading the fewest partitions so far, with followers in the next two zones, so
   * every zone leads about a third of all partitions across tables.
   */
  private placePartitions(tableId: string, version: number): PartitionAssignment[] {
    const zones = this.nodes.count;
    const leads = new Array<number>(zones).fill(0);
    for (const t of this.catalog.all()) for (const p of t.partitions) leads[p.leader]++;
    return splitHashSpace(this.initialPartitions).map((range, pid) => {
      let leader = -1;
      for (let z = 0; z < zones; z++) if (this.nodes.isAlive(z) && (leader === -1 || leads[z] < leads[leader])) leader = z;
      if (leader === -1) throw new DynamoError('ServiceUnavailable', 'The service is currently unavailable or busy.');
      leads[leader]++;
      // A zone whose node is down gets its replica when the node's replacement is repaired in.
      const replicas: number[] = [];
      for (let r = 0; r < replicationFactor; r++) if (this.nodes.isAlive((leader + r) % zones)) replicas.push((leader + r) % zones);
      return { table: tableId, pid, hashStart: range.hashStart, hashEnd: range.hashEnd, replicas, leader, epoch: 1, version };
    });
  }
}

function coversHashSpace(sorted: PartitionAssignment[]): boolean {
  let expected = 0;
  for (const p of sorted) {
    if (p.hashStart !== expected) return false;
    expected = p.hashEnd;
  }
  return expected === hashSpaceEnd;
}
