// One simulated server process: the real control plane, auto-admin and router over simulated
// storage nodes, disks and network. A process crash loses everything not on a disk (and every
// disk loses what it had not synced); a restart builds a new process on what survived, as
// src/server/main.ts does.
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
import { SimStore } from './sim-store.ts';
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
  ready: Promise<void>;

  constructor(scheduler: Scheduler, random: Random, network: SimNetwork, disk: SimCatalogDisk, stores: SimStore[], options: SimServerOptions) {
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
    for (let id = 0; id < options.nodes; id++) {
      const peers = Array.from({ length: options.nodes }, (_, i) => i).filter((i) => i !== id);
      this.nodes.start(id, stores[id], 1, peers);
    }
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
    this.router = new Router(map, this.nodes, admission, { retryWindowMs: 3000, requestTimeoutMs: this.nodes.requestTimeoutMs, refreshMap: () => this.control.refreshFromNodes(), clock: this.clock, writeIdPrefix: `w${generation}.` });
    const control = this.control;
    const autoAdmin = this.autoAdmin;
    this.ready = (async () => {
      await control.refreshFromNodes();
      await control.electAll();
      autoAdmin.start();
    })();
  }

  /** Everything stops at once: timers, nodes, the catalog's pending writes. */
  crash(): SimStore[] {
    this.clock.stopAll();
    this.autoAdmin.stop();
    this.catalog.crash();
    this.nodes.crashProcess();
    return this.nodes.nodes.map((n) => n.store.crash());
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
