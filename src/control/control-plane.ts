// The control plane (DynamoDB's auto-admin, in small): creates and deletes tables, places
// each partition's three replicas on three zones with leaders spread evenly, persists the
// catalog and publishes new map versions to the router and the storage nodes.
import { randomUUID } from 'node:crypto';
import type { Catalog } from './catalog.ts';
import type { TableRecord, BillingMode } from './table-record.ts';
import { PartitionMap, splitHashSpace } from '../router/partition-map.ts';
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
