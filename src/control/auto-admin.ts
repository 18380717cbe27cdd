// The auto-admin: watches every storage node's heartbeat; when one stops, fences it, promotes
// the most up-to-date surviving replica of each partition it led (under a new epoch), starts
// a replacement node in the same zone and rebuilds its replicas from live ones (snapshot plus
// log catch-up) while traffic continues, until every partition has three replicas again.
import { rm } from 'node:fs/promises';
import type { ControlPlane } from './control-plane.ts';
import type { Catalog } from './catalog.ts';
import type { TableRecord } from './table-record.ts';
import { replicationFactor } from './control-plane.ts';
import { NodeFailedError, type StorageNodes } from '../router/storage-nodes.ts';
import type { PartitionAssignment } from '../storage/messages.ts';
import type { NodeEvent } from '../storage/storage-node.ts';

export interface AutoAdminOptions {
  dataDir: string;
  heartbeatIntervalMs: number;
  /** A node is declared dead after this many heartbeat intervals without a beat. */
  heartbeatsMissedMax: number;
  /** How long a replacement replica may take to install its snapshot before it is retried. */
  installTimeoutMs: number;
  /** Wait this long after a failover before starting the replacement node. */
  replaceDelayMs: number;
}

/** What the auto-admin has done, for GET /_monodyne/partitions and the failover benchmark. */
export interface FailoverRecord {
  node: number;
  detectedAt: number;
  leadersMovedAt: number | null;
  replacedAt: number | null;
  repairedAt: number | null;
}

export class AutoAdmin {
  private readonly control: ControlPlane;
  private readonly catalog: Catalog;
  private readonly nodes: StorageNodes;
  private readonly options: AutoAdminOptions;
  private readonly lastBeat: number[];
  private readonly missed: number[];
  private readonly failing = new Set<number>();
  private readonly installWaiters = new Map<string, { source: number; target: number; settle: (ok: boolean) => void }>();
  private timer: NodeJS.Timeout | undefined;
  readonly history: FailoverRecord[] = [];

  constructor(control: ControlPlane, catalog: Catalog, nodes: StorageNodes, options: AutoAdminOptions) {
    this.control = control;
    this.catalog = catalog;
    this.nodes = nodes;
    this.options = options;
    this.lastBeat = Array.from({ length: nodes.count }, (_, i) => nodes.board.heartbeat(i));
    this.missed = new Array<number>(nodes.count).fill(0);
    nodes.onEvent = (node, event) => this.onNodeEvent(node, event);
  }

  start(): void {
    this.timer = setInterval(() => this.checkHeartbeats(), this.options.heartbeatIntervalMs);
    this.timer.unref();
    // A zone missing a replica (a table created while a node was down, say) is repaired now.
    void this.repairAll().catch((err) => console.error('[monodyne] repair failed:', err));
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }

  /** True while a failover or repair is in progress. */
  get busy(): boolean {
    return this.failing.size > 0;
  }

  private checkHeartbeats(): void {
    for (let node = 0; node < this.nodes.count; node++) {
      if (!this.nodes.isAlive(node) || this.failing.has(node)) continue;
      const beat = this.nodes.board.heartbeat(node);
      if (beat !== this.lastBeat[node]) {
        this.lastBeat[node] = beat;
        this.missed[node] = 0;
        continue;
      }
      if (++this.missed[node] >= this.options.heartbeatsMissedMax) void this.nodeFailed(node);
    }
  }

  /** Also called directly when a node is known dead (its thread was killed). */
  async nodeFailed(node: number): Promise<void> {
    if (this.failing.has(node) || !this.nodes.isAlive(node)) return;
    this.failing.add(node);
    const record: FailoverRecord = { node, detectedAt: Date.now(), leadersMovedAt: null, replacedAt: null, repairedAt: null };
    this.history.push(record);
    console.warn(`[monodyne] storage node ${node} missed ${this.options.heartbeatsMissedMax} heartbeats: failing over`);
    try {
      // Fence first: from here on nothing the node sends is answered or applied.
      this.nodes.markDead(node);
      for (const waiter of [...this.installWaiters.values()]) if (waiter.source === node || waiter.target === node) waiter.settle(false);
      await this.control.exclusive(() => this.moveLeadership(node));
      record.leadersMovedAt = Date.now();
      if (this.options.replaceDelayMs > 0) await new Promise((resolve) => setTimeout(resolve, this.options.replaceDelayMs));
      await this.control.exclusive(() => this.replaceNode(node));
      record.replacedAt = Date.now();
      await this.repairAll();
      record.repairedAt = Date.now();
    } catch (err) {
      console.error(`[monodyne] failover of node ${node} did not complete:`, err);
    } finally {
      this.failing.delete(node);
      this.lastBeat[node] = this.nodes.board.heartbeat(node);
      this.missed[node] = 0;
    }
  }

  /** For every partition the dead node held: drop it from the replicas; where it (or another dead node) led, elect. */
  private async moveLeadership(dead: number): Promise<void> {
    for (const table of this.catalog.all()) {
      const changed: PartitionAssignment[] = [];
      await Promise.all(
        table.partitions.map(async (p) => {
          const leaderAlive = this.nodes.isAlive(p.leader);
          if (!p.replicas.includes(dead) && leaderAlive) return;
          const survivors = p.replicas.filter((w) => this.nodes.isAlive(w));
          if (leaderAlive) {
            changed.push({ ...p, replicas: survivors });
            return;
          }
          if (survivors.length === 0) {
            console.error(`[monodyne] partition ${table.name}/${p.pid} lost every replica`);
            return;
          }
          changed.push(await this.elect(p, survivors));
        }),
      );
      if (changed.length > 0) await this.control.publish(table, changed);
    }
  }

  /**
   * Raises the epoch on every survivor (so the old leader's entries are refused from now on),
   * then promotes the one whose log goes furthest: it holds every acknowledged write.
   */
  private async elect(p: PartitionAssignment, survivors: number[]): Promise<PartitionAssignment> {
    const epoch = p.epoch + 1;
    const positions = await Promise.all(
      survivors.map((w) => this.nodes.control(w, { type: 'fence', table: p.table, pid: p.pid, epoch }).then((i) => i as number, () => -1)),
    );
    let best = -1;
    for (let i = 0; i < survivors.length; i++) if (positions[i] >= 0 && (best === -1 || positions[i] > positions[best])) best = i;
    const live = survivors.filter((_, i) => positions[i] >= 0);
    if (best === -1) return { ...p, replicas: live, epoch };
    return { ...p, replicas: live, leader: survivors[best], epoch };
  }

  /** Starts a new node in the dead node's zone, in a fresh directory. */
  private async replaceNode(dead: number): Promise<void> {
    const oldDir = this.catalog.nodeDir(this.options.dataDir, dead);
    const generation = (this.catalog.nodeGenerations[dead] ?? 0) + 1;
    await this.catalog.setNodeGeneration(dead, generation);
    await this.nodes.replace(dead, this.catalog.nodeDir(this.options.dataDir, dead));
    // The old incarnation's files may hold writes that were never acknowledged: never reuse them.
    void rm(oldDir, { recursive: true, force: true }).catch(() => {});
  }

  /**
   * Gives every partition with fewer than three replicas a new one on a live zone it lacks.
   * Snapshots stream without holding the control plane's lock (a failover must never wait
   * behind a repair); the new replicas are published under it, and only where the partition
   * still has the leader and epoch it had when its snapshot was taken.
   */
  private async repairAll(): Promise<void> {
    for (const table of this.catalog.all()) {
      const additions: Array<{ partition: PartitionAssignment; node: number }> = [];
      for (const p of table.partitions) {
        if (p.replicas.length >= replicationFactor || !this.nodes.isAlive(p.leader)) continue;
        let wanted = replicationFactor - p.replicas.length;
        for (let zone = 0; zone < this.nodes.count && wanted > 0; zone++) {
          if (p.replicas.includes(zone) || !this.nodes.isAlive(zone)) continue;
          additions.push({ partition: p, node: zone });
          wanted--;
        }
      }
      if (additions.length === 0) continue;
      const installed = await Promise.all(additions.map((a) => this.install(table, a.partition, a.node)));
      await this.control.exclusive(async () => {
        const current = this.catalog.get(table.name);
        const grown = new Map<number, PartitionAssignment>();
        for (let i = 0; i < additions.length; i++) {
          const { partition: was, node } = additions[i];
          const now = current?.tableId === table.tableId ? current.partitions.find((q) => q.pid === was.pid) : undefined;
          const valid = installed[i] && now !== undefined && now.leader === was.leader && now.epoch === was.epoch && this.nodes.isAlive(node);
          if (!valid) {
            // Built from a leader that has since been replaced: it may hold entries the new leader lacks.
            if (this.nodes.isAlive(node)) await this.nodes.control(node, { type: 'dropReplica', table: was.table, pid: was.pid }).catch(() => {});
            continue;
          }
          const grownP = grown.get(was.pid) ?? { ...now!, replicas: [...now!.replicas] };
          if (!grownP.replicas.includes(node)) grownP.replicas.push(node);
          grown.set(was.pid, grownP);
        }
        if (grown.size > 0 && current !== undefined) await this.control.publish(current, [...grown.values()]);
      });
    }
  }

  /** Builds one replica from a snapshot of the partition's leader; resolves whether it worked. */
  private async install(table: TableRecord, p: PartitionAssignment, node: number): Promise<boolean> {
    const key = `${node}:${p.table}:${p.pid}`;
    let settle: (ok: boolean) => void = () => {};
    const installed = new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => settle(false), this.options.installTimeoutMs);
      settle = (ok) => {
        clearTimeout(timer);
        this.installWaiters.delete(key);
        resolve(ok);
      };
      // The install also fails at once if its source (the leader) or its target dies.
      this.installWaiters.set(key, { source: p.leader, target: node, settle });
    });
    try {
      await this.nodes.control(node, { type: 'install', assignment: { ...p, replicas: [...p.replicas, node] } });
    } catch (err) {
      settle(false);
      if (err instanceof NodeFailedError) return false;
      throw err;
    }
    const ok = await installed;
    if (!ok) console.warn(`[monodyne] replica of ${table.name}/${p.pid} on node ${node} did not install`);
    return ok;
  }

  private onNodeEvent(node: number, event: NodeEvent): void {
    if (event.event === 'installed') this.installWaiters.get(`${node}:${event.table}:${event.pid}`)?.settle(true);
  }
}
