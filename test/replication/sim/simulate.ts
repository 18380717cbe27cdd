// One simulated run, a pure function of its seed: a server of three storage nodes holding
// several partitions, clients writing, conditionally writing and reading registers, and faults
// (node crashes and hangs, whole-process crashes and restarts, network partitions, dropped,
// duplicated and reordered frames, stalled disks, splits, leader hand-offs). At the end the
// faults stop, the server heals, and the run checks:
//   - every acknowledged write was on the disks of two nodes when it was acknowledged;
//   - consistent reads, writes and conditional writes form a linearizable history per key;
//   - eventually consistent reads only return values some write was asked to write;
//   - the replicas of every partition hold identical items.
import { Scheduler } from './scheduler.ts';
import { Random } from './random.ts';
import { SimStore } from './sim-store.ts';
import { SimNetwork, calmNetwork } from './sim-network.ts';
import { SimCatalogDisk } from './sim-catalog.ts';
import { SimServer, simTable } from './sim-server.ts';
import { checkRegister, type HistoryEntry } from '../../helpers/linearizability.ts';
import { routeKey } from '../../../src/api/item-key.ts';
import { keyInfoOf, type TableRecord } from '../../../src/control/table-record.ts';
import { Op, ReturnValues, WriteKind, type GetRequest, type WriteRequest } from '../../../src/storage/messages.ts';
import { itemSizeBytes } from '../../../src/validation/attribute-values.ts';
import { DynamoError } from '../../../src/protocol/errors.ts';
import { decodeLogEntry } from '../../../src/replication/log-entry.ts';
import { setLogLevel } from '../../../src/server/logger.ts';
import type { Item } from '../../../src/values/types.ts';

export interface SimOptions {
  /** Virtual milliseconds of client traffic under faults. */
  workloadMs: number;
  clients: number;
  keysPerTable: number;
  tables: number;
  logEntriesMax: number;
  /** Print what happens (for replaying a failing seed). */
  verbose: boolean;
}

export const defaultSimOptions: SimOptions = { workloadMs: 12_000, clients: 8, keysPerTable: 6, tables: 2, logEntriesMax: 64, verbose: false };

export interface SimResult {
  seed: number;
  ok: boolean;
  failures: string[];
  stats: Record<string, number>;
}

interface KeyRef {
  table: TableRecord;
  name: string;
  key: string;
}

export async function simulate(seed: number, partial: Partial<SimOptions> = {}): Promise<SimResult> {
  const options = { ...defaultSimOptions, ...partial };
  setLogLevel(options.verbose ? 'info' : 'silent');
  const random = new Random(seed);
  const scheduler = new Scheduler();
  const network = new SimNetwork(scheduler, random);
  const disk = new SimCatalogDisk();
  const nodeCount = 3;
  const failures: string[] = [];
  const stats: Record<string, number> = { writesAcked: 0, writesRefused: 0, unknown: 0, reads: 0, casFailed: 0, nodeCrashes: 0, hangs: 0, processCrashes: 0, splits: 0, handoffs: 0, partitions: 0, stalls: 0 };
  const say = (text: string): void => {
    if (options.verbose) console.log(`[${scheduler.now.toFixed(1)} ms] ${text}`);
  };

  let server = new SimServer(scheduler, random, network, disk, Array.from({ length: nodeCount }, () => new SimStore(scheduler, random)), { nodes: nodeCount, logEntriesMax: options.logEntriesMax, initialPartitions: 2 });
  const settle = async <T>(promise: Promise<T>, limitMs = 60_000): Promise<T> => {
    let done = false;
    const watched = promise.finally(() => (done = true));
    const until = scheduler.now + limitMs;
    while (!done && scheduler.now < until && scheduler.pending > 0) await scheduler.run(scheduler.now + 50, () => done);
    if (!done) throw new Error(`simulation stalled at ${scheduler.now} ms`);
    return watched;
  };

  // An invariant broken inside a node stops the run: that is a failure the seed reproduces.
  const guard = (fn: () => void): void => {
    try {
      fn();
    } catch (err) {
      failures.push(`exception at ${scheduler.now.toFixed(1)} ms: ${(err as Error).stack}`);
      throw err;
    }
  };
  void guard;

  await settle(server.ready);
  const tables: TableRecord[] = [];
  for (let t = 0; t < options.tables; t++) {
    tables.push(await settle(server.control.createTable(simTable(`t${t}`))));
  }
  const keys: KeyRef[] = [];
  for (const table of tables) for (let k = 0; k < options.keysPerTable; k++) keys.push({ table, name: table.name, key: `k${k}` });

  // ---- clients --------------------------------------------------------------------------
  const histories = new Map<string, HistoryEntry[]>();
  const written = new Map<string, Set<string>>();
  const eventualReads: Array<{ key: string; value: string | null; completedAt: number }> = [];
  const writeInvokedAt = new Map<string, number>();
  let nextProcess = 0;
  let valueCounter = 0;
  let stopClients = false;
  const history = (ref: KeyRef): HistoryEntry[] => {
    const id = `${ref.name}/${ref.key}`;
    let h = histories.get(id);
    if (h === undefined) histories.set(id, (h = []));
    return h;
  };

  const current = (): SimServer => server;
  const tableNow = (ref: KeyRef): TableRecord => current().catalog.get(ref.name) ?? ref.table;

  async function writeOp(ref: KeyRef, value: string, expected: string | null | undefined): Promise<'ok' | 'fail' | 'refused'> {
    const table = tableNow(ref);
    const item: Item = { pk: { S: ref.key }, v: { S: value } };
    const routed = routeKey(keyInfoOf(table), item);
    const req: WriteRequest = {
      id: 0,
      op: Op.Write,
      t: table.tableId,
      p: 0,
      v: 0,
      k: routed.storageKey,
      w: WriteKind.Put,
      item,
      sz: itemSizeBytes(item),
      key: null,
      x:
        expected === undefined
          ? null
          : expected === null
            ? { ConditionExpression: 'attribute_not_exists(#v)', ExpressionAttributeNames: { '#v': 'v' } }
            : { ConditionExpression: '#v = :e', ExpressionAttributeNames: { '#v': 'v' }, ExpressionAttributeValues: { ':e': { S: expected } } },
      rv: ReturnValues.NONE,
      rvf: false,
    };
    const server = current();
    try {
      await server.router.sendByHash(table.tableId, routed.hash32, req, true);
    } catch (err) {
      if (err instanceof DynamoError && err.kind.name === 'ConditionalCheckFailedException') return 'fail';
      if (err instanceof DynamoError && err.kind.name === 'ServiceUnavailable') return 'refused';
      throw err;
    }
    checkDurable(server, table.tableId, routed.hash32, req.wid!, routed.storageKey, value);
    return 'ok';
  }

  async function readOp(ref: KeyRef, consistent: boolean): Promise<string | null> {
    const table = tableNow(ref);
    const routed = routeKey(keyInfoOf(table), { pk: { S: ref.key } });
    const req: GetRequest = { id: 0, op: Op.Get, t: table.tableId, p: 0, v: 0, k: routed.storageKey, c: consistent };
    const res = await current().router.sendByHash(table.tableId, routed.hash32, req, consistent);
    if (res.item === null || res.item === undefined) return null;
    return ((JSON.parse(res.item) as Item).v as { S?: string }).S ?? null;
  }

  /**
   * The acknowledged write (by its write id in a log, or its value in the data) is on the disks
   * of two of its partition's voters: the copies the next election considers (a learner's does
   * not count, finding F2).
   */
  function checkDurable(server: SimServer, tableId: string, hash32: number, wid: string, key: Uint8Array, value: string): void {
    const voters = new Set<number>();
    for (const t of server.catalog.all()) if (t.tableId === tableId) for (const p of t.partitions) if (hash32 >= p.hashStart && hash32 < p.hashEnd) for (const r of p.replicas) voters.add(r);
    let copies = 0;
    const keyHex = Buffer.from(key).toString('hex');
    for (const n of server.nodes.nodes) {
      if (!voters.has(n.id)) continue;
      if (n.store.durableHasWrite(tableId, wid) || n.store.durableItemHas(tableId, keyHex, value)) copies++;
    }
    if (copies < 2) failures.push(`write ${wid} (${value}) acknowledged at ${scheduler.now.toFixed(1)} ms with ${copies} durable copies on voters ${[...voters]}`);
  }

  async function client(c: number): Promise<void> {
    let proc = nextProcess++;
    const lastSeen = new Map<string, string | null>();
    while (!stopClients) {
      const ref = random.pick(keys);
      const id = `${ref.name}/${ref.key}`;
      const dice = random.next();
      const invokedAt = scheduler.now;
      const kind = dice < 0.35 ? 'write' : dice < 0.55 ? 'cas' : dice < 0.85 ? 'read' : 'eventual';
      const value = `c${c}v${valueCounter++}`;
      const expected = lastSeen.has(id) ? lastSeen.get(id)! : null;
      if (kind === 'write' || kind === 'cas') {
        (written.get(id) ?? written.set(id, new Set()).get(id)!).add(value);
        writeInvokedAt.set(value, invokedAt);
      }
      try {
        if (kind === 'write') {
          const outcome = await writeOp(ref, value, undefined);
          if (outcome === 'ok') {
            stats.writesAcked++;
            history(ref).push({ process: proc, invokedAt, completedAt: scheduler.now, op: { kind: 'write', value } });
            lastSeen.set(id, value);
          } else stats.writesRefused++;
        } else if (kind === 'cas') {
          const outcome = await writeOp(ref, value, expected);
          if (outcome === 'refused') stats.writesRefused++;
          else {
            if (outcome === 'fail') stats.casFailed++;
            else stats.writesAcked++;
            history(ref).push({ process: proc, invokedAt, completedAt: scheduler.now, op: { kind: 'cas', expected, value, result: outcome } });
            if (outcome === 'ok') lastSeen.set(id, value);
          }
        } else if (kind === 'read') {
          const read = await readOp(ref, true);
          stats.reads++;
          history(ref).push({ process: proc, invokedAt, completedAt: scheduler.now, op: { kind: 'read', result: read } });
          lastSeen.set(id, read);
        } else {
          const read = await readOp(ref, false);
          stats.reads++;
          eventualReads.push({ key: id, value: read, completedAt: scheduler.now });
        }
      } catch (err) {
        if (!(err instanceof DynamoError) || err.kind.name !== 'InternalServerError') {
          failures.push(`client ${c}: unexpected ${(err as Error).stack}`);
          return;
        }
        // Unknown outcome: the write may land at any later time; this process is done with it.
        stats.unknown++;
        if (kind === 'write' || kind === 'cas') {
          history(ref).push({ process: proc, invokedAt, completedAt: Infinity, op: kind === 'write' ? { kind: 'write', value } : { kind: 'cas', expected, value, result: 'unknown' } });
          proc = nextProcess++;
        }
        lastSeen.delete(id);
      }
      await scheduler.sleep(random.next() * 20);
    }
  }

  // ---- faults ---------------------------------------------------------------------------
  const quiet = (): boolean => {
    const s = current();
    return s.nodes.nodes.every((n) => n.alive && n.running) && s.catalog.all().every((t) => t.partitions.every((p) => p.replicas.length === 3));
  };
  /**
   * A node may fail when every partition it holds keeps a voter with everything committed: it
   * has at least one other voter (a second failure while a partition is being repaired is
   * allowed; losing the last copy is not a fault the replication can survive).
   */
  const mayFail = (node: number): boolean => {
    const s = current();
    if (!s.nodes.nodes.every((n) => n.alive && n.running && n.hungUntil <= scheduler.now)) return false;
    return s.catalog.all().every((t) => t.partitions.every((p) => !p.replicas.includes(node) || p.replicas.length >= 2));
  };

  async function faults(): Promise<void> {
    const end = scheduler.now + options.workloadMs;
    while (scheduler.now < end) {
      await scheduler.sleep(300 + random.next() * 1200);
      if (scheduler.now >= end) break;
      const s = current();
      const dice = random.next();
      const node = random.int(0, nodeCount - 1);
      if (dice < 0.14) {
        if (!mayFail(node)) continue;
        say(`crash node ${node}`);
        stats.nodeCrashes++;
        s.nodes.crashThread(node);
      } else if (dice < 0.24) {
        if (!mayFail(node)) continue;
        const ms = 200 + random.next() * 1200;
        say(`hang node ${node} for ${ms.toFixed(0)} ms`);
        stats.hangs++;
        s.nodes.hang(node, ms);
      } else if (dice < 0.34) {
        const other = (node + random.int(1, nodeCount - 1)) % nodeCount;
        say(`partition ${node} from ${other}`);
        stats.partitions++;
        network.partition(node, other);
        scheduler.after(300 + random.next() * 1500, () => network.heal());
      } else if (dice < 0.46) {
        say('lossy network');
        network.faults = { drop: 0.05, duplicate: 0.05, longDelay: 0.1 };
        scheduler.after(500 + random.next() * 2000, () => (network.faults = calmNetwork));
      } else if (dice < 0.54) {
        const ms = 100 + random.next() * 700;
        say(`disk of node ${node} stalls ${ms.toFixed(0)} ms`);
        stats.stalls++;
        s.nodes.nodes[node].store.stallUntil = scheduler.now + ms;
      } else if (dice < 0.62) {
        say('whole process crash and restart');
        stats.processCrashes++;
        const stores = s.crash();
        server = new SimServer(scheduler, random, network, disk, stores, { nodes: nodeCount, logEntriesMax: options.logEntriesMax, initialPartitions: 2 });
        await server.ready.catch(() => {});
      } else if (dice < 0.8) {
        const table = random.pick(s.catalog.all());
        const p = random.pick(table.partitions);
        if (table.partitions.length >= 6) continue;
        say(`split ${table.name}/${p.pid}`);
        if (await s.autoAdmin.split(table.name, p.pid).catch(() => false)) stats.splits++;
      } else {
        const table = random.pick(s.catalog.all());
        const p = random.pick(table.partitions);
        const target = random.pick(p.replicas.filter((r) => r !== p.leader));
        if (target === undefined) continue;
        say(`hand ${table.name}/${p.pid} from ${p.leader} to ${target}`);
        if (await s.autoAdmin.transferLeadership(table.name, p.pid, target).catch(() => false)) stats.handoffs++;
      }
    }
  }

  const clients = Array.from({ length: options.clients }, (_, c) => client(c));
  try {
    await settle(faults(), options.workloadMs * 4);
    // Heal: no more faults; let failovers, repairs and catch-up finish.
    network.faults = calmNetwork;
    network.heal();
    stopClients = true;
    await settle(Promise.all(clients), 60_000);
    await settle(waitForConvergence(), 60_000);
    // Final consistent reads of every key close each register's history.
    for (const ref of keys) {
      const invokedAt = scheduler.now;
      const value = await settle(readOp(ref, true));
      history(ref).push({ process: nextProcess++, invokedAt, completedAt: scheduler.now, op: { kind: 'read', result: value } });
    }
  } catch (err) {
    failures.push(`run failed at ${scheduler.now.toFixed(1)} ms: ${(err as Error).stack}`);
  }

  async function waitForConvergence(): Promise<void> {
    for (let i = 0; i < 600; i++) {
      if (converged()) return;
      await scheduler.sleep(100);
    }
    failures.push(`replicas did not converge: ${describe()}`);
  }

  function converged(): boolean {
    const s = current();
    if (!quiet()) return false;
    for (const table of s.catalog.all()) {
      for (const p of table.partitions) {
        const leader = s.nodes.nodes[p.leader].node.replicas.get(`${p.table}:${p.pid}`)?.machine;
        if (leader === undefined || !leader.isLeader() || leader.committed !== leader.last || leader.applied !== leader.last) return false;
        for (const r of p.replicas) {
          const m = s.nodes.nodes[r].node.replicas.get(`${p.table}:${p.pid}`)?.machine;
          if (m === undefined || m.applied !== leader.applied) return false;
        }
      }
    }
    return true;
  }

  function describe(): string {
    const s = current();
    const held = s.nodes.nodes.map((n) => `node ${n.id}: ` + [...n.node.replicas.values()].map(({ machine: m }) => `${m.table.split('.')[0]}/${m.pid} ${m.state} l${m.leader} e${m.epoch} ${m.last}/${m.committed}/${m.applied}`).join(', '));
    return held.join('\n') + '\n' + JSON.stringify(
      s.catalog.all().map((t) =>
        t.partitions.map((p) => ({
          pid: p.pid,
          leader: p.leader,
          replicas: p.replicas,
          epoch: p.epoch,
          states: p.replicas.map((r) => {
            const m = s.nodes.nodes[r].node.replicas.get(`${p.table}:${p.pid}`)?.machine;
            return m === undefined ? null : { node: r, state: m.state, leader: m.leader, epoch: m.epoch, last: m.last, committed: m.committed, applied: m.applied };
          }),
        })),
      ),
    );
  }

  // ---- checks ---------------------------------------------------------------------------
  for (const [id, entries] of histories) {
    try {
      const result = checkRegister(entries, null);
      if (!result.linearizable) failures.push(`history of ${id} is not linearizable:\n${entries.map((e) => JSON.stringify(e)).join('\n')}`);
    } catch (err) {
      failures.push(`history of ${id}: ${(err as Error).message}`);
    }
  }
  for (const r of eventualReads) {
    if (r.value === null) continue;
    if (!written.get(r.key)?.has(r.value) || (writeInvokedAt.get(r.value) ?? Infinity) > r.completedAt) failures.push(`eventually consistent read of ${r.key} returned ${r.value}, which no write had been asked for`);
  }
  if (failures.length === 0) {
    const s = current();
    for (const table of s.catalog.all()) {
      for (const p of table.partitions) {
        const sets = p.replicas.map((r) => [...s.nodes.nodes[r].store.itemsIn(table.tableId, p.hashStart, p.hashEnd)].sort().join(';'));
        if (sets.some((x) => x !== sets[0])) failures.push(`replicas of ${table.name}/${p.pid} differ`);
      }
    }
  }
  stats.steps = scheduler.steps;
  stats.virtualMs = Math.round(scheduler.now);
  stats.frames = network.framesSent;
  return { seed, ok: failures.length === 0, failures, stats };
}

export { decodeLogEntry };
