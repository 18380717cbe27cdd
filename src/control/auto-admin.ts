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
  private readonly installWaiters = new Map<string, () => void>();
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
    // A node that died while the server was down (or a zone missing a replica) is repaired now.
    void this.control.exclusive(() => this.repairAll());
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
      await this.control.exclusive(() => this.moveLeadership(node));
      record.leadersMovedAt = Date.now();
      await this.control.exclusive(() => this.replaceNode(node));
      record.replacedAt = Date.now();
      await this.control.exclusive(() => this.repairAll());
      record.repairedAt = Date.now();
    } catch (err) {
      console.error(`[monodyne] failover of node ${node} did not complete:`, err);
    } finally {
      this.failing.delete(node);
      this.lastBeat[node] = this.nodes.board.heartbeat(node);
      this.missed[node] = 0;
    }
  }

  /** For every partition the dead node held: drop it from the replicas; where it led, elect. */
  private async moveLeadership(dead: number): Promise<void> {
    for (const table of this.catalog.all()) {
      const changed: PartitionAssignment[] = [];
      await Promise.all(
        table.partitions.map(async (p) => {
          if (!p.replicas.includes(dead)) return;
          const survivors = p.replicas.filter((w) => w !== dead && this.nodes.isAlive(w));
          if (p.leader !== dead) {
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

  /** Gives every partition with fewer than three replicas a new one on a live zone it lacks. */
  private async repairAll(): Promise<void> {
    for (const table of this.catalog.all()) {
      const additions: Array<{ partition: PartitionAssignment; node: number }> = [];
      for (const p of table.partitions) {
        if (p.replicas.length >= replicationFactor || !this.nodes.isAlive(p.leader)) continue;
        for (let zone = 0; zone < this.nodes.count && p.replicas.length + additions.filter((a) => a.partition === p).length < replicationFactor; zone++) {
          if (p.replicas.includes(zone) || !this.nodes.isAlive(zone)) continue;
          additions.push({ partition: p, node: zone });
        }
      }
      if (additions.length === 0) continue;
      const installed = await Promise.all(additions.map((a) => this.install(table, a.partition, a.node)));
      const grown = new Map<number, PartitionAssignment>();
      for (let i = 0; i < additions.length; i++) {
        if (!installed[i]) continue;
        const p = grown.get(additions[i].partition.pid) ?? { ...additions[i].partition, replicas: [...additions[i].partition.replicas] };
        p.replicas.push(additions[i].node);
        grown.set(p.pid, p);
      }
      if (grown.size > 0) await this.control.publish(table, [...grown.values()]);
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
      this.installWaiters.set(key, () => settle(true));
    });
    try {
      await this.nodes.control(node, { type: 'install', assignment: { ...p, replicas: [...p.replicas, node] } });
    } catch (err) {
      settle(false);
      if (err instanceof NodeFailedError) return false;
      throw err;
    }
    const ok = await installed;
    if (!ok) console.warn(`[monodyne] replica of ${table.name}/${p.pid} on node ${node} did not install in time`);
    return ok;
  }

  private onNodeEvent(node: number, event: NodeEvent): void {
    if (event.event === 'installed') this.installWaiters.get(`${node}:${event.table}:${event.pid}`)?.();
  }
}
