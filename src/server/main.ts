// Starts monodyne: the data directory's lock, the catalog and partition map, the storage nodes
// (worker threads), the router and the HTTP front door; and stops them in reverse order,
// draining requests first.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ConfigError, frontDoorThreadsOf, type Config } from './config.ts';
import type { DynamoError } from '../protocol/errors.ts';
import { DataDirLock } from './data-dir-lock.ts';
import { listenProblem } from './listen-problem.ts';
import { LmdbCatalog, nodeDir } from '../control/catalog.ts';
import { ControlPlane } from '../control/control-plane.ts';
import { PartitionMap } from '../router/partition-map.ts';
import { StorageThreads } from '../control/storage-threads.ts';
import { RequestTransport } from '../router/request-transport.ts';
import { Router } from '../router/router.ts';
import { FrontDoorLoad, LocalReads } from '../router/local-reads.ts';
import { Dispatcher } from '../api/dispatcher.ts';
import { FrontDoor, claimPort } from '../protocol/front-door.ts';
import { DoorCounters } from '../protocol/door-counters.ts';
import { DoorThreads } from '../protocol/door-threads.ts';
import type { DoorThreadCounts } from '../protocol/door-counts.ts';
import { DoorStatePublisher } from '../control/door-state-publisher.ts';
import { AutoAdmin } from '../control/auto-admin.ts';
import { Propagator } from '../indexes/propagator.ts';
import { LmdbLedger } from '../transactions/ledger.ts';
import { TransactionCoordinator } from '../transactions/coordinator.ts';
import { TtlSweeper } from '../ttl/sweeper.ts';
import { StreamStore } from '../streams/stream-store.ts';
import { StreamCollector } from '../streams/collector.ts';
import { Admission, onDemandInitialPartitions } from '../admission/admission.ts';
import { AdminEndpoints } from '../control/admin-endpoints.ts';
import { prepareSecurity } from '../security/startup.ts';
import { realClock } from '../control/clock.ts';
import { storageNodeSettings, storeSettings } from './storage-settings.ts';
import { log, setLogLevel } from './logger.ts';

export interface RunningServer {
  port: number;
  /** `http://127.0.0.1:8000`: what a DynamoDB client takes as its endpoint. */
  endpoint: string;
  /** The data directory in use (with storage.ephemeral, the temporary one). */
  dataDir: string;
  /** Drains requests, stops the storage nodes, releases the data directory (and removes an ephemeral one). */
  close(): Promise<void>;
  /** Delivers writes to global secondary indexes: `drained(table)` waits until they are all there (tests, embedders). */
  propagator: Propagator;
  /** Runs transactions; `unfinished()` lists those its ledger still holds (tests). */
  transactions: TransactionCoordinator;
  /** Deletes expired items; `sweepNow()` runs a sweep at once (tests). */
  ttl: TtlSweeper;
  /** Takes the tables' changes into their streams; `collectAll()` runs a pass at once (tests). */
  streams: StreamCollector;
  /** Eventually consistent reads answered from the nodes' B-trees on the front door's thread, and those sent to the nodes (null: storage.localReads off). */
  localReads: LocalReadCounts | null;
  /** Threads accepting connections on the port: the main thread and the others (server.frontDoorThreads). */
  frontDoorThreads: number;
  /** Settles once every other front-door thread listens (or could not: it is logged); until then the main thread serves alone. */
  frontDoorsJoined: Promise<void>;
  /** What each front-door thread besides the main thread did so far (tests, operators). */
  frontDoorCounts(): DoorThreadCounts[];
}

export interface LocalReadCounts {
  readonly served: number;
  readonly passed: number;
}

export async function startServer(config: Config): Promise<RunningServer> {
  setLogLevel(config.log.level);
  const ephemeral = config.storage.ephemeral;
  const dataDir = ephemeral ? mkdtempSync(join(tmpdir(), 'monodyne-')) : resolve(config.storage.dataDir);
  mkdirSync(dataDir, { recursive: true });
  const lock = await acquireLock(dataDir, ephemeral);
  // A program that exits without close() (a test runner's last worker) leaves no temporary directory.
  const removeEphemeral = () => rmSync(dataDir, { recursive: true, force: true });
  if (ephemeral) process.on('exit', removeEphemeral);
  const release = () => {
    lock.release();
    if (!ephemeral) return;
    process.removeListener('exit', removeEphemeral);
    removeEphemeral();
  };
  // What has started so far, stopped in reverse order if a later step fails.
  const undo: Array<() => unknown> = [];
  try {
    return await startIn(config, dataDir, undo, release);
  } catch (err) {
    for (const step of undo.reverse()) {
      try {
        await step();
      } catch {
        // Keep undoing: the start-up error is the one to report.
      }
    }
    release();
    throw err;
  }
}

async function acquireLock(dataDir: string, ephemeral: boolean): Promise<DataDirLock> {
  try {
    return await DataDirLock.acquire(dataDir);
  } catch (err) {
    if (ephemeral) rmSync(dataDir, { recursive: true, force: true });
    throw err;
  }
}

async function startIn(config: Config, dataDir: string, undo: Array<() => unknown>, release: () => void): Promise<RunningServer> {
  // An ephemeral server's data goes when it stops anyway: no warning for it.
  if (!config.storage.sync && !config.storage.ephemeral) log.warn('storage.sync is off: acknowledged writes are not fsynced and can be lost in a machine crash');

  // Refuses an unsafe start (public credentials on a network address, bad TLS files, wrong key).
  const security = prepareSecurity(config, dataDir);
  // The other front-door threads load their code while the rest starts; they join the port last.
  const otherDoors = frontDoorThreadsOf(config) - 1;
  const counters = new DoorCounters();
  const doorStateSeq = new SharedArrayBuffer(4);
  const doors = otherDoors > 0 ? DoorThreads.spawn({ count: otherDoors, config, encryptionKey: security.encryptionKey, operations: [...(security.frontDoor.operations ?? [])], counters: counters.sab, stateSeq: doorStateSeq }) : null;
  undo.push(() => doors?.close());
  const catalog = LmdbCatalog.open(`${dataDir}/catalog`, config.storage.sync, security.encryptionKey);
  undo.push(() => catalog.close());
  const transport = new RequestTransport(config.storage.workers, config.storage.requestTimeoutMs);
  undo.push(() => transport.stop());
  const nodes = await StorageThreads.start(
    {
      workers: config.storage.workers,
      sync: config.storage.sync,
      mapSizeBytes: config.storage.mapSizeBytes,
      ringCapacityBytes: config.rings.capacityBytes,
      heartbeatIntervalMs: config.failover.heartbeatIntervalMs,
      faults: config.faults.enabled,
      logLevel: config.log.level,
      encryptionKey: security.encryptionKey,
      node: storageNodeSettings(config),
      walDir: join(dataDir, 'wal'),
      walPerNode: config.storage.walPerNode,
      walSegmentBytes: config.storage.walSegmentBytes,
      store: storeSettings(config),
      // The crash-image test's trace (src/storage/crash-trace.ts): only where faults may be injected.
      crashTraceDir: config.faults.enabled ? process.env.MONODYNE_CRASH_TRACE : undefined,
      // The process-kill test's certain kill during recovery (src/storage/fault-injection.ts).
      recoveryPauseRecords: config.faults.enabled ? recoveryPauseRecords(process.env.MONODYNE_RECOVERY_PAUSE) : undefined,
      localReads: config.storage.localReads,
    },
    transport,
    Array.from({ length: config.storage.workers }, (_, id) => ({ dir: nodeDir(dataDir, catalog.nodeGenerations, id), generation: catalog.nodeGenerations[id] ?? 0 })),
  );
  undo.push(() => nodes.stop());
  const map = new PartitionMap();
  const control = new ControlPlane(catalog, map, nodes, { initialPartitions: config.tables.initialPartitions, onDemandInitialPartitions: onDemandInitialPartitions(config.tables.initialPartitions, config.capacity), clock: realClock, splitWaitMs: config.failover.installTimeoutMs, globalSecondaryIndexesMax: config.tables.globalSecondaryIndexesMax, tagsPageSize: config.tables.tagsPageSize });
  const admission = new Admission(config.capacity);
  control.attachAdmission(admission);
  const autoAdmin = new AutoAdmin(control, catalog, nodes, {
    dataDir,
    clock: realClock,
    heartbeatIntervalMs: config.failover.heartbeatIntervalMs,
    hungNodeMs: config.failover.hungNodeMs,
    commitStallMaxMs: config.failover.commitStallMaxMs,
    installTimeoutMs: config.failover.installTimeoutMs,
    replaceDelayMs: config.failover.replaceDelayMs,
    publishIntervalMs: config.partitionMap.publishIntervalMs,
    handoffTimeoutMs: config.failover.handoffTimeoutMs,
    splits: config.splits,
    discardNodeDir: (dir) => rmSync(dir, { recursive: true, force: true }),
  });
  // The nodes are the authority on what they hold (a split or failover the catalog missed before
  // a crash); then every partition gets a leader in a new epoch before anything is served. With
  // no table in the catalog there is nothing to reconcile (a fresh server, a test suite's).
  if (catalog.all().length > 0) {
    await control.refreshFromNodes();
    await control.electAll();
  }
  autoAdmin.start();
  undo.push(() => autoAdmin.stop());
  // Stepping aside pays only while the one front-door thread is the limit and the storage threads
  // have CPU to spare; with other front-door threads the cores are the limit, and a read answered
  // here costs less in all than one handed to a storage thread (README: The threads).
  const frontDoorLoad = new FrontDoorLoad(otherDoors > 0 ? 1 : config.storage.localReadsBusyPercentMax / 100);
  const localReads = config.storage.localReads ? new LocalReads(nodes, { sync: config.storage.sync, mapSizeBytes: config.storage.mapSizeBytes, encryptionKey: security.encryptionKey, pageJsonBudgetBytes: storageNodeSettings(config).pageJsonBudgetBytes }, frontDoorLoad) : null;
  if (localReads !== null) frontDoorLoad.start();
  undo.push(() => {
    frontDoorLoad.stop();
    localReads?.close();
  });
  const router = new Router(map, transport, admission, {
    retryWindowMs: config.failover.routerRetryWindowMs,
    requestTimeoutMs: config.storage.requestTimeoutMs,
    refreshMap: () => control.refreshFromNodes(),
    clock: realClock,
    localReads: localReads ?? undefined,
  });
  const propagator = new Propagator(control, router, { clock: realClock, recordsPerRead: 512, bytesPerRead: 1024 * 1024, sweepMs: 250 });
  // Transactions a crash left unfinished are finished (committed or cancelled) before serving.
  const ledger = LmdbLedger.open(`${dataDir}/ledger`, config.storage.sync, security.encryptionKey);
  undo.push(() => ledger.close());
  const transactions = new TransactionCoordinator(ledger, router, { clock: realClock, recoveryIntervalMs: 1000 });
  control.attachTransactions(transactions);
  await transactions.start();
  undo.push(() => transactions.stop());
  control.attachPropagator(propagator);
  propagator.start();
  undo.push(() => propagator.stop());
  const streamStore = StreamStore.open(`${dataDir}/streams`, config.storage.sync, security.encryptionKey);
  undo.push(() => streamStore.close());
  const streams = new StreamCollector(control, router, streamStore, realClock, {
    pollMs: config.streams.pollIntervalMs,
    recordsPerRead: 512,
    bytesPerRead: 1024 * 1024,
    retentionMs: config.streams.retentionHours * 3_600_000,
    // Throttles like the tables' do, and only while they do (load tests turn both off).
    readLimits: { enabled: config.capacity.throttling, readersPerShard: config.streams.readersPerShard, readerWindowMs: config.streams.readerWindowMs, describeStreamCallsPerSecond: config.streams.describeStreamCallsPerSecond },
  });
  control.attachStreams(streams);
  streams.start();
  undo.push(() => streams.stop());
  const ttl = new TtlSweeper(control, router, realClock, config.ttl);
  control.attachTtl(ttl);
  ttl.start();
  undo.push(() => ttl.stop());
  if (!config.capacity.throttling) log.warn('capacity.throttling is off: no request is throttled, whatever the table\'s capacity');
  if (config.faults.enabled) log.warn('fault injection is enabled: POST /_monodyne/faults can kill and hang storage nodes');
  const admin = new AdminEndpoints(control, autoAdmin, nodes, { faultsEnabled: config.faults.enabled });
  const dispatcher = new Dispatcher({ control, router });
  const frontDoor = new FrontDoor(dispatcher, admin, { ...security.frontDoor, counters });
  // The other front-door threads share the port with this one, and with nothing else: it is claimed exclusively first.
  let port: number;
  try {
    const claimed = otherDoors > 0 ? await claimPort(config.server.host, config.server.port) : config.server.port;
    port = await frontDoor.listen({ host: config.server.host, port: claimed, shared: otherDoors > 0 });
  } catch {
    throw new Error(`cannot listen on ${config.server.host}:${config.server.port}: ${await listenProblem(config.server.host, config.server.port)}`);
  }
  undo.push(() => frontDoor.close());
  const publisher = doors === null ? null : new DoorStatePublisher(catalog, map, nodes, admission, doorStateSeq);
  undo.push(() => publisher?.close());
  // From here on the main thread's admission locks its meters: another thread meters reads too.
  // The server is up once this thread listens; the others join the port once their code is
  // loaded (a thread that cannot leaves this one serving alone, and says so).
  const auth = security.frontDoor.auth;
  const onRefused = auth === null ? null : (accessKeyId: string, error: DynamoError) => auth.noteRefusal(accessKeyId, error);
  const frontDoorsJoined = (doors?.join(port, dispatcher, admin, publisher!, admission.sharedState(), onRefused) ?? Promise.resolve()).catch((err: Error) => {
    log.error(`a front-door thread could not join port ${port}; the main thread serves without it: ${err.message}`);
  });
  admin.frontDoors = () => [{ thread: 0, tid: process.pid, localServed: localReads?.served ?? 0, localPassed: localReads?.passed ?? 0 }, ...(doors?.counts() ?? [])];

  let closing: Promise<void> | null = null;
  const close = () => {
    closing ??= (async () => {
      try {
        await Promise.all([frontDoor.drain(config.server.drainTimeoutMs), doors?.drain(config.server.drainTimeoutMs)]);
        // They read the nodes' B-trees: closed before the nodes are.
        await doors?.close();
        publisher?.close();
        await ttl.stop();
        await streams.stop();
        await propagator.stop();
        await transactions.stop();
        autoAdmin.stop();
        frontDoorLoad.stop();
        localReads?.close();
        await nodes.stop();
        transport.stop();
        await catalog.close();
        await ledger.close();
        await streamStore.close();
        frontDoor.close();
      } finally {
        release();
      }
    })();
    return closing;
  };
  const host = config.server.host.includes(':') ? `[${config.server.host}]` : config.server.host;
  dispatcher.listeningAt(`${host}:${port}`);
  return {
    port,
    endpoint: `${security.scheme}://${host}:${port}`,
    dataDir,
    close,
    propagator,
    transactions,
    ttl,
    streams,
    localReads: localReads === null ? null : everyThreadsLocalReads(localReads, doors),
    frontDoorThreads: otherDoors + 1,
    frontDoorsJoined,
    frontDoorCounts: () => doors?.counts() ?? [],
  };
}

/** Local reads of the main thread's front door and the others'. */
function everyThreadsLocalReads(main: LocalReads, doors: DoorThreads | null): LocalReadCounts {
  return {
    get served() {
      return main.served + (doors?.counts().reduce((sum, c) => sum + c.localServed, 0) ?? 0);
    },
    get passed() {
      return main.passed + (doors?.counts().reduce((sum, c) => sum + c.localPassed, 0) ?? 0);
    },
  };
}

/** MONODYNE_RECOVERY_PAUSE: a count of log records (absent: no pause). */
function recoveryPauseRecords(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const records = Number(value);
  if (!Number.isSafeInteger(records) || records < 0) throw new ConfigError(`MONODYNE_RECOVERY_PAUSE must be a count of log records (got ${JSON.stringify(value)})`);
  return records;
}
