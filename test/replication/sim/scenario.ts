// Scripted scenarios on the simulator: the same real control plane, auto-admin, router and
// storage nodes as simulate.ts, but driven step by step by a test (this write, then this split,
// then this crash) instead of by random faults, to reproduce one interleaving exactly.
import { Scheduler } from './scheduler.ts';
import { Random } from './random.ts';
import { noDiskCounts, type CrashKind, type DiskCounts } from './sim-disk.ts';
import { SimNetwork } from './sim-network.ts';
import { SimCatalogDisk } from './sim-catalog.ts';
import { SimServer, newDisks, simTable, type SimServerOptions } from './sim-server.ts';
import { routeKey } from '../../../src/api/item-key.ts';
import { keyInfoOf, type TableRecord } from '../../../src/control/table-record.ts';
import { Op, ReturnValues, WriteKind, type GetRequest, type PartitionAssignment, type WriteRequest } from '../../../src/storage/messages.ts';
import { itemSizeBytes } from '../../../src/validation/attribute-values.ts';
import { setLogLevel } from '../../../src/server/logger.ts';
import type { ReplicaMachine } from '../../../src/replication/replica-machine.ts';
import type { Item } from '../../../src/values/types.ts';

export class Scenario {
  readonly scheduler = new Scheduler();
  readonly random: Random;
  readonly network: SimNetwork;
  readonly disk = new SimCatalogDisk();
  readonly options: SimServerOptions;
  readonly diskCounts: DiskCounts = noDiskCounts();
  server: SimServer;

  constructor(seed: number, options: Partial<SimServerOptions> = {}) {
    setLogLevel(process.env.MONODYNE_SIM_LOG === 'info' ? 'info' : 'silent');
    this.random = new Random(seed);
    this.network = new SimNetwork(this.scheduler, this.random);
    this.options = { nodes: 3, logEntriesMax: 64, initialPartitions: 1, ...options };
    this.server = new SimServer(this.scheduler, this.random, this.network, this.disk, newDisks(this.scheduler, this.random, this.diskCounts, this.options.nodes), this.options);
  }

  get now(): number {
    return this.scheduler.now;
  }

  /** Runs virtual time until `promise` settles (at most `limitMs`), and returns its outcome. */
  async settle<T>(promise: Promise<T>, limitMs = 60_000): Promise<T> {
    let done = false;
    const watched = promise.finally(() => (done = true));
    watched.catch(() => {});
    const until = this.scheduler.now + limitMs;
    while (!done && this.scheduler.now < until && this.scheduler.pending > 0) await this.scheduler.run(Math.min(until, this.scheduler.now + 50), () => done);
    if (!done) throw new Error(`scenario stalled at ${this.scheduler.now.toFixed(1)} ms`);
    return watched;
  }

  /** Runs virtual time for `ms`. */
  async runFor(ms: number): Promise<void> {
    await this.scheduler.run(this.scheduler.now + ms);
  }

  /** Runs virtual time until `predicate` holds (checked every `stepMs`); throws after `limitMs`. */
  async until(predicate: () => boolean, what: string, limitMs = 30_000, stepMs = 1): Promise<void> {
    const end = this.scheduler.now + limitMs;
    while (!predicate()) {
      if (this.scheduler.now >= end) throw new Error(`timed out at ${this.scheduler.now.toFixed(1)} ms waiting for ${what}`);
      await this.scheduler.run(this.scheduler.now + stepMs);
    }
  }

  async start(): Promise<void> {
    await this.settle(this.server.ready);
  }

  async createTable(name: string): Promise<TableRecord> {
    return this.settle(this.server.control.createTable(simTable(name)));
  }

  table(name: string): TableRecord {
    const t = this.server.catalog.get(name);
    if (t === undefined) throw new Error(`no table ${name}`);
    return t;
  }

  /** The catalog's partition holding `key`. */
  partitionOf(name: string, key: string): PartitionAssignment {
    const table = this.table(name);
    const { hash32 } = routeKey(keyInfoOf(table), { pk: { S: key } });
    return table.partitions.find((p) => hash32 >= p.hashStart && hash32 < p.hashEnd)!;
  }

  /** A put of {pk: key, v: value} through the router (not awaited: the caller settles it). */
  put(name: string, key: string, value: string, wid?: string): Promise<unknown> {
    const table = this.table(name);
    const item: Item = { pk: { S: key }, v: { S: value } };
    const routed = routeKey(keyInfoOf(table), item);
    const req: WriteRequest = { id: 0, op: Op.Write, t: table.tableId, p: 0, v: 0, k: routed.storageKey, w: WriteKind.Put, item, sz: itemSizeBytes(item), key: null, x: null, rv: ReturnValues.NONE, rvf: false };
    if (wid !== undefined) req.wid = wid;
    return this.server.router.sendByHash(table.tableId, routed.hash32, req, true);
  }

  /** A delete of `key` through the router (not awaited). */
  delete(name: string, key: string): Promise<unknown> {
    const table = this.table(name);
    const routed = routeKey(keyInfoOf(table), { pk: { S: key } });
    const req: WriteRequest = { id: 0, op: Op.Write, t: table.tableId, p: 0, v: 0, k: routed.storageKey, w: WriteKind.Delete, item: null, sz: 0, key: null, x: null, rv: ReturnValues.NONE, rvf: false };
    return this.server.router.sendByHash(table.tableId, routed.hash32, req, true);
  }

  /** Converged, and every follower of the log on every replica has taken everything applied there. */
  caughtUp(): boolean {
    if (!this.converged()) return false;
    for (const n of this.server.nodes.nodes) for (const slot of n.node.replicas.values()) for (const f of n.followers) if (slot.positions[f.name] !== slot.appliedTo) return false;
    return true;
  }

  /** The value of `key` read through the router (null: no item). */
  async get(name: string, key: string, consistent = true): Promise<string | null> {
    const table = this.table(name);
    const routed = routeKey(keyInfoOf(table), { pk: { S: key } });
    const req: GetRequest = { id: 0, op: Op.Get, t: table.tableId, p: 0, v: 0, k: routed.storageKey, c: consistent };
    const res = await this.server.router.sendByHash(table.tableId, routed.hash32, req, consistent);
    if (res.json === null || res.json === undefined) return null;
    return ((JSON.parse(Buffer.from(res.json).toString('utf8')) as Item).v as { S?: string }).S ?? null;
  }

  /** Node `node`'s replica of a partition, if it holds one. */
  machine(node: number, tableId: string, pid: number): ReplicaMachine<unknown, unknown> | undefined {
    return this.server.nodes.nodes[node].node.replicas.get(`${tableId}:${pid}`)?.machine;
  }

  /** Every replica every running node holds. */
  allMachines(): Array<{ node: number; m: ReplicaMachine<unknown, unknown> }> {
    const out: Array<{ node: number; m: ReplicaMachine<unknown, unknown> }> = [];
    for (const n of this.server.nodes.nodes) if (n.running) for (const slot of n.node.replicas.values()) out.push({ node: n.id, m: slot.machine });
    return out;
  }

  /**
   * Every partition of every table has three live replicas, a leader that has applied all it
   * committed, and followers that applied as far; no node is failing over.
   */
  converged(): boolean {
    const s = this.server;
    if (!s.nodes.nodes.every((n) => n.alive && n.running)) return false;
    for (const table of s.catalog.all()) {
      for (const p of table.partitions) {
        if (p.replicas.length !== 3) return false;
        const leader = this.machine(p.leader, p.table, p.pid);
        if (leader === undefined || !leader.isLeader() || leader.committed !== leader.last || leader.applied !== leader.last) return false;
        for (const r of p.replicas) if (this.machine(r, p.table, p.pid)?.applied !== leader.applied) return false;
      }
    }
    return true;
  }

  /** The whole process crashes (by default the power goes) and restarts on what its disks kept. */
  async restart(kind: CrashKind = 'power'): Promise<void> {
    const disks = this.server.crash(kind);
    this.server = new SimServer(this.scheduler, this.random, this.network, this.disk, disks, this.options);
    await this.settle(this.server.ready);
  }
}
