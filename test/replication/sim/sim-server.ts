// One simulated server process: the real control plane, auto-admin and router over simulated
// storage nodes, disks and network. A crash loses everything not on a disk: a process crash
// keeps what the disks were given (page cache, committed B-tree writes), a power loss only what
// they had synced (and a part of what followed). A restart builds a new process on what survived,
// as src/server/main.ts does: it first recovers every node's store from its disk, which takes
// simulated time (the process can crash again meanwhile), then starts the control plane.
import { ControlPlane } from '../../../src/control/control-plane.ts';
import { AutoAdmin } from '../../../src/control/auto-admin.ts';
import { Router } from '../../../src/router/router.ts';
import { PartitionMap } from '../../../src/router/partition-map.ts';
import { SimAdmission } from './sim-admission.ts';
import type { AdmissionOptions } from '../../../src/admission/admission.ts';
import { loadDefaults } from '../../../src/server/config.ts';
import { storageNodeSettings } from '../../../src/server/storage-settings.ts';
import { SimNodes } from './sim-nodes.ts';
import type { LogFollower } from '../../../src/storage/log-follower.ts';
import type { NewTable } from '../../../src/control/control-plane.ts';
import { SimDisk, type CrashKind, type DiskCounts } from './sim-disk.ts';
import { SimNetwork } from './sim-network.ts';
import { SimCatalog, type SimCatalogDisk } from './sim-catalog.ts';
import { simClock } from './sim-clock.ts';
import type { Scheduler } from './scheduler.ts';
import type { Random } from './random.ts';

export interface SimServerOptions {
  nodes: number;
  logEntriesMax: number;
  initialPartitions: number;
  /** The control plane's table limit (default: DynamoDB's, in limits.ts). */
  tablesMax?: number;
  /** Storage node settings a scenario changes (the rest come from the default configuration). */
  nodeSettings?: Partial<ReturnType<typeof storageNodeSettings>>;
  /** The log's followers each node runs besides its item store (default: the lagging change log). */
  followers?: () => LogFollower[];
  /** Admission's ceilings (default: none that a scenario reaches). */
  admission?: AdmissionOptions;
}

export class SimServer {
  readonly nodes: SimNodes;
  readonly control: ControlPlane;
  readonly autoAdmin: AutoAdmin;
  readonly router: Router;
  readonly catalog: SimCatalog;
  private readonly clock: ReturnType<typeof simClock>;
  private readonly scheduler: Scheduler;
  private readonly random: Random;
  /** The disks the process started on (a replaced node's new disk is its SimNode's). */
  private readonly disks: SimDisk[];
  private crashed = false;
  /** Every node's store recovered and started (false: the process crashed first, or a recovery failed). */
  readonly recovered: Promise<boolean>;
  /** Still recovering the nodes' stores (the control plane has not started). */
  recovering = true;
  ready: Promise<void>;

  constructor(scheduler: Scheduler, random: Random, network: SimNetwork, disk: SimCatalogDisk, disks: SimDisk[], options: SimServerOptions) {
    this.scheduler = scheduler;
    this.random = random;
    this.disks = disks;
    const config = loadDefaults();
    config.failover.logEntriesMax = options.logEntriesMax;
    const settings = storageNodeSettings(config);
    // Snapshots in small chunks, so a simulated install takes several of them.
    settings.snapshotChunkBytesMax = 2048;
    settings.snapshotChunksPerPump = 2;
    Object.assign(settings, options.nodeSettings);
    this.clock = simClock(scheduler);
    this.catalog = new SimCatalog(disk, scheduler);
    this.nodes = new SimNodes(scheduler, random, network, settings);
    if (options.followers !== undefined) this.nodes.followers = options.followers;
    this.nodes.diskCounts = disks[0]?.counts ?? this.nodes.diskCounts;
    this.recovered = this.recover(options.nodes);
    const map = new PartitionMap();
    const generation = disk.restarts++;
    let ids = 0;
    this.control = new ControlPlane(this.catalog, map, this.nodes, { initialPartitions: options.initialPartitions, clock: this.clock, splitWaitMs: 5000, uniqueId: () => `g${generation}i${ids++}`, tablesMax: options.tablesMax });
    // Throttling on the virtual clock (simulate.ts sets ceilings its load sometimes reaches).
    const admission = new SimAdmission(scheduler, options.admission);
    this.control.attachAdmission(admission);
    this.autoAdmin = new AutoAdmin(this.control, this.catalog, this.nodes, {
      dataDir: '/sim',
      clock: this.clock,
      heartbeatIntervalMs: 100,
      // Scaled to the simulator's faults (hangs of 0.2–1.4 s, disk stalls of 0.1–0.8 s): most
      // hangs are failed over; a stalled disk never is; a hang on a partition short of replicas
      // (one failed over moments before) only past 1.2 s, as the real server does past commitStallMaxMs.
      hungNodeMs: 300,
      commitStallMaxMs: 1200,
      installTimeoutMs: 5000,
      replaceDelayMs: 0,
      publishIntervalMs: 1000,
      handoffTimeoutMs: 2000,
      splits: { enabled: false, sizeBytes: 1e12, unitsPerSecond: 1e12, checkIntervalMs: 1000, sustainedChecks: 5 },
      discardNodeDir: () => {},
    });
    this.router = new Router(map, this.nodes, admission, { retryWindowMs: 3000, requestTimeoutMs: this.nodes.requestTimeoutMs, refreshMap: () => this.recovered.then(() => this.control.refreshFromNodes()), clock: this.clock, writeIdPrefix: `w${generation}.` });
    const control = this.control;
    const autoAdmin = this.autoAdmin;
    const recovered = this.recovered;
    this.ready = (async () => {
      if (!(await recovered)) return;
      await control.refreshFromNodes();
      await control.electAll();
      autoAdmin.start();
    })();
  }

  /**
   * Recovery, as the server starts: the log's start-up scan of every disk (StorageThreads.readLogs),
   * then each node's store opened (its worker's openStore: WalNodeStore.open replays the log
   * after the B-tree's mark), in parallel, each taking time with the log it replays. Nodes start
   * in id order (one that recovered early may checkpoint while the next still replays). A
   * recovery that throws (a damaged log, a broken invariant) stops the start, and fails the run.
   */
  private async recover(count: number): Promise<boolean> {
    const peersOf = (id: number): number[] => Array.from({ length: count }, (_, i) => i).filter((i) => i !== id);
    try {
      await this.scheduler.sleep(0.5 + this.random.next() * 3);
      if (this.crashed) return false;
      for (const disk of this.disks) disk.scan();
      const replayed = this.disks.map((d) => this.scheduler.now + 0.5 + this.random.next() * 3 + d.replayBytes / 16_384);
      for (let id = 0; id < count; id++) {
        await this.scheduler.sleep(Math.max(0, replayed[id] - this.scheduler.now));
        if (this.crashed) return false;
        this.nodes.start(id, this.disks[id], peersOf(id));
      }
      return true;
    } catch (err) {
      this.nodes.diskCounts.recoveryFailures.push(`recovery failed at the restart at ${this.scheduler.now.toFixed(1)} ms: ${(err as Error).stack ?? (err as Error).message}`);
      return false;
    } finally {
      this.recovering = false;
    }
  }

  /** Everything stops at once: timers, nodes, the catalog's pending writes. Returns the disks as the crash left them. */
  crash(kind: CrashKind): SimDisk[] {
    this.crashed = true;
    this.clock.stopAll();
    this.autoAdmin.stop();
    this.catalog.crash();
    this.nodes.crashProcess();
    return this.disks.map((d) => (this.nodes.nodes[d.id]?.disk ?? d).after(kind));
  }
}

/** The simulator's tables: one string hash key `pk`, on demand. */
export function simTable(name: string): NewTable {
  return {
    name,
    region: 'sim',
    keySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
    attributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
    billingMode: 'PAY_PER_REQUEST',
    readCapacityUnits: 0,
    writeCapacityUnits: 0,
  };
}

/** Empty disks for a new server's nodes. */
export function newDisks(scheduler: Scheduler, random: Random, counts: DiskCounts, nodes: number): SimDisk[] {
  return Array.from({ length: nodes }, (_, id) => new SimDisk(scheduler, random, counts, id, 1));
}
