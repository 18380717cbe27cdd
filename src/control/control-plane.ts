// The control plane (DynamoDB's auto-admin, in small): creates and deletes tables, places each
// partition's three replicas on three zones with leaders spread evenly, persists the catalog,
// publishes new map versions to the storage nodes and the router, elects leaders (after a
// failure, and for every partition when the process starts), and adopts splits.
import { randomUUID } from 'node:crypto';
import type { Catalog } from './catalog.ts';
import { indexHolderName, isIndexHolder, type TableRecord, type BillingMode, type SecondaryIndex, type OnDemandThroughput, type Tag, type TableClass, type TableClassSetting, type StreamSetting } from './table-record.ts';
import { PartitionMap, hashSpaceEnd, splitHashSpace } from '../router/partition-map.ts';
import type { NodeSupervisor } from './node-supervisor.ts';
import type { PartitionAssignment } from '../storage/messages.ts';
import type { AttributeDefinition, KeySchemaElement } from '../values/types.ts';
import { indexSpecChanged } from '../indexes/index-spec.ts';
import { DynamoError, validationError } from '../protocol/errors.ts';
import { tablesMax, globalSecondaryIndexesMax, tagsPerResourceMax } from '../limits.ts';
import type { Admission } from '../admission/admission.ts';
import type { Propagator } from '../indexes/propagator.ts';
import type { TransactionCoordinator } from '../transactions/coordinator.ts';
import type { Clock } from './clock.ts';
import { ReplicaLag } from './replica-lag.ts';
import type { TtlSweeper } from '../ttl/sweeper.ts';
import type { StreamCollector } from '../streams/collector.ts';
import { chooseLeader } from './election.ts';
import type { FenceReply } from './control-messages.ts';
import type { ReplicaReport } from './control-messages.ts';
import { log } from '../server/logger.ts';

/** Each partition has this many replicas, each in a different zone. */
export const replicationFactor = 3;
/** Splits remembered for GET /_monodyne/partitions. */
const splitHistoryMax = 200;

export interface NewTable {
  name: string;
  region: string;
  keySchema: KeySchemaElement[];
  attributeDefinitions: AttributeDefinition[];
  billingMode: BillingMode;
  readCapacityUnits: number;
  writeCapacityUnits: number;
  /** Secondary indexes, validated (a GSI's holder is named here). */
  indexes?: SecondaryIndex[];
  onDemandThroughput?: OnDemandThroughput;
  tags?: Tag[];
  deletionProtection?: boolean;
  tableClass?: TableClassSetting;
  sse?: { kmsMasterKeyArn: string };
  stream?: StreamSetting;
}

/** What UpdateTable and the tag operations may change of a table's settings; `null` removes a setting. */
export interface SettingsChange {
  tags?: Tag[];
  deletionProtection?: boolean;
  /** Recorded with the time of the change (TableClassSummary's LastUpdateDateTime). */
  tableClass?: TableClass;
  sse?: { kmsMasterKeyArn: string } | null;
  /** Merged into the table's maxima; -1 removes one. */
  onDemandThroughput?: OnDemandThroughput;
  /** A new stream, or the current one disabled (it stays readable until its records expire). */
  stream?: StreamSetting;
}

export interface ControlPlaneOptions {
  /** Partitions a new PROVISIONED table starts with. */
  initialPartitions: number;
  /** Partitions a new PAY_PER_REQUEST table starts with (admission's onDemandInitialPartitions; default initialPartitions). */
  onDemandInitialPartitions?: number;
  clock: Clock;
  /** How long a split may take to be applied by its leader before the attempt is abandoned. */
  splitWaitMs: number;
  /** Makes a table id unique across re-creations (the simulator's is a function of its seed). */
  uniqueId?: () => string;
  /** Tables the catalog may hold (default: limits.ts tablesMax). */
  tablesMax?: number;
  /** Global secondary indexes a table may have (default: limits.ts globalSecondaryIndexesMax, DynamoDB's quota). */
  globalSecondaryIndexesMax?: number;
  /** Tags per ListTagsOfResource page (default: limits.ts tagsPerResourceMax). */
  tagsPageSize?: number;
}

/** What an election did: a new assignment, or why there is none (split: adopt the children; blocked, none: retry later). */
export type Election = { kind: 'leader'; assignment: PartitionAssignment } | { kind: 'split' } | { kind: 'blocked' } | { kind: 'none' };

export interface SplitRecord {
  tableName: string;
  partition: number;
  children: [number, number];
  at: number;
}

export class ControlPlane {
  readonly catalog: Catalog;
  readonly map: PartitionMap;
  private readonly nodes: NodeSupervisor;
  private readonly options: ControlPlaneOptions;
  /** Table names being created or deleted: a second request for one is refused meanwhile. */
  private readonly busy = new Set<string>();
  /** Control plane changes run one at a time; none of them waits on a node's progress while holding it. */
  private queue: Promise<unknown> = Promise.resolve();
  /** Per-partition capacity meters, kept in step with every table change. */
  admission: Admission | null = null;
  /** Leaders' reports that they applied a split, awaited by splitPartition. */
  private readonly splitWaiters = new Map<string, (children: PartitionAssignment[]) => void>();
  readonly splitHistory: SplitRecord[] = [];
  /** Followers seen lagging behind their partition's commit index (the failure detector counts only whole copies). */
  private readonly lag = new ReplicaLag();

  constructor(catalog: Catalog, map: PartitionMap, nodes: NodeSupervisor, options: ControlPlaneOptions) {
    this.catalog = catalog;
    this.map = map;
    this.nodes = nodes;
    this.options = options;
    for (const table of catalog.all()) map.setTable(table.tableId, table.partitions);
    if (catalog.mapVersion > map.version) map.version = catalog.mapVersion;
  }

  /** Delivers the tables' outboxes to their global indexes, and runs backfills. */
  propagator: Propagator | null = null;

  attachPropagator(propagator: Propagator): void {
    this.propagator = propagator;
  }

  /** Takes the tables' changes into their streams, and keeps the streams' records. */
  streams: StreamCollector | null = null;

  attachStreams(collector: StreamCollector): void {
    this.streams = collector;
  }

  /** Deletes expired items of the tables with Time to Live enabled. */
  ttl: TtlSweeper | null = null;

  attachTtl(sweeper: TtlSweeper): void {
    this.ttl = sweeper;
  }

  /** Runs TransactWriteItems and TransactGetItems, and finishes transactions from its ledger. */
  transactions: TransactionCoordinator | null = null;

  attachTransactions(coordinator: TransactionCoordinator): void {
    this.transactions = coordinator;
  }

  attachAdmission(admission: Admission): void {
    this.admission = admission;
    for (const table of this.catalog.all()) admission.configure(table);
  }

  /** Global secondary indexes a table may have (a setting; DynamoDB's default quota is 20). */
  get globalSecondaryIndexesMax(): number {
    return this.options.globalSecondaryIndexesMax ?? globalSecondaryIndexesMax;
  }

  /** Tags per ListTagsOfResource page (a setting; 50, DynamoDB's tag limit, answers every table in one page). */
  get tagsPageSize(): number {
    return this.options.tagsPageSize ?? tagsPerResourceMax;
  }

  /** Users' table names, in order (the hidden tables of global indexes are not among them). */
  tableNames(): string[] {
    return this.catalog.names().filter((n) => !isIndexHolder(n));
  }

  getTable(name: string): TableRecord | undefined {
    return this.catalog.get(name);
  }

  /** Runs `change` after every change queued before it. */
  exclusive<T>(change: () => Promise<T>): Promise<T> {
    const run = this.queue.then(change, change);
    this.queue = run.catch(() => {});
    return run;
  }

  /** Every live node's view of its replicas (a node that cannot answer reports nothing). */
  async describeAll(): Promise<ReplicaReport[][]> {
    return Promise.all(Array.from({ length: this.nodes.count }, (_, node) => (this.nodes.isAlive(node) ? this.nodes.control(node, { type: 'describe' }).catch(() => [] as ReplicaReport[]) : Promise.resolve([] as ReplicaReport[]))));
  }

  /** Approximate item count and size, from each partition's leader (DynamoDB's are approximate too). */
  async tableStats(table: TableRecord): Promise<{ itemCount: number; sizeBytes: number }> {
    const leaders = new Set(table.partitions.map((p) => p.leader));
    let itemCount = 0;
    let sizeBytes = 0;
    await Promise.all(
      [...leaders].map(async (node) => {
        if (!this.nodes.isAlive(node)) return;
        const replicas = await this.nodes.control(node, { type: 'describe' }).catch(() => [] as ReplicaReport[]);
        for (const r of replicas) {
          if (r.table !== table.tableId || !r.leader) continue;
          itemCount += r.items;
          sizeBytes += r.bytes;
        }
      }),
    );
    return { itemCount, sizeBytes };
  }

  // ---- elections ------------------------------------------------------------------------

  /**
   * At start-up, before serving: every partition gets a leader in a new epoch, chosen among its
   * replicas by how far their durable logs go (election.ts). A leader restarted after a crash
   * never goes on in its old epoch, and entries a follower holds that its old leader lost are
   * kept or dropped by log matching, never silently skipped (finding F1). A partition that cannot
   * elect now (a voter holds nothing yet) is retried by the auto-admin until it has a leader.
   */
  async electAll(): Promise<void> {
    await this.exclusive(async () => {
      await this.dropUnknownTables();
      for (let round = 0; round < 3; round++) {
        let splitSeen = false;
        for (const table of this.catalog.all()) {
          const changed: PartitionAssignment[] = [];
          for (const p of table.partitions) {
            const elected = await this.elect(p, p.replicas.filter((w) => this.nodes.isAlive(w)));
            if (elected.kind === 'leader') changed.push(elected.assignment);
            if (elected.kind === 'split') splitSeen = true;
          }
          if (changed.length > 0) await this.publish(table, changed);
        }
        if (!splitSeen) return;
        // A replica split a partition the catalog still lists whole: adopt what the nodes hold, then elect the children.
        await this.refreshNow();
      }
    });
  }

  /**
   * Fences the live voters (nothing from an older leader is accepted from here on) and applies
   * the election rule (election.ts) to what they report. Returns the new assignment when a leader
   * was chosen. Call inside exclusive().
   */
  async elect(p: PartitionAssignment, liveVoters: number[]): Promise<Election> {
    let epoch = p.epoch + 1;
    let voters = liveVoters;
    let replies = await this.fenceAll(p, voters, epoch);
    for (let round = 0; round < 3; round++) {
      // The nodes are the authority: a replica may know a newer epoch, or a newer membership
      // with more voters (a publish that reached the nodes and not the catalog): those count too.
      let seen = 0;
      const more = new Set<number>();
      for (const r of replies) {
        if (r.reply.kind !== 'replica') continue;
        seen = Math.max(seen, r.reply.report.epoch);
        if (r.reply.report.version > p.version) for (const v of r.reply.report.voters) if (!voters.includes(v) && this.nodes.isAlive(v)) more.add(v);
      }
      if (seen < epoch && more.size === 0) break;
      epoch = Math.max(epoch, seen + 1);
      voters = [...voters, ...more];
      replies = await this.fenceAll(p, voters, epoch);
    }
    // A voter that died while being fenced is no longer a live voter.
    const live = replies.filter((r) => r.reply.kind !== 'none' || this.nodes.isAlive(r.node));
    const leads = this.leadsPerNode();
    const outcome = chooseLeader(
      live.map((r) => r.node),
      live.map((r) => r.reply),
      (a, b) => leads[a] - leads[b] || a - b,
    );
    switch (outcome.kind) {
      case 'leader':
        // Only a double failure gets here (the detector never fails over the last whole copy for silence): say so loudly.
        if (this.lag.lagging(p.table, p.pid).has(outcome.leader)) log.error(`partition ${p.table}/${p.pid}: node ${outcome.leader} leads, but it was last seen lagging behind the commit index and no replica that held it survived: writes acknowledged since may be lost`);
        return { kind: 'leader', assignment: { ...p, replicas: outcome.voters, leader: outcome.leader, epoch } };
      case 'blocked':
        log.warn(`partition ${p.table}/${p.pid}: no election while voters ${outcome.silent.join(', ')} hold nothing of it (retried)`);
        return { kind: 'blocked' };
      case 'none':
        if (outcome.voters.length > 0) log.warn(`partition ${p.table}/${p.pid}: no surviving replica can lead`);
        return { kind: 'none' };
      case 'split':
        return { kind: 'split' };
    }
  }

  private async fenceAll(p: PartitionAssignment, voters: number[], epoch: number): Promise<Array<{ node: number; reply: FenceReply }>> {
    const none: FenceReply = { kind: 'none' };
    return Promise.all(
      voters.map(async (node) => ({ node, reply: await this.nodes.control(node, { type: 'fence', table: p.table, pid: p.pid, epoch, parent: p.parent }).catch(() => none) })),
    );
  }

  /** How many partitions each node leads (elections prefer the node leading fewest). */
  private leadsPerNode(): number[] {
    const leads = new Array<number>(this.nodes.count).fill(0);
    for (const t of this.catalog.all()) for (const q of t.partitions) if (q.leader >= 0 && q.leader < leads.length) leads[q.leader]++;
    return leads;
  }

  /** Replicas of tables the catalog no longer has (a DeleteTable cut short by a crash) are dropped. */
  private async dropUnknownTables(): Promise<void> {
    const known = new Set(this.catalog.all().map((t) => t.tableId));
    const reports = await this.describeAll();
    for (let node = 0; node < reports.length; node++) {
      const stale = new Set(reports[node].filter((r) => !known.has(r.table)).map((r) => r.table));
      for (const table of stale) await this.nodes.control(node, { type: 'dropTable', table }).catch(() => {});
    }
  }

  // ---- splits ---------------------------------------------------------------------------

  /**
   * Splits one partition in two at the middle of its hash range. The split is an entry in the
   * partition's log: its leader appends it and takes no other write meanwhile; every replica
   * splits when it applies it. The map switches to the two children once the leader has applied
   * the split (so it is committed on two durable copies). No lock is held while waiting.
   */
  /** `onStep` hears each step as it starts (long-work progress). */
  async splitPartition(tableName: string, pid: number, onStep: (step: string) => void = () => {}): Promise<boolean> {
    const started = await this.exclusive(async () => {
      const table = this.catalog.get(tableName);
      const p = table?.partitions.find((q) => q.pid === pid);
      if (table === undefined || p === undefined || !this.nodes.isAlive(p.leader)) return null;
      const at = p.hashStart + Math.floor((p.hashEnd - p.hashStart) / 2);
      if (at <= p.hashStart) return null;
      const lowPid = (table.nextPid ?? Math.max(...table.partitions.map((q) => q.pid)) + 1);
      table.nextPid = lowPid + 2;
      const version = this.catalog.nextMapVersion();
      await this.catalog.put(table);
      const key = `${p.table}:${pid}`;
      const applied = new Promise<PartitionAssignment[] | null>((resolve) => {
        const timer = this.options.clock.after(this.options.splitWaitMs, () => {
          this.splitWaiters.delete(key);
          resolve(null);
        });
        this.splitWaiters.set(key, (children) => {
          timer.cancel();
          this.splitWaiters.delete(key);
          resolve(children);
        });
      });
      const ok = await this.nodes.control(p.leader, { type: 'split', table: p.table, pid, split: { at, lowPid, highPid: lowPid + 1, version } }).catch(() => false);
      if (!ok) {
        this.splitWaiters.get(key)?.([]);
        return null;
      }
      return { table, applied };
    });
    if (started === null) return false;
    onStep('committing the split entry on two replicas and applying it');
    const children = await started.applied;
    if (children === null || children.length !== 2) return false;
    onStep(`publishing partitions ${children[0].pid} and ${children[1].pid}`);
    await this.adoptSplit(started.table.tableId, pid, children);
    return true;
  }

  /** A leader reported that it applied a split (whoever started it: a failover may finish one). */
  onSplitApplied(table: string, pid: number, children: PartitionAssignment[]): void {
    this.routeToChildren(table, pid, children);
    const waiter = this.splitWaiters.get(`${table}:${pid}`);
    if (waiter !== undefined) {
      waiter(children);
      return;
    }
    void this.adoptSplit(table, pid, children).catch((err) => log.error('adopting a split failed:', err));
  }

  /**
   * The router's map switches to a split's children as soon as their leader has them, without
   * waiting for the catalog (adoptSplit, behind the lock, writes it and publishes them): from the
   * split on, the parent's replicas refuse every request, and each one would wait for the
   * adoption. The map is a cache of what the nodes hold; this leader holds the children now.
   */
  private routeToChildren(tableId: string, pid: number, children: PartitionAssignment[]): void {
    if (children.length !== 2) return;
    const now = this.map.partitions(tableId);
    const parent = now.find((q) => q.pid === pid);
    const [low, high] = children[0].hashStart < children[1].hashStart ? children : [children[1], children[0]];
    if (parent === undefined || low.hashStart !== parent.hashStart || low.hashEnd !== high.hashStart || high.hashEnd !== parent.hashEnd) return;
    this.map.setTable(tableId, now.filter((q) => q !== parent).concat(children));
  }

  /**
   * Replaces a split parent by its children in the catalog and the map. A split finished by a
   * new leader after a failover (the catalog may already list the children, led by a dead
   * node) publishes the children as that leader reports them.
   */
  private adoptSplit(tableId: string, pid: number, children: PartitionAssignment[]): Promise<void> {
    return this.exclusive(async () => {
      const table = this.catalog.all().find((t) => t.tableId === tableId);
      if (table === undefined || children.length !== 2) return;
      const hasParent = table.partitions.some((q) => q.pid === pid);
      if (!hasParent) {
        // Already adopted (the publisher saw the children first): make sure every replica knows
        // them, led by whoever applied the split.
        const listed = children.map((c) => ({ c, q: table.partitions.find((q) => q.pid === c.pid) })).filter((x) => x.q !== undefined);
        if (listed.length > 0) await this.publish(table, listed.map(({ c, q }) => (q!.epoch < c.epoch || (q!.epoch === c.epoch && q!.leader !== c.leader) ? { ...q!, leader: c.leader, epoch: c.epoch } : q!)));
        return;
      }
      table.partitions = table.partitions.filter((q) => q.pid !== pid).concat(children);
      const maxPid = Math.max(...children.map((c) => c.pid));
      if ((table.nextPid ?? 0) <= maxPid) table.nextPid = maxPid + 1;
      await this.catalog.put(table);
      this.map.setTable(table.tableId, table.partitions);
      this.admission?.configure(table);
      // Followers that have not applied the split yet learn of the children now.
      await this.publish(table, children);
      this.splitHistory.push({ tableName: table.name, partition: pid, children: [children[0].pid, children[1].pid], at: this.options.clock.now() });
      if (this.splitHistory.length > splitHistoryMax) this.splitHistory.splice(0, this.splitHistory.length - splitHistoryMax);
      log.info(`split ${table.name}/${pid} into ${children[0].pid} and ${children[1].pid}`);
    });
  }

  // ---- the map --------------------------------------------------------------------------

  /**
   * The storage nodes are the authority on what they hold: re-reads their assignments and
   * corrects the catalog and the router's map where they lag (a change the catalog missed before
   * a crash). The merge runs under the lock against the catalog as it is then, and keeps a
   * partition only where a node reports it newer (finding F14).
   */
  async refreshFromNodes(): Promise<void> {
    const reports = await this.describeAll();
    await this.exclusive(() => this.mergeReports(reports));
  }

  /** refreshFromNodes for a caller that already holds the lock. */
  async refreshNow(): Promise<void> {
    await this.mergeReports(await this.describeAll());
  }

  /** The partition's replicas that hold its committed log: those not seen lagging behind it (replica-lag.ts). */
  wholeReplicas(p: PartitionAssignment): number[] {
    const lagging = this.lag.lagging(p.table, p.pid);
    return lagging.size === 0 ? p.replicas : p.replicas.filter((w) => !lagging.has(w));
  }

  private async mergeReports(reports: ReplicaReport[][]): Promise<void> {
    this.lag.observe(reports);
    this.lag.retain(this.catalog.all().flatMap((t) => t.partitions));
    for (const table of this.catalog.all()) {
      const candidates = new Map<number, PartitionAssignment>();
      for (const p of table.partitions) candidates.set(p.pid, p);
      const retired = new Set<number>();
      for (const list of reports) {
        for (const r of list) {
          if (r.table !== table.tableId) continue;
          if (r.state === 'retired') {
            retired.add(r.pid);
            continue;
          }
          if (r.state === 'installing' || r.state === 'awaitingSplit') continue;
          const seen = candidates.get(r.pid);
          const a = r.assignment;
          if (seen === undefined || a.version > seen.version || (a.version === seen.version && a.epoch > seen.epoch)) candidates.set(r.pid, a);
        }
      }
      const chosen: PartitionAssignment[] = [];
      const ordered = [...candidates.values()].filter((a) => !retired.has(a.pid)).sort((x, y) => y.version - x.version);
      for (const a of ordered) if (!chosen.some((c) => c.hashStart < a.hashEnd && a.hashStart < c.hashEnd)) chosen.push(a);
      chosen.sort((x, y) => x.hashStart - y.hashStart);
      if (!coversHashSpace(chosen)) continue;
      if (samePartitions(chosen, table.partitions)) {
        // The catalog is right; the router's map may not be (it is only a cache).
        if (!samePartitions(this.map.partitions(table.tableId), table.partitions)) this.map.setTable(table.tableId, table.partitions);
        continue;
      }
      // Partitions the catalog did not list (a split's children): every replica must learn them,
      // including one that missed the split (it is rebuilt from the children's leader).
      const adopted = chosen.filter((a) => !table.partitions.some((q) => q.pid === a.pid));
      table.partitions = chosen;
      const maxPid = Math.max(...chosen.map((c) => c.pid));
      if ((table.nextPid ?? 0) <= maxPid) table.nextPid = maxPid + 1;
      const version = Math.max(this.catalog.mapVersion, ...chosen.map((a) => a.version));
      this.catalog.mapVersion = version;
      await this.catalog.put(table);
      this.map.setTable(table.tableId, chosen);
      this.map.version = Math.max(this.map.version, version);
      this.admission?.configure(table);
      if (adopted.length > 0) await this.publish(table, adopted);
    }
  }

  /**
   * Publishes new assignments for some of a table's partitions: storage nodes first (so a node
   * knows its role before any request routed by the new map reaches it), then the router's map,
   * then the catalog. Call inside exclusive().
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
    // The nodes refuse requests routed by the older map from now on: the router's map changes
    // before the catalog's write, not after it (it is a cache of what the nodes hold).
    this.map.setTable(table.tableId, partitions);
    this.map.version = version;
    this.admission?.configure(table);
    await this.catalog.put(table);
  }

  /** Tells the replicas of a partition that is no longer in the map (a split parent) who leads it now. */
  async assignOutsideMap(p: PartitionAssignment): Promise<void> {
    const assignment = { ...p, version: this.catalog.nextMapVersion() };
    await Promise.allSettled(p.replicas.filter((w) => this.nodes.isAlive(w)).map((w) => this.nodes.control(w, { type: 'assign', assignments: [assignment] })));
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

  // ---- tables ---------------------------------------------------------------------------

  async createTable(spec: NewTable): Promise<TableRecord> {
    return this.exclusive(() => this.createTableNow(spec));
  }

  private async createTableNow(spec: NewTable): Promise<TableRecord> {
    if (this.catalog.get(spec.name) !== undefined || this.busy.has(spec.name)) {
      throw new DynamoError('ResourceInUseException', `Table already exists: ${spec.name}`);
    }
    // Past it, storage nodes could not open the table's trees: its replicas would never exist (finding M1).
    const limit = this.options.tablesMax ?? tablesMax;
    if (this.catalog.names().filter((n) => !isIndexHolder(n)).length >= limit) {
      throw new DynamoError('LimitExceededException', `Subscriber limit exceeded: There is a limit of ${limit} tables per subscriber`);
    }
    this.busy.add(spec.name);
    try {
      const table = await this.placeTable({
        name: spec.name,
        arn: `arn:aws:dynamodb:${spec.region}:000000000000:table/${spec.name}`,
        keySchema: spec.keySchema,
        attributeDefinitions: spec.attributeDefinitions,
        billingMode: spec.billingMode,
        readCapacityUnits: spec.readCapacityUnits,
        writeCapacityUnits: spec.writeCapacityUnits,
        ...(spec.indexes !== undefined && spec.indexes.length > 0 ? { indexes: spec.indexes.map((ix) => this.withUid(ix)) } : {}),
        ...(spec.onDemandThroughput !== undefined ? { onDemandThroughput: spec.onDemandThroughput } : {}),
        ...(spec.billingMode === 'PAY_PER_REQUEST' ? { lastUpdateToPayPerRequestAt: this.options.clock.now() / 1000 } : {}),
        ...(spec.tags !== undefined && spec.tags.length > 0 ? { tags: spec.tags } : {}),
        ...(spec.deletionProtection === true ? { deletionProtection: true } : {}),
        ...(spec.tableClass !== undefined ? { tableClass: spec.tableClass } : {}),
        ...(spec.sse !== undefined ? { sse: spec.sse } : {}),
        ...(spec.stream !== undefined ? { stream: spec.stream } : {}),
      });
      // Each global index is a table of its own, hidden: partitions, replicas, splits and capacity.
      for (const index of table.indexes ?? []) if (index.kind === 'GSI') await this.placeTable(holderRecord(table, index));
      return table;
    } finally {
      this.busy.delete(spec.name);
    }
  }

  /** Places a new table's partitions on the nodes, then records and publishes it. */
  private async placeTable(fields: Omit<TableRecord, 'tableId' | 'createdAt' | 'partitions'>): Promise<TableRecord> {
    const tableId = `${fields.name}.${(this.options.uniqueId ?? randomUUID)()}`;
    const version = this.catalog.nextMapVersion();
    const count = fields.billingMode === 'PAY_PER_REQUEST' ? (this.options.onDemandInitialPartitions ?? this.options.initialPartitions) : this.options.initialPartitions;
    const partitions = this.placePartitions(tableId, version, count);
    const table: TableRecord = { ...fields, tableId, createdAt: this.options.clock.now() / 1000, partitions, nextPid: partitions.length };
    // Storage nodes first, so the table is servable the moment it is visible.
    await Promise.all(Array.from({ length: this.nodes.count }, (_, w) => (this.nodes.isAlive(w) ? this.nodes.control(w, { type: 'assign', assignments: partitions }).catch(() => {}) : undefined)));
    await this.catalog.put(table);
    this.map.setTable(tableId, partitions);
    this.map.version = version;
    this.admission?.configure(table);
    return table;
  }

  /** A new global index gets its unique id (SecondaryIndex.uid). */
  private withUid(index: SecondaryIndex): SecondaryIndex {
    return index.kind === 'GSI' ? { ...index, uid: (this.options.uniqueId ?? randomUUID)() } : index;
  }

  /** The hidden table that holds global index `index` of `table`, if it exists. */
  indexHolder(table: TableRecord, index: string): TableRecord | undefined {
    return this.catalog.get(indexHolderName(table.name, index));
  }

  /** UpdateTable: billing mode and provisioned capacity, effective at once. */
  async updateCapacity(name: string, billingMode: BillingMode, readCapacityUnits: number, writeCapacityUnits: number): Promise<TableRecord> {
    return this.exclusive(async () => {
      const table = this.catalog.get(name);
      if (table === undefined || this.busy.has(name)) {
        throw new DynamoError('ResourceNotFoundException', `Requested resource not found: Table: ${name} not found`);
      }
      if (billingMode === 'PAY_PER_REQUEST' && table.billingMode !== 'PAY_PER_REQUEST') table.lastUpdateToPayPerRequestAt = this.options.clock.now() / 1000;
      table.billingMode = billingMode;
      table.readCapacityUnits = readCapacityUnits;
      table.writeCapacityUnits = writeCapacityUnits;
      await this.catalog.put(table);
      this.admission?.configure(table);
      return table;
    });
  }

  /**
   * UpdateTable's settings and the tag operations: `change` reads the table as it is now (inside
   * the control plane's one-at-a-time queue, so concurrent tag changes never lose one another) and
   * says what to change; it may refuse by throwing, and then nothing changes.
   */
  async updateSettings(name: string, change: (table: TableRecord) => SettingsChange): Promise<TableRecord> {
    return this.exclusive(async () => {
      const table = this.tableForChange(name);
      const patch = change(table);
      if (patch.tags !== undefined) {
        if (patch.tags.length > 0) table.tags = patch.tags;
        else delete table.tags;
      }
      if (patch.deletionProtection !== undefined) table.deletionProtection = patch.deletionProtection;
      if (patch.tableClass !== undefined) table.tableClass = { tableClass: patch.tableClass, updatedAt: this.options.clock.now() / 1000 };
      if (patch.sse === null) delete table.sse;
      else if (patch.sse !== undefined) table.sse = patch.sse;
      if (patch.onDemandThroughput !== undefined) {
        const merged = mergeOnDemand(table.onDemandThroughput, patch.onDemandThroughput);
        if (merged === undefined) delete table.onDemandThroughput;
        else table.onDemandThroughput = merged;
      }
      if (patch.stream !== undefined) {
        table.stream = patch.stream;
        // Writes routed from now on carry the stream in their spec (or no longer do).
        indexSpecChanged(table);
      }
      await this.catalog.put(table);
      return table;
    });
  }

  // ---- online index changes (UpdateTable GlobalSecondaryIndexUpdates) ---------------------

  /**
   * Adds a global index: its table is placed, then the table's record names it (CREATING,
   * backfilling), so every write from then on keeps it; the propagator's backfill brings the
   * items already there, and makes it ACTIVE once it has caught up.
   */
  async createIndex(tableName: string, index: SecondaryIndex, attributeDefinitions: AttributeDefinition[]): Promise<TableRecord> {
    return this.exclusive(async () => {
      const table = this.tableForChange(tableName);
      table.attributeDefinitions = attributeDefinitions;
      const added: SecondaryIndex = this.withUid({ ...index, status: 'CREATING', backfilling: true, holder: index.holder ?? indexHolderName(table.name, index.name) });
      await this.placeTable(holderRecord(table, added));
      table.indexes = [...(table.indexes ?? []), added];
      indexSpecChanged(table);
      await this.catalog.put(table);
      this.propagator?.backfill(table.name, added.name);
      return table;
    });
  }

  /** The backfill of `indexName` is done and delivered: the index is ACTIVE. */
  async indexBuilt(tableName: string, indexName: string): Promise<void> {
    await this.exclusive(async () => {
      const table = this.catalog.get(tableName);
      const index = table?.indexes?.find((ix) => ix.name === indexName);
      if (table === undefined || index === undefined || index.status !== 'CREATING') return;
      index.status = 'ACTIVE';
      delete index.backfilling;
      await this.catalog.put(table);
    });
  }

  /** A global index's provisioned throughput or on-demand maximums, effective at once on its table. */
  async updateIndex(tableName: string, indexName: string, change: { readCapacityUnits?: number; writeCapacityUnits?: number; onDemandThroughput?: OnDemandThroughput }): Promise<TableRecord> {
    return this.exclusive(async () => {
      const table = this.tableForChange(tableName);
      const index = table.indexes?.find((ix) => ix.name === indexName && ix.kind === 'GSI');
      if (index === undefined) throw new DynamoError('ResourceNotFoundException', `Requested resource not found: Index: ${indexName} not found`);
      if (change.readCapacityUnits !== undefined) index.readCapacityUnits = change.readCapacityUnits;
      if (change.writeCapacityUnits !== undefined) index.writeCapacityUnits = change.writeCapacityUnits;
      // Only the maximums given change (-1 clears one, as DynamoDB takes it).
      if (change.onDemandThroughput !== undefined) index.onDemandThroughput = mergeOnDemand(index.onDemandThroughput, change.onDemandThroughput);
      const holder = this.indexHolder(table, indexName);
      if (holder !== undefined) {
        holder.readCapacityUnits = index.readCapacityUnits ?? 0;
        holder.writeCapacityUnits = index.writeCapacityUnits ?? 0;
        await this.catalog.put(holder);
        this.admission?.configure(holder);
      }
      await this.catalog.put(table);
      return table;
    });
  }

  /**
   * Deletes a global index (also while it backfills): writes stop keeping it at once (DELETING),
   * then its table and its partitions go, and the table's record forgets it.
   */
  async deleteIndex(tableName: string, indexName: string): Promise<TableRecord> {
    const described = await this.exclusive(async () => {
      const table = this.tableForChange(tableName);
      const index = table.indexes?.find((ix) => ix.name === indexName && ix.kind === 'GSI');
      if (index === undefined) throw new DynamoError('ResourceNotFoundException', `Requested resource not found: Index: ${indexName} not found`);
      index.status = 'DELETING';
      delete index.backfilling;
      indexSpecChanged(table);
      await this.catalog.put(table);
      return { ...table, indexes: table.indexes!.map((ix) => ({ ...ix })) };
    });
    void this.exclusive(async () => {
      const table = this.catalog.get(tableName);
      if (table === undefined) return;
      const holder = this.indexHolder(table, indexName);
      if (holder !== undefined) await this.dropTable(holder);
      table.indexes = (table.indexes ?? []).filter((ix) => !(ix.name === indexName && ix.status === 'DELETING'));
      if (table.indexes.length === 0) delete table.indexes;
      // DynamoDB keeps only the definitions some key still uses.
      const used = new Set([...table.keySchema, ...(table.indexes ?? []).flatMap((ix) => ix.keySchema)].map((k) => k.AttributeName));
      table.attributeDefinitions = table.attributeDefinitions.filter((d) => used.has(d.AttributeName));
      indexSpecChanged(table);
      await this.catalog.put(table);
    }).catch((err) => log.error(`deleting index ${indexName} of ${tableName}:`, err));
    return described;
  }

  private tableForChange(name: string): TableRecord {
    const table = this.catalog.get(name);
    if (table === undefined || this.busy.has(name)) throw new DynamoError('ResourceNotFoundException', `Requested resource not found: Table: ${name} not found`);
    return table;
  }

  async deleteTable(name: string): Promise<TableRecord> {
    return this.exclusive(() => this.deleteTableNow(name));
  }

  private async deleteTableNow(name: string): Promise<TableRecord> {
    const table = this.catalog.get(name);
    if (table === undefined || this.busy.has(name)) {
      throw new DynamoError('ResourceNotFoundException', `Requested resource not found: Table: ${name} not found`);
    }
    if (table.deletionProtection === true) {
      throw validationError('Resource cannot be deleted as it is currently protected against deletion. Disable deletion protection first.');
    }
    for (const index of table.indexes ?? []) {
      const holder = this.indexHolder(table, index.name);
      if (holder !== undefined) await this.dropTable(holder);
    }
    return this.dropTable(table);
  }

  private async dropTable(table: TableRecord): Promise<TableRecord> {
    const name = table.name;
    this.busy.add(name);
    try {
      // The catalog first: a crash before the nodes drop the table leaves replicas the next
      // start-up drops (electAll), never a table whose data is half gone.
      await this.catalog.delete(name);
      this.map.deleteTable(table.tableId);
      this.admission?.forget(table.tableId);
      this.map.version = this.catalog.nextMapVersion();
      await Promise.all(Array.from({ length: this.nodes.count }, (_, w) => (this.nodes.isAlive(w) ? this.nodes.control(w, { type: 'dropTable', table: table.tableId }).catch(() => {}) : undefined)));
      return table;
    } finally {
      this.busy.delete(name);
    }
  }

  /**
   * Cuts the hash space into `count` partitions and places replicas: partition i is led by
   * the zone leading the fewest partitions so far, with followers in the next two zones, so
   * every zone leads about a third of all partitions across tables.
   */
  private placePartitions(tableId: string, version: number, count: number): PartitionAssignment[] {
    const zones = this.nodes.count;
    const leads = new Array<number>(zones).fill(0);
    for (const t of this.catalog.all()) for (const p of t.partitions) leads[p.leader]++;
    return splitHashSpace(count).map((range, pid) => {
      let leader = -1;
      for (let z = 0; z < zones; z++) if (this.nodes.isAlive(z) && (leader === -1 || leads[z] < leads[leader])) leader = z;
      if (leader === -1) throw new DynamoError('ServiceUnavailable', 'The service is currently unavailable or busy.');
      leads[leader]++;
      // A zone whose node is down gets its replica when the node's replacement is repaired in.
      const replicas: number[] = [];
      for (let r = 0; r < replicationFactor; r++) if (this.nodes.isAlive((leader + r) % zones)) replicas.push((leader + r) % zones);
      return { table: tableId, pid, hashStart: range.hashStart, hashEnd: range.hashEnd, replicas, leader, epoch: 1, version, since: version };
    });
  }
}

function samePartitions(a: readonly PartitionAssignment[], b: readonly PartitionAssignment[]): boolean {
  return a.length === b.length && a.every((x) => b.some((q) => q.pid === x.pid && q.version === x.version && q.epoch === x.epoch && q.leader === x.leader));
}

function coversHashSpace(sorted: PartitionAssignment[]): boolean {
  let expected = 0;
  for (const p of sorted) {
    if (p.hashStart !== expected) return false;
    expected = p.hashEnd;
  }
  return expected === hashSpaceEnd;
}

/** The hidden table record of a global secondary index: its key schema (first partition and sort key attributes name it), its capacity. */
function holderRecord(table: TableRecord, index: SecondaryIndex): Omit<TableRecord, 'tableId' | 'createdAt' | 'partitions'> {
  const hash = index.keySchema.find((k) => k.KeyType === 'HASH')!;
  const range = index.keySchema.find((k) => k.KeyType === 'RANGE');
  const keySchema = range === undefined ? [hash] : [hash, range];
  return {
    name: index.holder ?? indexHolderName(table.name, index.name),
    arn: `${table.arn}/index/${index.name}`,
    keySchema,
    attributeDefinitions: table.attributeDefinitions.filter((d) => keySchema.some((k) => k.AttributeName === d.AttributeName)),
    billingMode: table.billingMode,
    readCapacityUnits: index.readCapacityUnits ?? 0,
    writeCapacityUnits: index.writeCapacityUnits ?? 0,
    indexOf: { table: table.name, index: index.name },
  };
}

function mergeOnDemand(current: OnDemandThroughput | undefined, change: OnDemandThroughput): OnDemandThroughput | undefined {
  const merged: OnDemandThroughput = { ...current };
  for (const field of ['MaxReadRequestUnits', 'MaxWriteRequestUnits'] as const) {
    const value = change[field];
    if (value === undefined) continue;
    if (value === -1) delete merged[field];
    else merged[field] = value;
  }
  return merged.MaxReadRequestUnits === undefined && merged.MaxWriteRequestUnits === undefined ? undefined : merged;
}
