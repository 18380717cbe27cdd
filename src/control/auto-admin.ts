// The auto-admin: watches every storage node; when one fails, fences it, elects a new leader
// for each partition it led (the survivor whose log goes furthest, in a new epoch), starts a
// replacement node in the same zone and rebuilds its replicas from live ones (a snapshot plus
// the log written meanwhile) while traffic continues, then spreads leadership evenly again. It
// also splits partitions grown too large or too busy. It never holds the control plane's lock
// while it waits on a node (a snapshot, a hand-off, a split): a failover never waits behind them.
import type { ControlPlane } from './control-plane.ts';
import type { Catalog } from './catalog.ts';
import { nodeDir } from './catalog.ts';
import type { TableRecord } from './table-record.ts';
import { replicationFactor } from './control-plane.ts';
import { NodeFailedError, type NodeSupervisor } from './node-supervisor.ts';
import type { PartitionAssignment } from '../storage/messages.ts';
import type { NodeEvent } from '../storage/storage-node.ts';
import type { Clock, TimerHandle } from './clock.ts';
import { LongWorkBoard } from './long-work.ts';
import { FailureDetector, type NodeStillness } from './failure-detector.ts';
import { log } from '../server/logger.ts';

/** Repair passes after a failed install before giving up until the next failover. */
const repairRoundsMax = 5;
/** Failovers remembered for GET /_monodyne/partitions (finding M6). */
const historyMax = 100;
/** Leadership moves one rebalancing may make. */
const rebalanceMovesMax = 10_000;

export interface AutoAdminOptions {
  dataDir: string;
  clock: Clock;
  /** How often every node's liveness is checked. */
  heartbeatIntervalMs: number;
  /** A node that work waited on this long without progress, and not waiting on its disk, is hung: failed over. */
  hungNodeMs: number;
  /** A node whose disk made no progress this long is failed over; the bound a hung node is given when failing it over would leave a partition short. */
  commitStallMaxMs: number;
  /** How long a replacement replica may take to install its snapshot before it is retried. */
  installTimeoutMs: number;
  /** Wait this long after a failover before starting the replacement node. */
  replaceDelayMs: number;
  /** How often the partition map is re-read from the storage nodes (the publisher). */
  publishIntervalMs: number;
  /** A leader handing off waits at most this long for its successor to catch up. */
  handoffTimeoutMs: number;
  splits: { enabled: boolean; sizeBytes: number; unitsPerSecond: number; checkIntervalMs: number; sustainedChecks: number };
  /** Removes an old node incarnation's files (its writes may be unacknowledged: never reused). */
  discardNodeDir: (dir: string) => void;
}

/** What the auto-admin has done, for GET /_monodyne/partitions and the failover benchmark. */
export interface FailoverRecord {
  node: number;
  reason: string;
  detectedAt: number;
  leadersMovedAt: number | null;
  replacedAt: number | null;
  repairedAt: number | null;
}

interface Waiter {
  node: number;
  table: string;
  pid: number;
  /** Another node whose death also ends the wait (an install's source, a hand-off's target). */
  other: number;
  settle: (ok: boolean) => void;
}

export class AutoAdmin {
  private readonly control: ControlPlane;
  private readonly catalog: Catalog;
  private readonly nodes: NodeSupervisor;
  private readonly options: AutoAdminOptions;
  private readonly clock: Clock;
  private readonly detector: FailureDetector;
  private readonly failing = new Set<number>();
  /** Installs waiting for 'installed', hand-offs waiting for 'handoffReady', keyed by node:table:pid. */
  private readonly installWaiters = new Map<string, Waiter>();
  private readonly handoffWaiters = new Map<string, Waiter>();
  private repairs: Promise<unknown> = Promise.resolve();
  private readonly timers: TimerHandle[] = [];
  private splitting = false;
  /** Consecutive split checks each partition was over the throughput threshold. */
  private readonly hotChecks = new Map<string, number>();
  /** Splits made since start-up (observability). */
  splitsDone = 0;
  readonly history: FailoverRecord[] = [];
  readonly work: LongWorkBoard;

  constructor(control: ControlPlane, catalog: Catalog, nodes: NodeSupervisor, options: AutoAdminOptions) {
    this.control = control;
    this.catalog = catalog;
    this.nodes = nodes;
    this.options = options;
    this.clock = options.clock;
    this.work = new LongWorkBoard(options.clock);
    this.detector = new FailureDetector({ checkIntervalMs: options.heartbeatIntervalMs, hungNodeMs: options.hungNodeMs, diskStallMaxMs: options.commitStallMaxMs, replicationFactor });
    nodes.onEvent = (node, event) => this.onNodeEvent(node, event);
    // A node whose thread ended (crashed, killed) is known dead: fail it over, always (finding F13).
    nodes.onExit = (node) => void this.nodeFailed(node, 'its thread ended');
  }

  start(): void {
    const o = this.options;
    this.timers.push(this.clock.every(o.heartbeatIntervalMs, () => this.checkLiveness()));
    // The publisher: the map is a cache of what the nodes hold, re-read at a constant rate.
    this.timers.push(
      this.clock.every(o.publishIntervalMs, () => {
        if (this.failing.size > 0) return;
        void this.control.refreshFromNodes().catch((err) => log.error('map refresh failed:', err));
        // A partition left without a leader is retried until it has one (finding N5).
        void this.retryLeaderless().catch((err) => log.error('electing leaderless partitions failed:', err));
        // A repair that gave up (its installs kept failing) is tried again, until every partition has its replicas.
        if (!this.repairing && this.underReplicated()) {
          void this.repairAll()
            .then(() => this.rebalanceLeaders())
            .catch((err) => log.error('repair failed:', err));
        }
      }),
    );
    if (o.splits.enabled) this.timers.push(this.clock.every(o.splits.checkIntervalMs, () => void this.checkSplits()));
    // A zone missing a replica (a table created while a node was down, say) is repaired now.
    void this.repairAll()
      .then(() => this.rebalanceLeaders())
      .catch((err) => log.error('repair failed:', err));
  }

  stop(): void {
    for (const t of this.timers) t.cancel();
    this.timers.length = 0;
  }

  // ---- failure detection ----------------------------------------------------------------

  /** Fails over the nodes the detector finds hung (failure-detector.ts says when: slow is not dead). */
  private checkLiveness(): void {
    const nodes = Array.from({ length: this.nodes.count }, (_, node) => (this.nodes.isAlive(node) && !this.failing.has(node) ? this.nodes.liveness(node) : null));
    const { failed, held } = this.detector.check(this.clock.now(), nodes, () => this.replicaSets());
    for (const h of held) log.warn(`storage node ${h.node} ${h.reason}`);
    for (const f of failed) void this.nodeFailed(f.node, f.reason);
  }

  /** Each partition's whole copies: a follower seen lagging behind the commit index is no copy of what it lacks. */
  private *replicaSets(): Iterable<readonly number[]> {
    for (const table of this.catalog.all()) for (const p of table.partitions) yield this.control.wholeReplicas(p);
  }

  /** How long each node has been still, and the longest so far (GET /_monodyne/partitions). */
  stillness(node: number): NodeStillness {
    return this.detector.stillness(node);
  }

  // ---- failover -------------------------------------------------------------------------

  /**
   * Elects partitions whose catalog leader is dead, or alive but not leading them in two checks
   * in a row (an election that was blocked or found no candidate, an assignment that never
   * arrived; one check may race a publish on its way).
   */
  private async retryLeaderless(): Promise<void> {
    if (this.retryingLeaderless) return;
    this.retryingLeaderless = true;
    try {
      const reports = await this.control.describeAll();
      const suspects = new Set<string>();
      const seen = new Set<string>();
      for (const table of this.catalog.all()) {
        for (const p of table.partitions) {
          const key = `${p.table}:${p.pid}`;
          seen.add(key);
          const leading = this.nodes.isAlive(p.leader) && reports[p.leader]?.some((r) => r.table === p.table && r.pid === p.pid && r.leader) === true;
          const checks = leading ? 0 : (this.notLeadingChecks.get(key) ?? 0) + 1;
          this.notLeadingChecks.set(key, checks);
          if (!this.nodes.isAlive(p.leader) || checks >= 2) suspects.add(key);
        }
      }
      for (const key of this.notLeadingChecks.keys()) if (!seen.has(key)) this.notLeadingChecks.delete(key);
      if (suspects.size === 0 || this.failing.size > 0) return;
      await this.control.exclusive(() => this.electLeaderless(() => false, (p) => suspects.has(`${p.table}:${p.pid}`)));
    } finally {
      this.retryingLeaderless = false;
    }
  }

  private retryingLeaderless = false;
  /** Publisher checks in a row in which each partition's catalog leader did not lead it. */
  private readonly notLeadingChecks = new Map<string, number>();

  async nodeFailed(node: number, reason: string): Promise<void> {
    if (this.failing.has(node) || !this.nodes.isAlive(node)) return;
    this.failing.add(node);
    const record: FailoverRecord = { node, reason, detectedAt: this.clock.now(), leadersMovedAt: null, replacedAt: null, repairedAt: null };
    this.history.push(record);
    if (this.history.length > historyMax) this.history.splice(0, this.history.length - historyMax);
    log.warn(`storage node ${node} ${reason}: failing over`);
    try {
      // Fence first: from here on nothing the node sends is answered or applied.
      this.nodes.markDead(node);
      // Work waiting on it ends now: a failover never waits behind a hand-off or an install (F15).
      for (const waiters of [this.installWaiters, this.handoffWaiters]) {
        for (const w of [...waiters.values()]) if (w.node === node || w.other === node) w.settle(false);
      }
      await this.control.exclusive(() => this.moveLeadership(node));
      record.leadersMovedAt = this.clock.now();
      if (this.options.replaceDelayMs > 0) await this.clock.sleep(this.options.replaceDelayMs);
      await this.control.exclusive(() => this.replaceNode(node));
      record.replacedAt = this.clock.now();
    } catch (err) {
      log.error(`failover of node ${node} did not complete:`, err);
    } finally {
      // The replacement is a new node: if it fails too (even while being repaired), that is a new failover.
      this.failing.delete(node);
      this.detector.forget(node);
    }
    try {
      await this.repairAll();
      record.repairedAt = this.clock.now();
      await this.rebalanceLeaders();
    } catch (err) {
      log.error(`repair after the failover of node ${node} did not complete:`, err);
    }
  }

  /**
   * For every partition the dead node held: drop it from the voters; where it (or another dead
   * node) led, elect (electLeaderless).
   */
  private moveLeadership(dead: number): Promise<void> {
    return this.electLeaderless((p) => p.replicas.includes(dead));
  }

  /**
   * Elects a leader for every partition whose leader is dead or `suspect`, and drops dead nodes
   * from the voters of the others `also` selects. A partition a voter already split is replaced by
   * its children, which are then elected in turn; a child whose survivors never applied the split
   * gets its parent elected, whose new leader finishes the split (finding F3). What cannot be
   * elected now (a voter holds nothing yet, no survivor can lead) is retried by the publisher
   * until it has a leader (finding N5). Call inside the control plane's lock.
   */
  private async electLeaderless(also: (p: PartitionAssignment) => boolean, suspect: (p: PartitionAssignment) => boolean = () => false): Promise<void> {
    for (let round = 0; round < 4; round++) {
      let splitSeen = false;
      for (const table of this.catalog.all()) {
        const changed: PartitionAssignment[] = [];
        for (const p of table.partitions) {
          const leaderAlive = this.nodes.isAlive(p.leader) && !suspect(p);
          if (leaderAlive && !also(p)) continue;
          const survivors = p.replicas.filter((w) => this.nodes.isAlive(w));
          if (leaderAlive) {
            if (survivors.length < p.replicas.length) changed.push({ ...p, replicas: survivors });
            continue;
          }
          if (survivors.length === 0) {
            log.error(`partition ${table.name}/${p.pid} lost every replica`);
            continue;
          }
          this.cancelWaits(p.table, p.pid);
          const elected = await this.control.elect(p, survivors);
          if (elected.kind === 'leader') changed.push(elected.assignment);
          else if (elected.kind === 'split') splitSeen = true;
          else if (elected.kind === 'none' && p.parent !== undefined) await this.electParent(table, p, survivors);
        }
        if (changed.length > 0) await this.control.publish(table, changed);
      }
      if (!splitSeen) return;
      // A survivor split a partition the catalog still lists whole: adopt what the nodes hold.
      await this.control.refreshNow();
    }
  }

  /** A split child that no survivor can lead: its parent's new leader will finish the split. */
  private async electParent(table: TableRecord, child: PartitionAssignment, survivors: number[]): Promise<void> {
    const reports = await this.control.describeAll();
    let parent: PartitionAssignment | undefined;
    for (const w of survivors) {
      const r = reports[w]?.find((x) => x.table === child.table && x.pid === child.parent && x.state !== 'retired');
      if (r !== undefined && (parent === undefined || r.assignment.epoch > parent.epoch)) parent = r.assignment;
    }
    if (parent === undefined) return;
    // The parent's voters are the child's (a split copies them): every live one must answer.
    const elected = await this.control.elect({ ...parent, replicas: survivors }, survivors);
    if (elected.kind === 'leader') {
      log.warn(`partition ${table.name}/${child.pid}: its split had not reached the survivors; ${elected.assignment.leader} now leads the parent ${child.parent} and finishes it`);
      await this.control.assignOutsideMap(elected.assignment);
    }
  }

  /**
   * Starts a new node in the dead node's zone, in a fresh directory. Its old copies are gone:
   * it stops being a voter of every partition first (where an election could not yet run, the
   * empty replacement must not block it as a voter holding nothing).
   */
  private async replaceNode(dead: number): Promise<void> {
    for (const table of this.catalog.all()) {
      const held = table.partitions.filter((p) => p.replicas.includes(dead));
      if (held.length > 0) await this.control.publish(table, held.map((p) => ({ ...p, replicas: p.replicas.filter((w) => w !== dead) })));
    }
    const oldDir = nodeDir(this.options.dataDir, this.catalog.nodeGenerations, dead);
    const generation = (this.catalog.nodeGenerations[dead] ?? 0) + 1;
    await this.catalog.setNodeGeneration(dead, generation);
    await this.nodes.replace(dead, nodeDir(this.options.dataDir, this.catalog.nodeGenerations, dead), generation);
    // The old incarnation's files may hold writes that were never acknowledged: never reuse them.
    this.options.discardNodeDir(oldDir);
  }

  // ---- repair ---------------------------------------------------------------------------

  /**
   * Gives every partition with fewer than three replicas a new one on a live zone it lacks.
   * Snapshots stream without holding the control plane's lock; the new replicas become voters
   * (count toward W = 2) only when published, and only where the partition still has the leader
   * and epoch it had when its snapshot was taken.
   */
  repairAll(): Promise<void> {
    // One repair at a time (two failovers finishing together would build the same replicas twice).
    this.repairing = true;
    const run = this.repairs.then(() => this.repairAllNow()).finally(() => (this.repairing = false));
    this.repairs = run.catch(() => {});
    return run;
  }

  private repairing = false;

  private underReplicated(): boolean {
    return this.catalog.all().some((t) => t.partitions.some((p) => p.replicas.length < replicationFactor));
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

  /** Builds one replica from a snapshot of the partition's leader; resolves whether it worked. */
  private async install(table: TableRecord, p: PartitionAssignment, node: number): Promise<boolean> {
    const work = this.work.start('repair', table.name, p.pid, `copying a snapshot from node ${p.leader}`, node);
    const installed = this.wait(this.installWaiters, node, p.table, p.pid, p.leader, this.options.installTimeoutMs);
    try {
      await this.nodes.control(node, { type: 'install', assignment: { ...p, replicas: [...p.replicas, node] } });
    } catch (err) {
      this.installWaiters.get(`${node}:${p.table}:${p.pid}`)?.settle(false);
      work.finish(false, 'the new node failed');
      if (err instanceof NodeFailedError) return false;
      throw err;
    }
    const ok = await installed;
    work.finish(ok, ok ? 'installed' : 'did not install (will retry)');
    if (!ok) log.warn(`replica of ${table.name}/${p.pid} on node ${node} did not install`);
    return ok;
  }

  private wait(waiters: Map<string, Waiter>, node: number, table: string, pid: number, other: number, timeoutMs: number): Promise<boolean> {
    const key = `${node}:${table}:${pid}`;
    waiters.get(key)?.settle(false);
    return new Promise<boolean>((resolve) => {
      const timer = this.clock.after(timeoutMs, () => settle(false));
      const settle = (ok: boolean): void => {
        timer.cancel();
        if (waiters.get(key)?.settle === settle) waiters.delete(key);
        resolve(ok);
      };
      waiters.set(key, { node, table, pid, other, settle });
    });
  }

  /** A partition changed leader: a snapshot streaming or a hand-off under way will never finish. */
  private cancelWaits(table: string, pid: number): void {
    for (const waiters of [this.installWaiters, this.handoffWaiters]) {
      for (const w of [...waiters.values()]) if (w.table === table && w.pid === pid) w.settle(false);
    }
  }

  private onNodeEvent(node: number, event: NodeEvent): void {
    switch (event.event) {
      case 'installed':
        this.installWaiters.get(`${node}:${event.table}:${event.pid}`)?.settle(true);
        return;
      case 'handoffReady':
        this.handoffWaiters.get(`${node}:${event.table}:${event.pid}`)?.settle(true);
        return;
      case 'splitApplied':
        this.control.onSplitApplied(event.table, event.pid, event.children);
        return;
    }
  }

  // ---- leader balancing -----------------------------------------------------------------

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
    for (let moves = 0; moves < rebalanceMovesMax; moves++) {
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
      if (!(await this.transferLeadership(candidate.table.name, candidate.p.pid, fewest))) return;
    }
  }

  /**
   * Hands one partition's leadership to `target` without losing or refusing a write: the leader
   * stops taking writes until the target has every entry, then the new epoch makes the switch.
   * The wait holds no lock: a failover may cut it short (finding F15).
   */
  async transferLeadership(tableName: string, pid: number, target: number): Promise<boolean> {
    const started = await this.control.exclusive(async () => {
      const table = this.catalog.get(tableName);
      const p = table?.partitions.find((q) => q.pid === pid);
      if (table === undefined || p === undefined || !p.replicas.includes(target) || !this.nodes.isAlive(target) || !this.nodes.isAlive(p.leader)) return null;
      const ready = this.wait(this.handoffWaiters, p.leader, p.table, p.pid, target, this.options.handoffTimeoutMs);
      const ok = await this.nodes.control(p.leader, { type: 'handoff', table: p.table, pid: p.pid, target }).catch(() => false);
      if (!ok) {
        this.handoffWaiters.get(`${p.leader}:${p.table}:${p.pid}`)?.settle(false);
        return null;
      }
      return { p, ready };
    });
    if (started === null) return false;
    const ready = await started.ready;
    const was = started.p;
    return this.control.exclusive(async () => {
      const table = this.catalog.get(tableName);
      const now = table?.partitions.find((q) => q.pid === pid);
      const unchanged = now !== undefined && now.leader === was.leader && now.epoch === was.epoch && this.nodes.isAlive(target) && this.nodes.isAlive(was.leader);
      if (!ready || !unchanged || table === undefined) {
        if (this.nodes.isAlive(was.leader)) await this.nodes.control(was.leader, { type: 'handoff', table: was.table, pid: was.pid, target: -1 }).catch(() => {});
        return false;
      }
      // The target has every entry the old leader wrote and the old leader takes no more: the
      // new epoch makes the switch final for everyone.
      await this.control.publish(table, [{ ...now, leader: target, epoch: now.epoch + 1 }]);
      return true;
    });
  }

  // ---- splits ---------------------------------------------------------------------------

  /**
   * Splits partitions grown past splits.sizeBytes, or busier than splits.unitsPerSecond for
   * splits.sustainedChecks checks in a row; then spreads leadership again. Partitions never merge.
   */
  private async checkSplits(): Promise<void> {
    if (this.splitting || this.failing.size > 0) return;
    this.splitting = true;
    try {
      const sizes = new Map<string, number>();
      for (const list of await this.control.describeAll()) for (const r of list) if (r.leader) sizes.set(`${r.table}:${r.pid}`, r.bytes);
      const { sizeBytes, unitsPerSecond, sustainedChecks } = this.options.splits;
      const due: Array<{ table: string; pid: number }> = [];
      const current = new Set<string>();
      for (const table of this.catalog.all()) {
        for (const p of table.partitions) {
          const key = `${table.tableId}:${p.pid}`;
          current.add(key);
          const busy = (this.control.admission?.unitsPerSecond(table.tableId, p.pid) ?? 0) > unitsPerSecond;
          const hot = busy ? (this.hotChecks.get(key) ?? 0) + 1 : 0;
          this.hotChecks.set(key, hot);
          if ((sizes.get(key) ?? 0) > sizeBytes || hot >= sustainedChecks) due.push({ table: table.name, pid: p.pid });
        }
      }
      for (const key of this.hotChecks.keys()) if (!current.has(key)) this.hotChecks.delete(key);
      let split = false;
      for (const d of due) if (await this.split(d.table, d.pid)) split = true;
      if (split) await this.rebalanceLeaders();
    } catch (err) {
      log.error('split check failed:', err);
    } finally {
      this.splitting = false;
    }
  }

  /** Splits one partition now (the split check, or the faults endpoint), not while a repair streams it. */
  async split(tableName: string, pid: number): Promise<boolean> {
    const work = this.work.start('split', tableName, pid, 'appending the split entry');
    const done = this.repairs.then(() => this.control.splitPartition(tableName, pid, (step) => work.step(step)));
    this.repairs = done.catch(() => {});
    const ok = await done.catch(() => false);
    work.finish(ok, ok ? 'children published' : 'not split');
    if (ok) this.splitsDone++;
    return ok;
  }
}
