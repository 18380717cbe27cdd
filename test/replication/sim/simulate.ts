// One simulated run, a pure function of its seed: a server of three storage nodes holding
// several partitions of three tables, clients making DynamoDB calls through the real API handlers
// and router as the SDK makes them (sim-workload.ts), throttled by the real admission control,
// and faults: node crashes and hangs, whole-process crashes and restarts (a process crash, or a
// power loss that takes the disks' unsynced writes and can tear the log's last record; some while a
// disk holds received entries unsynced; some crash again while the nodes recover), network partitions, dropped, duplicated and reordered frames,
// stalled disks (long enough for requests to time out), a leader dying after its last entries
// reached only one follower, which had not synced them (a divergent log; sometimes the next leader
// then writes entries that follower never gets, and the process restarts: logs that diverge both
// ways, so a follower refuses entries and truncates), replicas installed from
// snapshots on a slow disk (a crashed node's replacement, a follower that fell behind the trimmed
// log), splits and leader hand-offs. Items and counters are written before the faults start and
// read throughout. At the end the faults stop, the server heals, and the run checks:
//   - every acknowledged write was on the disks of two live voters when it was acknowledged;
//   - what the clients observed (sim-checks.ts): linearizable registers and rows, eventually
//     consistent reads that find every item on the replica's committed prefix, counters updated
//     exactly once per acknowledged request;
//   - the replicas of every partition hold identical items, and on each the test follower of the
//     log (a change log, change-log.ts) has every committed change exactly once and in order;
//   - no storage node stopped on a broken invariant.
import { Scheduler } from './scheduler.ts';
import { Random } from './random.ts';
import { itemsIn, noDiskCounts, type CrashKind, type SimDisk } from './sim-disk.ts';
import { SimNetwork, calmNetwork } from './sim-network.ts';
import { SimCatalogDisk } from './sim-catalog.ts';
import { SimServer, newDisks, simTable, type SimServerOptions } from './sim-server.ts';
import { Workload, rowsTable } from './sim-workload.ts';
import { checkWorkload } from './sim-checks.ts';
import { checkChangeLogs } from './change-log.ts';
import type { SimNode } from './sim-nodes.ts';
import type { AdmissionOptions } from '../../../src/admission/admission.ts';
import { decodeLogEntry } from '../../../src/replication/log-entry.ts';
import { decodeStoredItem } from '../../../src/storage/stored-item.ts';
import { setLogLevel } from '../../../src/server/logger.ts';
import { routeKey } from '../../../src/api/item-key.ts';
import { keyInfoOf } from '../../../src/control/table-record.ts';

const inPartition = (hash32: number, p: { hashStart: number; hashEnd: number }): boolean => hash32 >= p.hashStart && hash32 < p.hashEnd;

export interface SimOptions {
  /** Virtual milliseconds of client traffic under faults. */
  workloadMs: number;
  clients: number;
  /** Registers per hash-key table (each table also holds 2 counters and 8 stable items). */
  keysPerTable: number;
  /** Hash-key tables (the sort-key table rows comes in addition). */
  tables: number;
  logEntriesMax: number;
  /** Print what happens (for replaying a failing seed). */
  verbose: boolean;
}

export const defaultSimOptions: SimOptions = { workloadMs: 12_000, clients: 8, keysPerTable: 6, tables: 2, logEntriesMax: 64, verbose: false };

/**
 * Per-partition ceilings (units per second, one second of burst) that the simulated load
 * reaches now and then (a partition taking several clients' counter updates or batch writes at
 * once): its clients are throttled and back off as the SDK does.
 */
const simAdmission: AdmissionOptions = { burstSeconds: 300, adaptive: true, partitionReadUnitsMax: 150, partitionWriteUnitsMax: 100 };

/** Counts read from every storage node incarnation's stats, when it has them. */
const nodeCounters = ['truncations', 'prevEpochRefusals', 'installs'] as const;

export interface SimResult {
  seed: number;
  ok: boolean;
  failures: string[];
  stats: Record<string, number>;
}

export async function simulate(seed: number, partial: Partial<SimOptions> = {}): Promise<SimResult> {
  const options = { ...defaultSimOptions, ...partial };
  setLogLevel(options.verbose ? 'info' : 'silent');
  const random = new Random(seed);
  const scheduler = new Scheduler();
  const network = new SimNetwork(scheduler, random);
  const disk = new SimCatalogDisk();
  const diskCounts = noDiskCounts();
  const nodeCount = 3;
  const failures: string[] = [];
  const stats: Record<string, number> = {
    writesAcked: 0,
    writesRefused: 0,
    unknown: 0,
    reads: 0,
    casFailed: 0,
    updates: 0,
    deletes: 0,
    queries: 0,
    batchWrites: 0,
    stableReads: 0,
    probes: 0,
    calls: 0,
    throttled: 0,
    throttleRetries: 0,
    resends: 0,
    unprocessedResends: 0,
    nodeCrashes: 0,
    hangs: 0,
    restarts: 0,
    processCrashes: 0,
    powerLosses: 0,
    recoveryCrashes: 0,
    unsyncedRestarts: 0,
    divergentLogs: 0,
    twoWayDivergences: 0,
    splits: 0,
    handoffs: 0,
    partitions: 0,
    lossy: 0,
    stalls: 0,
    longStalls: 0,
    slowInstalls: 0,
    laggingVoters: 0,
  };
  const say = (text: string): void => {
    if (options.verbose) console.log(`[${scheduler.now.toFixed(1)} ms] ${text}`);
  };

  const serverOptions: SimServerOptions = { nodes: nodeCount, logEntriesMax: options.logEntriesMax, initialPartitions: 2, admission: simAdmission };
  // Every server (one per process start) and every storage node incarnation that ran, for the
  // durability checks and the counts.
  const servers: SimServer[] = [];
  const incarnations = new Map<SimNode, SimServer>();
  const crashedAt = new Map<SimNode, number>();
  /** Faults that wait for a node to reach some state look at it after each of its pumps. */
  const pumpWatchers = new Set<(n: SimNode) => void>();
  let server: SimServer;
  const current = (): SimServer => server;
  const workload = new Workload({ scheduler, random, current, stats, failures, crashedAt, incarnations }, Array.from({ length: options.tables }, (_, t) => `tab${t}`), options.keysPerTable);
  const startServer = (disks: SimDisk[]): SimServer => {
    const s = new SimServer(scheduler, random, network, disk, disks, serverOptions);
    servers.push(s);
    for (const n of s.nodes.nodes) incarnations.set(n, s);
    const previous = s.nodes.afterPump;
    s.nodes.afterPump = (n) => {
      incarnations.set(n, s);
      for (const watch of pumpWatchers) watch(n);
      previous(n);
    };
    workload.watch(s);
    return s;
  };
  server = startServer(newDisks(scheduler, random, diskCounts, nodeCount));
  const settle = async <T>(promise: Promise<T>, limitMs = 60_000): Promise<T> => {
    let done = false;
    const watched = promise.finally(() => (done = true));
    watched.catch(() => {});
    const until = scheduler.now + limitMs;
    while (!done && scheduler.now < until) {
      if (scheduler.pending === 0) {
        // Nothing scheduled: only promise callbacks may still settle it.
        await new Promise((resolve) => setImmediate(resolve));
        if (!done && scheduler.pending === 0) break;
        continue;
      }
      await scheduler.run(scheduler.now + 50, () => done);
    }
    if (!done) throw new Error(`simulation stalled at ${scheduler.now} ms`);
    return watched;
  };
  const crashThread = (s: SimServer, node: number): void => {
    crashedAt.set(s.nodes.nodes[node], scheduler.now);
    s.nodes.crashThread(node);
  };
  /** The process dies (its power goes, or only the process) and a new one starts on what its disks kept. */
  const crashAndStart = (): void => {
    const kind: CrashKind = random.chance(0.5) ? 'power' : 'process';
    if (kind === 'power') stats.powerLosses++;
    else stats.processCrashes++;
    say(`the whole process crashes (${kind === 'power' ? 'a power loss' : 'a process crash'}) and restarts`);
    server = startServer(current().crash(kind));
  };
  const restartProcess = async (): Promise<void> => {
    crashAndStart();
    // Sometimes it dies again while it recovers its nodes' stores: recovery must survive its own crash.
    while (random.chance(0.4)) {
      const s = current();
      // At a moment in its recovery, or once a node that recovered first checkpoints what it replayed.
      if (random.chance(0.5)) await scheduler.sleep(random.next() * 6);
      else await checkpointUnderWay(s, 10);
      if (current() !== s || !s.recovering) break;
      stats.recoveryCrashes++;
      say('... during recovery:');
      crashAndStart();
    }
    await server.ready.catch(() => {});
  };

  const clients: Array<Promise<void>> = [];
  try {
    await settle(server.ready);
    for (let t = 0; t < options.tables; t++) await settle(server.control.createTable(simTable(`tab${t}`)));
    await settle(server.control.createTable(rowsTable));
    // The quiet start: the stable items are written, and on every replica's disk, before any fault.
    await settle(workload.writeStable());
    await settle(waitFor(() => converged() && workload.stableEverywhere(), 'the stable items to reach every disk'));
    for (let c = 0; c < options.clients; c++) clients.push(workload.client(c));
    clients.push(workload.replicaProbes());
    await settle(faults(), options.workloadMs * 4);
    // Heal: no more faults; let failovers, repairs and catch-up finish.
    network.faults = calmNetwork;
    network.heal();
    workload.stop = true;
    await settle(Promise.all(clients), 60_000);
    await settle(waitFor(converged, 'the replicas to converge'), 60_000);
    await settle(waitFor(followersCaughtUp, 'every follower of the log to take what its replica applied'), 60_000);
    await settle(workload.finalReads());
  } catch (err) {
    failures.push(`run failed at ${scheduler.now.toFixed(1)} ms: ${(err as Error).stack}`);
  }

  // ---- faults ---------------------------------------------------------------------------

  function quiet(): boolean {
    const s = current();
    return s.nodes.nodes.every((n) => n.alive && n.running) && s.catalog.all().every((t) => t.partitions.every((p) => p.replicas.length === 3));
  }

  /**
   * A node may fail when every partition it holds keeps another voter with everything committed
   * on its disk (a second failure while a partition is being repaired is allowed; losing the last
   * copy of a committed entry is not a fault the replication can survive: with a voter cut off
   * and behind, W = 2 leaves one up-to-date copy). A replica still installing, or a split child
   * whose parent has not reached the split here, is behind whatever its log says.
   */
  function mayFail(node: number): boolean {
    const s = current();
    if (!s.nodes.nodes.every((n) => n.alive && n.running && n.hungUntil <= scheduler.now)) return false;
    return s.catalog.all().every((t) =>
      t.partitions.every((p) => {
        if (!p.replicas.includes(node)) return true;
        if (p.replicas.length < 2) return false;
        const machines = p.replicas.map((r) => ({ r, m: s.nodes.nodes[r].node.replicas.get(`${p.table}:${p.pid}`)?.machine }));
        const committed = Math.max(-1, ...machines.map(({ m }) => m?.committed ?? -1));
        // A replica installing, or a split child waiting for its parent's split, holds nothing yet.
        const holds = (m: (typeof machines)[number]['m']): boolean => m !== undefined && m.state !== 'installing' && m.state !== 'awaitingSplit' && m.durable >= committed;
        return machines.some(({ r, m }) => r !== node && holds(m));
      }),
    );
  }

  async function faults(): Promise<void> {
    const end = scheduler.now + options.workloadMs;
    while (scheduler.now < end) {
      await scheduler.sleep(300 + random.next() * 1200);
      if (scheduler.now >= end) break;
      const s = current();
      // Until one has diverged both ways (or four were tried), every fault is a divergent log:
      // seeds reach truncations and refused entries.
      const dice = stats.twoWayDivergences === 0 && stats.divergentLogs < 4 ? 0.6 : random.next();
      const node = random.int(0, nodeCount - 1);
      if (dice < 0.11) {
        if (!mayFail(node)) continue;
        say(`crash node ${node}`);
        stats.nodeCrashes++;
        const crashed = s.nodes.nodes[node];
        crashThread(s, node);
        if (random.chance(0.5)) slowReplacement(s, node, crashed);
      } else if (dice < 0.2) {
        if (!mayFail(node)) continue;
        const ms = 200 + random.next() * 1200;
        say(`hang node ${node} for ${ms.toFixed(0)} ms`);
        stats.hangs++;
        s.nodes.hang(node, ms);
      } else if (dice < 0.28) {
        const other = (node + random.int(1, nodeCount - 1)) % nodeCount;
        say(`partition ${node} from ${other}`);
        stats.partitions++;
        network.partition(node, other);
        scheduler.after(300 + random.next() * 1500, () => {
          network.healLink(node, other);
          network.healLink(other, node);
        });
      } else if (dice < 0.38) {
        say('lossy network');
        stats.lossy++;
        network.faults = { drop: 0.05, duplicate: 0.05, longDelay: 0.1 };
        scheduler.after(500 + random.next() * 2000, () => (network.faults = calmNetwork));
      } else if (dice < 0.47) {
        if (random.chance(0.3)) {
          // Long enough for requests waiting on it to time out (the router's requestTimeoutMs),
          // on a partition's leader, whose writes and consistent reads then wait.
          const table = random.pick(s.catalog.all());
          const leader = random.pick(table.partitions).leader;
          const ms = 1500 + random.next() * 2000;
          say(`disk of node ${leader} stalls ${ms.toFixed(0)} ms`);
          stats.longStalls++;
          s.nodes.nodes[leader].disk.stallUntil = scheduler.now + ms;
        } else {
          const ms = 100 + random.next() * 700;
          say(`disk of node ${node} stalls ${ms.toFixed(0)} ms`);
          stats.stalls++;
          s.nodes.nodes[node].disk.stallUntil = scheduler.now + ms;
        }
      } else if (dice < 0.53) {
        // While a node's checkpoint is under way, if one starts within a second: its B-tree is
        // ahead of its flushed mark (a process crash keeps that, a power loss rolls it back).
        await checkpointUnderWay(s, 1000);
        if (current() !== s) continue;
        say('whole process crash and restart');
        stats.restarts++;
        await restartProcess();
      } else if (dice < 0.57) {
        // A restart with received but unsynced entries: a follower's disk holds what arrives.
        const ms = 5 + random.next() * 100;
        say(`disk of node ${node} stalls ${ms.toFixed(0)} ms, then the whole process crashes and restarts`);
        s.nodes.nodes[node].disk.stallUntil = scheduler.now + ms;
        await scheduler.sleep(1 + random.next() * Math.min(ms, 20));
        if (current() !== s) continue;
        stats.restarts++;
        stats.unsyncedRestarts++;
        await restartProcess();
      } else if (dice < 0.74) {
        // The most frequent fault: it is what makes logs diverge (truncations, refused entries).
        await divergentLog(s);
      } else if (dice < 0.79) {
        laggingVoter(s);
      } else if (dice < 0.9) {
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

  /** Waits (at most `limitMs`) until some running node of `s` has a checkpoint under way; returns whether one has. */
  async function checkpointUnderWay(s: SimServer, limitMs: number): Promise<boolean> {
    for (const end = scheduler.now + limitMs; scheduler.now < end; await scheduler.sleep(0.25)) {
      if (current() !== s) return false;
      if (s.nodes.nodes.some((n) => n.running && n.store.checkpointUnderWay())) return true;
    }
    return false;
  }

  /**
   * The replacement of a crashed node gets a slow disk while it installs its replicas from
   * snapshots: its chunks' batches wait, and a replica must not answer eventually consistent
   * reads from what is not yet installed (finding N3).
   */
  function slowReplacement(s: SimServer, node: number, crashed: SimNode): void {
    const ms = 100 + random.next() * 500;
    const givenUpAt = scheduler.now + 5000;
    const poll = (): void => {
      if (current() !== s || scheduler.now > givenUpAt) return;
      const replacement = s.nodes.nodes[node];
      if (replacement === crashed) return scheduler.after(2, poll);
      say(`disk of node ${node}'s replacement stalls ${ms.toFixed(0)} ms`);
      stats.slowInstalls++;
      replacement.disk.stallUntil = scheduler.now + ms;
    };
    scheduler.after(2, poll);
  }

  /**
   * A follower cut off from a leader long enough to fall behind its trimmed log; when the link
   * heals it re-installs the leader's partitions from snapshots, and its disk stalls just after
   * the batch holding an install's first chunk (which clears the replica's range) is committed:
   * the later chunks' batches wait behind it. A replica must not answer eventually consistent
   * reads from what is half installed (finding N3).
   */
  function laggingVoter(s: SimServer): void {
    const table = random.pick(s.catalog.all());
    const p = random.pick(table.partitions);
    const y = random.pick(p.replicas.filter((r) => r !== p.leader));
    if (y === undefined) return;
    const cutMs = 3000 + random.next() * 3000;
    const stallMs = 150 + random.next() * 450;
    say(`partition ${p.leader} from ${y} for ${cutMs.toFixed(0)} ms; then ${y}'s disk stalls ${stallMs.toFixed(0)} ms when it starts installing`);
    stats.laggingVoters++;
    network.partition(p.leader, y);
    scheduler.after(cutMs, () => {
      network.healLink(p.leader, y);
      network.healLink(y, p.leader);
      if (current() !== s) return;
      const lagging = s.nodes.nodes[y];
      const watchUntil = scheduler.now + 3000;
      const watch = (n: SimNode): void => {
        if (current() !== s || scheduler.now > watchUntil) return void pumpWatchers.delete(watch);
        if (n !== lagging) return;
        // An install's first chunk was taken in this pump (a voter's log is emptied by it).
        for (const { machine: m } of n.node.replicas.values()) {
          if (m.state !== 'installing' || m.last !== 0) continue;
          say(`node ${y} installs ${m.pid}: its disk stalls ${stallMs.toFixed(0)} ms`);
          stats.slowInstalls++;
          n.disk.stallUntil = scheduler.now + stallMs;
          pumpWatchers.delete(watch);
          return;
        }
      };
      pumpWatchers.add(watch);
    });
  }

  /**
   * A leader's last entries reach one follower only, which has not synced them when the leader
   * dies: its link to follower Z is cut and follower Y's disk stalls at the same moment, writes
   * go on for a few ms, then the leader's thread crashes. Y's received log is longer than Z's,
   * its durable log no longer than Z's: an election by durable position may pick Z, and Y must
   * then truncate what it received.
   */
  async function divergentLog(s: SimServer): Promise<void> {
    const table = random.pick(s.catalog.all());
    const p = random.pick(table.partitions);
    if (p.replicas.length !== 3 || !mayFail(p.leader)) return;
    // Z is the follower an election would prefer on a tie (it leads fewer partitions), so that
    // the one holding the extra entries is usually not elected and must cut them.
    const leads = (n: number): number => s.catalog.all().reduce((sum, t) => sum + t.partitions.filter((q) => q.leader === n).length, 0);
    const followers = p.replicas.filter((r) => r !== p.leader);
    const [y, z] = leads(followers[0]) < leads(followers[1]) || (leads(followers[0]) === leads(followers[1]) && random.chance(0.5)) ? [followers[1], followers[0]] : followers;
    const writesMs = 2 + random.next() * 15;
    say(`divergent log on ${table.name}/${p.pid}: ${p.leader} stops reaching ${z}, ${y}'s disk stalls, ${p.leader} crashes in ${writesMs.toFixed(1)} ms`);
    network.cutLink(p.leader, z);
    // Y's disk is still stalled when the election asks how far each log is durable.
    const yStallEnds = scheduler.now + writesMs + 30 + random.next() * 60;
    s.nodes.nodes[y].disk.stallUntil = yStallEnds;
    // Writes to this partition while the link is cut: the entries only Y receives (none is acknowledged).
    workload.burst(table.name, (key) => inPartition(routeKey(keyInfoOf(table), { pk: { S: key } }).hash32, p), 1 + random.int(0, 4));
    await scheduler.sleep(writesMs);
    scheduler.after(300 + random.next() * 700, () => network.healLink(p.leader, z));
    if (current() !== s || !mayFail(p.leader)) return;
    stats.divergentLogs++;
    // Sometimes Z, once elected, will not reach Y either (the second part, below).
    const twoWay = random.chance(0.7);
    if (twoWay) network.cutLink(z, y);
    crashThread(s, p.leader);
    if (!twoWay) return;
    // Then the logs diverge both ways: Z, elected, appends entries of its own epoch that Y does
    // not receive, and the whole process restarts. Whoever leads next finds a follower whose
    // entry at its probe's previous index is of another epoch, and must back up to where the
    // logs agree (refused entries, then a truncation).
    for (let i = 0; i < 20 && current() === s; i++) {
      const now = s.catalog.get(table.name)?.partitions.find((q) => q.pid === p.pid);
      if (now === undefined || now.epoch > p.epoch) break;
      await scheduler.sleep(10);
    }
    // Healed at the restart below (or soon, if there is none): Y's extra entries reach its disk
    // first, Z's never reach Y, and the next leader's first frames do (a leader that hears nothing
    // from a follower for a while probes it from the last index it knows it holds instead).
    scheduler.after(Math.max(0, yStallEnds - scheduler.now) + 200, () => network.healLink(z, y));
    const elected = s.catalog.get(table.name)?.partitions.find((q) => q.pid === p.pid);
    if (current() !== s || elected === undefined || elected.leader !== z) return;
    say(`divergent log, second part: ${z} leads ${table.name}/${p.pid} in epoch ${elected.epoch} without reaching ${y}; writes; the process restarts`);
    workload.burst(table.name, (key) => inPartition(routeKey(keyInfoOf(table), { pk: { S: key } }).hash32, p), 1 + random.int(0, 4));
    await scheduler.sleep(Math.max(0, yStallEnds - scheduler.now) + 5 + random.next() * 20);
    if (current() !== s) return;
    stats.twoWayDivergences++;
    stats.restarts++;
    network.healLink(z, y);
    await restartProcess();
  }

  // ---- convergence ----------------------------------------------------------------------

  async function waitFor(condition: () => boolean, what: string): Promise<void> {
    for (let i = 0; i < 600; i++) {
      if (condition()) return;
      await scheduler.sleep(100);
    }
    failures.push(`timed out waiting for ${what}: ${describe()}`);
  }

  /**
   * Every follower of the log on every replica has taken everything the replica applied, its
   * store holds what its machine applied, and no request is on its way to a node (a write the
   * router still resends would be applied after the check, and its followers would not have
   * taken it: seed 5 with binary log entries).
   */
  function followersCaughtUp(): boolean {
    const s = current();
    return (
      converged() &&
      s.nodes.nodes.every(
        (n) => s.nodes.inFlight(n.id) === 0 && [...n.node.replicas.values()].every((slot) => slot.appliedTo === slot.machine.applied && n.followers.every((f) => slot.positions[f.name] === slot.appliedTo)),
      )
    );
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
    // And on the disks: a replica's applied index can run ahead of its store while its batch
    // waits behind the one being synced (an install's chunks on a slow disk, finding N3). A pump
    // commits what it sealed unless a batch is on its way to the disk, so none may be.
    return s.nodes.nodes.every((n) => !n.node.awaitsDisk() && [...n.node.replicas.values()].every(({ machine: m }) => m.durable >= m.last));
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
  // An invariant broken anywhere (a control handler that threw stops its node) fails the run.
  for (const s of servers) for (const err of s.nodes.errors) failures.push(`a storage node stopped on an error: ${err.stack ?? err.message}`);
  // A recovery that fails comes first: what the checks see of that node's disk after it is moot.
  failures.unshift(...diskCounts.recoveryFailures.slice(0, 3));
  failures.push(...checkWorkload(workload));
  if (failures.length === 0) {
    const s = current();
    // The test follower of the log (a change log per partition): every committed change exactly
    // once and in order on every replica, across every fault, its replay equal to the items.
    for (const table of s.catalog.all()) {
      for (const p of table.partitions) {
        for (const r of p.replicas) {
          const problems = checkChangeLogs(s.nodes.nodes[r].store, table.tableId, p.hashStart, p.hashEnd);
          if (problems.length > 0) failures.push(`the change log of ${table.name}/${p.pid} on node ${r}: ${problems.slice(0, 3).join('; ')}`);
        }
      }
    }
    for (const table of s.catalog.all()) {
      for (const p of table.partitions) {
        const items = p.replicas.map((r) => itemsIn(s.nodes.nodes[r].store, table.tableId, p.hashStart, p.hashEnd));
        const differing = new Set<string>();
        for (const a of items) for (const [key, value] of a) if (items.some((b) => b.get(key) !== value)) differing.add(key);
        if (differing.size > 0) {
          const shown = [...differing].slice(0, 3).map((key) => `${Buffer.from(key, 'hex').subarray(4).toString('latin1').replace(/[^ -~]/g, '.')}: ${p.replicas.map((r, i) => `node ${r} ${items[i].has(key) ? describeItem(items[i].get(key)!) : 'absent'}`).join(', ')}`);
          failures.push(`replicas of ${table.name}/${p.pid} differ on ${differing.size} items (${shown.join('; ')})`);
        }
      }
    }
  }

  // ---- counts ---------------------------------------------------------------------------
  for (const s of servers) {
    stats.timeouts = (stats.timeouts ?? 0) + s.nodes.timeouts;
    stats.fencedRunning = (stats.fencedRunning ?? 0) + s.nodes.fencedRunning;
  }
  stats.framesFromFenced = network.framesFromFenced;
  for (const name of nodeCounters) {
    let total: number | undefined;
    for (const n of incarnations.keys()) {
      const v = (n.node.stats as unknown as Record<string, number | undefined>)[name];
      if (v !== undefined) total = (total ?? 0) + v;
    }
    // Absent until StorageNode.stats has it (so the counts say "not counted" rather than 0).
    if (total !== undefined) stats[name] = total;
  }
  stats.tornTails = diskCounts.tornTails;
  stats.checkpointsRolledBack = diskCounts.checkpointsRolledBack;
  stats.treesAhead = diskCounts.treesAhead;
  stats.steps = scheduler.steps;
  stats.virtualMs = Math.round(scheduler.now);
  stats.frames = network.framesSent;
  return { seed, ok: failures.length === 0, failures, stats };
}

/** A stored item's v attribute (or its size), for failure messages. */
function describeItem(hex: string): string {
  const item = decodeStoredItem(Buffer.from(hex, 'hex'));
  const v = item.v as { S?: string } | undefined;
  return v?.S !== undefined ? `v=${v.S}` : `${hex.length / 2} bytes`;
}

export { decodeLogEntry };
