// Starts monodyne: the catalog and partition map, the storage nodes (worker threads), the
// router and the HTTP front door; and stops them in reverse order, draining requests first.
import { mkdirSync, rmSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Config } from './config.ts';
import { LmdbCatalog, nodeDir } from '../control/catalog.ts';
import { ControlPlane } from '../control/control-plane.ts';
import { PartitionMap } from '../router/partition-map.ts';
import { StorageThreads } from '../control/storage-threads.ts';
import { RequestTransport } from '../router/request-transport.ts';
import { Router } from '../router/router.ts';
import { Dispatcher } from '../api/dispatcher.ts';
import { FrontDoor } from '../protocol/front-door.ts';
import { AutoAdmin } from '../control/auto-admin.ts';
import { Admission } from '../admission/admission.ts';
import { AdminEndpoints } from '../control/admin-endpoints.ts';
import { prepareSecurity } from '../security/startup.ts';
import { realClock } from '../control/clock.ts';
import { storageNodeSettings } from './storage-settings.ts';
import { log, setLogLevel } from './logger.ts';

export interface RunningServer {
  port: number;
  endpoint: string;
  close(): Promise<void>;
}

export async function startServer(config: Config): Promise<RunningServer> {
  setLogLevel(config.log.level);
  const dataDir = resolve(config.storage.dataDir);
  mkdirSync(dataDir, { recursive: true });
  if (!config.storage.sync) log.warn('storage.sync is off: acknowledged writes are not fsynced and can be lost in a machine crash');

  // Refuses an unsafe start (public credentials on a network address, bad TLS files, wrong key).
  const security = prepareSecurity(config, dataDir);
  const catalog = LmdbCatalog.open(`${dataDir}/catalog`, config.storage.sync, security.encryptionKey);
  const transport = new RequestTransport(config.storage.workers, config.storage.requestTimeoutMs);
  const nodes = await StorageThreads.start(
    {
      workers: config.storage.workers,
      sync: config.storage.sync,
      mapSizeBytes: config.storage.mapSizeBytes,
      ringCapacityBytes: config.rings.capacityBytes,
      heartbeatIntervalMs: config.failover.heartbeatIntervalMs,
      commitStallMaxMs: config.failover.commitStallMaxMs,
      faults: config.faults.enabled,
      encryptionKey: security.encryptionKey,
      node: storageNodeSettings(config),
    },
    transport,
    Array.from({ length: config.storage.workers }, (_, id) => nodeDir(dataDir, catalog.nodeGenerations, id)),
  );
  const map = new PartitionMap();
  const control = new ControlPlane(catalog, map, nodes, { initialPartitions: config.tables.initialPartitions, clock: realClock, splitWaitMs: config.failover.installTimeoutMs });
  const admission = new Admission(config.capacity);
  control.attachAdmission(admission);
  const autoAdmin = new AutoAdmin(control, catalog, nodes, {
    dataDir,
    clock: realClock,
    heartbeatIntervalMs: config.failover.heartbeatIntervalMs,
    heartbeatsMissedMax: config.failover.heartbeatsMissedMax,
    commitStallMaxMs: config.failover.commitStallMaxMs,
    installTimeoutMs: config.failover.installTimeoutMs,
    replaceDelayMs: config.failover.replaceDelayMs,
    publishIntervalMs: config.partitionMap.publishIntervalMs,
    handoffTimeoutMs: config.failover.handoffTimeoutMs,
    splits: config.splits,
    discardNodeDir: (dir) => rmSync(dir, { recursive: true, force: true }),
  });
  // The nodes are the authority on what they hold (a split or failover the catalog missed
  // before a crash); then every partition gets a leader in a new epoch before anything is served.
  await control.refreshFromNodes();
  await control.electAll();
  autoAdmin.start();
  const router = new Router(map, transport, admission, {
    retryWindowMs: config.failover.routerRetryWindowMs,
    requestTimeoutMs: config.storage.requestTimeoutMs,
    refreshMap: () => control.refreshFromNodes(),
    clock: realClock,
  });
  if (config.faults.enabled) log.warn('fault injection is enabled: POST /_monodyne/faults can kill and hang storage nodes');
  const admin = new AdminEndpoints(control, autoAdmin, nodes, { faultsEnabled: config.faults.enabled });
  const frontDoor = new FrontDoor(new Dispatcher({ control, router }), admin, security.frontDoor);
  let port: number;
  try {
    port = await frontDoor.listen({ host: config.server.host, port: config.server.port });
  } catch (err) {
    autoAdmin.stop();
    await nodes.stop();
    transport.stop();
    await catalog.close();
    throw err;
  }

  let closing: Promise<void> | null = null;
  const close = () => {
    closing ??= (async () => {
      await frontDoor.drain(config.server.drainTimeoutMs);
      autoAdmin.stop();
      await nodes.stop();
      transport.stop();
      await catalog.close();
      frontDoor.close();
    })();
    return closing;
  };
  const host = config.server.host.includes(':') ? `[${config.server.host}]` : config.server.host;
  return { port, endpoint: `${security.scheme}://${host}:${port}`, close };
}
