// The admin and observability endpoints under /_monodyne/: the console's files, the partition
// map as the control plane and the storage nodes see it, digests of every replica (to compare
// them), the hottest partition keys, and (when enabled in config) fault injection.
import type { AdminHandler, AdminRequest, StaticFile } from '../protocol/front-door.ts';
import { ConsoleFiles } from '../console/console-files.ts';
import type { ControlPlane } from './control-plane.ts';
import type { AutoAdmin } from './auto-admin.ts';
import type { StorageThreads } from './storage-threads.ts';
import type { ReplicaReport } from './control-messages.ts';
import type { ReplicaDigest } from './control-messages.ts';
import { contributorsOf } from './contributors.ts';

export interface AdminEndpointsOptions {
  faultsEnabled: boolean;
}

/** One front-door thread as GET /_monodyne/partitions reports it (thread 0 is the main thread). */
export interface FrontDoorReport {
  thread: number;
  /** Its id in the operating system (the main thread's is the process id), for per-thread CPU. */
  tid: number | null;
  /** Eventually consistent reads it answered from the nodes' B-trees, and those it sent on. */
  localServed: number;
  localPassed: number;
  /** Other front-door threads: requests answered there, and those forwarded to the main thread. */
  answered?: number;
  forwarded?: number;
}

export class AdminEndpoints implements AdminHandler {
  private readonly control: ControlPlane;
  private readonly autoAdmin: AutoAdmin;
  private readonly nodes: StorageThreads;
  private readonly faultsEnabled: boolean;
  private readonly consoleFiles = new ConsoleFiles();
  /** The front-door threads, as the server reports them (set once they run). */
  frontDoors: () => FrontDoorReport[] = () => [];

  constructor(control: ControlPlane, autoAdmin: AutoAdmin, nodes: StorageThreads, options: AdminEndpointsOptions) {
    this.control = control;
    this.autoAdmin = autoAdmin;
    this.nodes = nodes;
    this.faultsEnabled = options.faultsEnabled;
  }

  /** The console's page and its files (src/console/static). */
  staticFile(path: string): StaticFile | undefined {
    return this.consoleFiles.get(path);
  }

  async handleAdmin(request: AdminRequest): Promise<{ status: number; body: string }> {
    if (request.method === 'GET' && request.path === 'partitions') return { status: 200, body: JSON.stringify(await this.partitions()) };
    if (request.method === 'POST' && request.path === 'digests') return this.digests(request.body);
    if (request.method === 'GET' && request.path === 'indexes') return { status: 200, body: JSON.stringify(this.indexes()) };
    if (request.method === 'POST' && request.path === 'indexes/drain') return this.drainIndexes(request.body);
    if (request.method === 'GET' && request.path === 'contributors') return { status: 200, body: JSON.stringify(contributorsOf(this.control).report(this.control.catalog.all())) };
    if (request.method === 'POST' && request.path === 'faults' && this.faultsEnabled) return this.fault(request.body);
    return { status: 404, body: JSON.stringify({ error: `no admin endpoint ${request.method} /_monodyne/${request.path}` }) };
  }

  /** Every table's partitions: hash range, replicas, leader, epoch, map version, follower lag, capacity. */
  private async partitions(): Promise<unknown> {
    const states = new Map<string, ReplicaReport>();
    const reports = await this.control.describeAll();
    const stats = await Promise.all(Array.from({ length: this.nodes.count }, (_, node) => (this.nodes.isAlive(node) ? this.nodes.control(node, { type: 'stats' }).catch(() => null) : null)));
    for (let node = 0; node < reports.length; node++) for (const r of reports[node]) states.set(`${node}:${r.table}:${r.pid}`, r);
    return {
      mapVersion: this.control.map.version,
      faultsEnabled: this.faultsEnabled,
      frontDoors: this.frontDoors(),
      nodes: Array.from({ length: this.nodes.count }, (_, node) => ({
        node,
        zone: node,
        alive: this.nodes.isAlive(node),
        progress: this.nodes.liveness(node).progress,
        // How long work has waited on it without progress, and its disk without a durable batch (now and at most so far).
        ...this.autoAdmin.stillness(node),
        batches: stats[node]?.batches ?? null,
        entries: stats[node]?.entries ?? null,
      })),
      tables: this.control.catalog.all().map((table) => ({
        tableName: table.name,
        tableId: table.tableId,
        partitions: table.partitions.map((p) => {
          const leaderState = states.get(`${p.leader}:${p.table}:${p.pid}`);
          return {
            partition: p.pid,
            hashRange: [p.hashStart, p.hashEnd],
            replicas: p.replicas,
            leader: p.leader,
            epoch: p.epoch,
            mapVersion: p.version,
            items: leaderState?.items ?? null,
            sizeBytes: leaderState?.bytes ?? null,
            capacity: this.control.admission?.stats(table.tableId, p.pid) ?? null,
            logIndex: leaderState?.last ?? null,
            committed: leaderState?.committed ?? null,
            followers: p.replicas
              .filter((w) => w !== p.leader)
              .map((w) => {
                const state = states.get(`${w}:${p.table}:${p.pid}`);
                return { node: w, state: state?.state ?? null, applied: state?.applied ?? null, lag: leaderState && state ? Math.max(0, leaderState.last - state.applied) : null };
              }),
          };
        }),
      })),
      indexes: this.indexes(),
      failovers: this.autoAdmin.history,
      splits: this.autoAdmin.splitsDone,
      splitHistory: this.control.splitHistory,
      work: this.autoAdmin.work.list(),
    };
  }

  /**
   * Every secondary index: its status, where its entries live (a GSI's own table, whose
   * partitions are listed with the tables), and for a GSI its delivery from the table's log (how
   * many changes, the lag of recent writes from acknowledgement to delivery) and its backfill.
   */
  private indexes(): unknown {
    const propagator = this.control.propagator;
    const delivery = new Map((propagator?.report() ?? []).map((r) => [r.table, r]));
    const out: unknown[] = [];
    for (const name of this.control.tableNames()) {
      const table = this.control.getTable(name);
      for (const index of table?.indexes ?? []) {
        const row: Record<string, unknown> = { tableName: name, indexName: index.name, kind: index.kind, status: index.status };
        if (index.kind === 'GSI') {
          row.holderTable = this.control.indexHolder(table!, index.name)?.name ?? null;
          row.propagation = delivery.get(name) ?? null;
          const backfill = propagator?.backfills.get(`${name}/${index.name}`);
          if (backfill !== undefined) row.backfill = { itemsDone: backfill.itemsDone, itemsTotal: backfill.itemsTotal, hashPosition: backfill.hashPosition, state: backfill.state };
        }
        out.push(row);
      }
    }
    return out;
  }

  /**
   * Answers once every write to the table acknowledged before the call is in its global indexes
   * (a test suite's way to wait for them, instead of polling a Query).
   */
  private async drainIndexes(body: Buffer): Promise<{ status: number; body: string }> {
    let table: unknown;
    try {
      table = (JSON.parse(body.toString('utf8') || '{}') as { table?: unknown }).table;
    } catch {
      return { status: 400, body: JSON.stringify({ error: 'the body must be JSON: {"table": name}' }) };
    }
    if (typeof table !== 'string' || this.control.getTable(table) === undefined) return { status: 404, body: JSON.stringify({ error: `no table ${String(table)}` }) };
    await this.control.propagator?.drained(table);
    return { status: 200, body: JSON.stringify({ drained: table }) };
  }

  /**
   * Every replica of a table, node by node, with a hash of its items: replicas of a partition must
   * agree. Each partition's hash range comes along, so a caller can tell which partition a key is in.
   */
  private async digests(body: Buffer): Promise<{ status: number; body: string }> {
    let table: unknown;
    try {
      table = (JSON.parse(body.toString('utf8')) as { table?: unknown }).table;
    } catch {
      return bad('the body must be JSON, e.g. {"table":"Music"}');
    }
    const record = typeof table === 'string' ? this.control.catalog.get(table) : undefined;
    if (record === undefined) return bad('"table" must name a table');
    const replicas: Array<ReplicaDigest & { node: number }> = [];
    await Promise.all(
      Array.from({ length: this.nodes.count }, async (_, node) => {
        if (!this.nodes.isAlive(node)) return;
        const list = await this.nodes.control(node, { type: 'digest', table: record.tableId }).catch(() => [] as ReplicaDigest[]);
        for (const d of list) replicas.push({ ...d, node });
      }),
    );
    replicas.sort((a, b) => a.pid - b.pid || a.node - b.node);
    return ok({ tableName: record.name, partitions: record.partitions.map((p) => ({ partition: p.pid, hashRange: [p.hashStart, p.hashEnd], leader: p.leader, replicas: p.replicas })), digests: replicas });
  }

  private async fault(body: Buffer): Promise<{ status: number; body: string }> {
    let command: { action?: unknown; worker?: unknown; to?: unknown; ms?: unknown; table?: unknown; partition?: unknown };
    try {
      command = JSON.parse(body.toString('utf8')) as typeof command;
    } catch {
      return bad('the body must be JSON, e.g. {"action":"kill","worker":1}');
    }
    const worker = command.worker as number;
    const to = command.to as number;
    const validNode = (n: unknown): n is number => Number.isInteger(n) && (n as number) >= 0 && (n as number) < this.nodes.count;
    switch (command.action) {
      case 'kill':
        if (!validNode(worker)) return bad('"worker" must be a storage node id');
        // The node crashes (it throws out of its loop); the auto-admin learns it from the end of its task.
        await this.nodes.kill(worker);
        return ok({ killed: worker });
      case 'hang':
      case 'hang-in-commit':
        if (!validNode(worker)) return bad('"worker" must be a storage node id');
        this.nodes.board.requestHang(worker, command.action === 'hang-in-commit');
        return ok({ hung: worker });
      case 'resume':
        if (!validNode(worker)) return bad('"worker" must be a storage node id');
        this.nodes.board.resume(worker);
        return ok({ resumed: worker });
      case 'delay':
      case 'drop':
      case 'heal': {
        if (!validNode(to)) return bad('"to" must be the storage node id whose inbound replication is affected');
        const ms = command.ms as number;
        if (command.action === 'delay' && !(Number.isInteger(ms) && ms > 0 && ms <= 60_000)) return bad('"ms" must be an integer from 1 to 60000');
        const fault = command.action === 'delay' ? ms : command.action === 'drop' ? -1 : 0;
        for (let from = 0; from < this.nodes.count; from++) if (from !== to) this.nodes.board.setReplFault(from, to, fault);
        return ok({ [command.action]: to });
      }
      case 'split': {
        // Splits a partition now, whatever its size: for tests and demos of online splits.
        if (typeof command.table !== 'string' || !Number.isInteger(command.partition)) return bad('"table" (a table name) and "partition" (its id) are required');
        return ok({ split: await this.autoAdmin.split(command.table, command.partition as number) });
      }
      case 'snapshot-map':
        this.control.snapshotRouterMap();
        return ok({ snapshot: true });
      case 'rewind-map':
        // The router goes back to the map remembered by snapshot-map: its routes are now stale.
        return ok({ rewound: this.control.rewindRouterMap() });
      default:
        return bad('"action" must be one of kill, hang, hang-in-commit, resume, delay, drop, heal, split, snapshot-map, rewind-map');
    }
  }
}

function ok(result: unknown): { status: number; body: string } {
  return { status: 200, body: JSON.stringify(result) };
}

function bad(message: string): { status: number; body: string } {
  return { status: 400, body: JSON.stringify({ error: message }) };
}
