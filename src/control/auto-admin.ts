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

/** A leader handing off waits at most this long for its successor to catch up. */
const handoffTimeoutMs = 5000;
/** Repair passes after a failed install before giving up until the next failover. */
const repairRoundsMax = 5;

export interface AutoAdminOptions {
  dataDir: string;
  heartbeatIntervalMs: number;
  /** A node is declared dead after this many heartbeat intervals without a beat. */
  heartbeatsMissedMax: number;
  /** How long a node inside a synced commit (waiting on the disk) may go without a beat. */
  commitStallMaxMs: number;
  /** How long a replacement replica may take to install its snapshot before it is retried. */
  installTimeoutMs: number;
  /** Wait this long after a failover before starting the replacement node. */
  replaceDelayMs: number;
  /** How often the partition map is re-read from the storage nodes (the publisher). */
  publishIntervalMs: number;
  splits: { enabled: boolean; sizeBytes: number; unitsPerSecond: number; checkIntervalMs: number; sustainedChecks: number };
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
  private readonly installWaiters = new Map<string, { source: number; target: number; table: string; pid: number; settle: (ok: boolean) => void }>();
  private readonly handoffWaiters = new Map<string, () => void>();
  private repairs: Promise<unknown> = Promise.resolve();
  private timer: NodeJS.Timeout | undefined;
  private publishTimer: NodeJS.Timeout | undefined;
  private splitTimer: NodeJS.Timeout | undefined;
  private splitting = false;
  /** Consecutive split checks each partition was over the throughput threshold. */
  private readonly hotChecks = new Map<string, number>();
  /** Splits made since start-up (observability). */
  splitsDone = 0;
  private lastCheckAt = 0;
  readonly history: FailoverRecord[] = [];

  constructor(control: ControlPlane, catalog: Catalog, nodes: StorageNodes, options: AutoAdminOptions) {
    this.control = control;
    this.catalog = catalog;
    this.nodes = nodes;
    this.options = options;
    this.lastBeat = Array.from({ length: nodes.count }, (_, i) => nodes.board.heartbeat(i));
    this.missed = new Array<number>(nodes.count).fill(0);
    nodes.onEvent = (node, event) => this.onNodeEvent(node, event);
    // A node whose thread ended (crashed, killed) is known dead: no need to wait for beats.
    nodes.onExit = (node) => {
      if (!this.wouldLoseEveryReplica(node)) void this.nodeFailed(node, 'its thread ended');
    };
  }

  start(): void {
    this.timer = setInterval(() => this.checkHeartbeats(), this.options.heartbeatIntervalMs);
    this.timer.unref();
    // The publisher: the map is a cache of what the nodes hold, re-read at a constant rate.
    this.publishTimer = setInterval(() => {
      if (this.failing.size === 0) void this.control.refreshFromNodes().catch((err) => console.error('[monodyne] map refresh failed:', err));
    }, this.options.publishIntervalMs);
    this.publishTimer.unref();
    if (this.options.splits.enabled) {
      this.splitTimer = setInterval(() => void this.checkSplits(), this.options.splits.checkIntervalMs);
      this.splitTimer.unref();
    }
    // A zone missing a replica (a table created while a node was down, say) is repaired now.
    void this.repairAll()
      .then(() => this.rebalanceLeaders())
      .catch((err) => console.error('[monodyne] repair failed:', err));
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    if (this.publishTimer) clearInterval(this.publishTimer);
    if (this.splitTimer) clearInterval(this.splitTimer);
  }

  /**
   * Splits partitions grown past splits.sizeBytes, or busier than splits.unitsPerSecond for
   * splits.sustainedChecks checks in a row; then spreads leadership again. Partitions never merge.
   */
  private async checkSplits(): Promise<void> {
    if (this.splitting || this.failing.size > 0) return;
    this.splitting = true;
    try {
      const sizes = new Map<string, number>();
      await Promise.all(
        Array.from({ length: this.nodes.count }, async (_, node) => {
          if (!this.nodes.isAlive(node)) return;
          const replicas = (await this.nodes.control(node, { type: 'describe' }).catch(() => [])) as Array<{ table: string; pid: number; leader: boolean; bytes: number }>;
          for (const r of replicas) if (r.leader) sizes.set(`${r.table}:${r.pid}`, r.bytes);
        }),
      );
      const { sizeBytes, unitsPerSecond, sustainedChecks } = this.options.splits;
      const due: Array<{ table: string; pid: number }> = [];
      for (const table of this.catalog.all()) {
        for (const p of table.partitions) {
          const key = `${table.tableId}:${p.pid}`;
          const busy = (this.control.admission?.unitsPerSecond(table.tableId, p.pid) ?? 0) > unitsPerSecond;
          const hot = busy ? (this.hotChecks.get(key) ?? 0) + 1 : 0;
          this.hotChecks.set(key, hot);
          if ((sizes.get(key) ?? 0) > sizeBytes || hot >= sustainedChecks) due.push({ table: table.name, pid: p.pid });
        }
      }
      let split = false;
      for (const d of due) {
        // Not while a repair streams snapshots of the partition.
        const done = this.repairs.then(() => this.control.splitPartition(d.table, d.pid));
        this.repairs = done.catch(() => {});
        if (await done) {
          split = true;
          this.splitsDone++;
        }
      }
      if (split) await this.rebalanceLeaders();
    } catch (err) {
      console.error('[monodyne] split check failed:', err);
    } finally {
      this.splitting = false;
    }
  }

  private checkHeartbeats(): void {
    const now = Date.now();
    // If this check itself ran late, the main thread was stalled (GC, a busy machine): that
    // says nothing about the nodes, so no beat counts as missed this time.
    const stalled = this.lastCheckAt !== 0 && now - this.lastCheckAt > 2 * this.options.heartbeatIntervalMs;
    this.lastCheckAt = now;
    for (let node = 0; node < this.nodes.count; node++) {
      if (!this.nodes.isAlive(node) || this.failing.has(node)) continue;
      const beat = this.nodes.board.heartbeat(node);
      if (beat !== this.lastBeat[node] || stalled) {
        this.lastBeat[node] = beat;
        this.missed[node] = 0;
        continue;
      }
      // A commit waiting on a slow disk holds the node's thread; that is not a failure until it
      // lasts longer than commitStallMaxMs.
      const missedMax = this.nodes.board.isCommitting(node) ? this.commitStallBeats : this.options.heartbeatsMissedMax;
      if (++this.missed[node] >= missedMax && !this.wouldLoseEveryReplica(node)) void this.nodeFailed(node, `missed ${this.missed[node]} heartbeats`);
    }
  }

  /**
   * Declaring `node` dead must never leave a partition without a live replica: when every
   * other replica already failed, the silence is more likely this process starving its threads
   * than a third failure, and the last copy keeps serving (it is still fenced by epochs).
   */
  private wouldLoseEveryReplica(node: number): boolean {
    for (const table of this.catalog.all()) {
      for (const p of table.partitions) {
        if (!p.replicas.includes(node)) continue;
        if (!p.replicas.some((w) => w !== node && this.nodes.isAlive(w) && !this.failing.has(w))) return true;
      }
    }
    return false;
  }

  private get commitStallBeats(): number {
    return Math.max(this.options.heartbeatsMissedMax, Math.ceil(this.options.commitStallMaxMs / this.options.heartbeatIntervalMs));
  }

  /** Also called directly when a node is known dead (its thread ended). */
  async nodeFailed(node: number, reason: string): Promise<void> {
    if (this.failing.has(node) || !this.nodes.isAlive(node)) return;
    this.failing.add(node);
    const record: FailoverRecord = { node, detectedAt: Date.now(), leadersMovedAt: null, replacedAt: null, repairedAt: null };
    this.history.push(record);
    console.warn(`[monodyne] storage node ${node} ${reason}: failing over`);
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
      await this.rebalanceLeaders();
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
          this.cancelInstalls(p.table, p.pid);
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
  private repairAll(): Promise<void> {
    // One repair at a time (two failovers finishing together would build the same replicas twice).
    const run = this.repairs.then(() => this.repairAllNow());
    this.repairs = run.catch(() => {});
    return run;
  }

  private async repairAllNow(): Promise<void> {
    // An install fails when its partition changes leader midway (a failover): go round again.
    for (let round = 0; round < repairRoundsMax; round++) {
      if (!(await this.repairRound())) return;
    }
  }

  /** One pass of repair; returns whether another pass may be needed (something did not install). */
  private async repairRound(): Promise<boolean> {
    let incomplete = false;
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
      if (installed.includes(false)) incomplete = true;
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
    return incomplete;
  }

  /** A partition changed leader: a snapshot streaming from its old leader will never finish. */
  private cancelInstalls(table: string, pid: number): void {
    for (const waiter of [...this.installWaiters.values()]) if (waiter.table === table && waiter.pid === pid) waiter.settle(false);
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
      this.installWaiters.set(key, { source: p.leader, target: node, table: p.table, pid: p.pid, settle });
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
    else if (event.event === 'handoffReady') this.handoffWaiters.get(`${node}:${event.table}:${event.pid}`)?.();
  }

  /**
   * Moves leadership, one partition at a time, from the zones leading the most partitions to
   * those leading the fewest, until every zone leads within one of the others: after a
   * failover the survivors lead everything, and the replacement would otherwise only follow.
   */
  rebalanceLeaders(): Promise<void> {
    const run = this.repairs.then(() => this.rebalanceLeadersNow());
    this.repairs = run.catch(() => {});
    return run;
  }

  private async rebalanceLeadersNow(): Promise<void> {
    for (let moves = 0; moves < 10_000; moves++) {
      // Only between repairs: moving a leader would cut off a snapshot it is sending.
      if (this.catalog.all().some((t) => t.partitions.some((p) => p.replicas.length < replicationFactor))) return;
      const leads = new Array<number>(this.nodes.count).fill(0);
      const all: Array<{ table: TableRecord; p: PartitionAssignment }> = [];
      for (const table of this.catalog.all()) {
        for (const p of table.partitions) {
          leads[p.leader]++;
          all.push({ table, p });
        }
      }
      let most = 0;
      let fewest = 0;
      for (let z = 0; z < leads.length; z++) {
        if (!this.nodes.isAlive(z)) continue;
        if (leads[z] > leads[most] || !this.nodes.isAlive(most)) most = z;
        if (leads[z] < leads[fewest] || !this.nodes.isAlive(fewest)) fewest = z;
      }
      if (leads[most] - leads[fewest] <= 1) return;
      const candidate = all.find(({ p }) => p.leader === most && p.replicas.includes(fewest));
      if (candidate === undefined) return;
      const moved = await this.control.exclusive(() => this.transferLeadership(candidate.table.name, candidate.p.pid, fewest));
      if (!moved) return;
    }
  }

  /** Hands one partition's leadership to `target` (a replica) without losing or refusing a write. */
  private async transferLeadership(tableName: string, pid: number, target: number): Promise<boolean> {
    const table = this.catalog.get(tableName);
    const p = table?.partitions.find((q) => q.pid === pid);
    if (table === undefined || p === undefined || !p.replicas.includes(target) || !this.nodes.isAlive(target) || !this.nodes.isAlive(p.leader)) return false;
    const key = `${p.leader}:${p.table}:${p.pid}`;
    const ready = new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => {
        this.handoffWaiters.delete(key);
        resolve(false);
      }, handoffTimeoutMs);
      this.handoffWaiters.set(key, () => {
        clearTimeout(timer);
        this.handoffWaiters.delete(key);
        resolve(true);
      });
    });
    try {
      if (!(await this.nodes.control(p.leader, { type: 'handoff', table: p.table, pid: p.pid, target }))) return false;
    } catch {
      this.handoffWaiters.delete(key);
      return false;
    }
    if (!(await ready)) {
      await this.nodes.control(p.leader, { type: 'handoff', table: p.table, pid: p.pid, target: -1 }).catch(() => {});
      return false;
    }
    // The target has every entry the old leader wrote and the old leader takes no more: the
    // new epoch makes the switch final for everyone.
    await this.control.publish(table, [{ ...p, leader: target, epoch: p.epoch + 1 }]);
    this.cancelInstalls(p.table, p.pid);
    return true;
  }
}
