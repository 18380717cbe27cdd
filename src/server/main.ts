// Starts monodyne: the catalog and partition map, the storage nodes (worker threads), the
// router and the HTTP front door; and stops them in reverse order, draining requests first.
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Config } from './config.ts';
import { Catalog } from '../control/catalog.ts';
import { ControlPlane } from '../control/control-plane.ts';
import { PartitionMap } from '../router/partition-map.ts';
import { StorageNodes } from '../router/storage-nodes.ts';
import { Router } from '../router/router.ts';
import { Dispatcher } from '../api/dispatcher.ts';
import { FrontDoor } from '../protocol/front-door.ts';
import { AutoAdmin } from '../control/auto-admin.ts';
import { Admission } from '../admission/admission.ts';
import { AdminEndpoints } from '../control/admin-endpoints.ts';
import { prepareSecurity } from '../security/startup.ts';

export interface RunningServer {
  port: number;
  endpoint: string;
  close(): Promise<void>;
}

export async function startServer(config: Config): Promise<RunningServer> {
  const dataDir = resolve(config.storage.dataDir);
  mkdirSync(dataDir, { recursive: true });
  if (!config.storage.sync) console.warn('[monodyne] storage.sync is off: acknowledged writes are not fsynced and can be lost in a machine crash');

  // Refuses an unsafe start (public credentials on a network address, bad TLS files, wrong key).
  const security = prepareSecurity(config, dataDir);
  const catalog = Catalog.open(`${dataDir}/catalog`, config.storage.sync, security.encryptionKey);
  const nodes = await StorageNodes.start(
    {
      workers: config.storage.workers,
      dataDir,
      sync: config.storage.sync,
      mapSizeBytes: config.storage.mapSizeBytes,
      ringCapacityBytes: config.rings.capacityBytes,
      requestTimeoutMs: config.storage.requestTimeoutMs,
      encryptionKey: security.encryptionKey,
      heartbeatIntervalMs: config.failover.heartbeatIntervalMs,
      logEntriesMax: config.failover.logEntriesMax,
    },
    ControlPlane.assignmentsOf(catalog),
    Array.from({ length: config.storage.workers }, (_, id) => catalog.nodeDir(dataDir, id)),
  );
  const map = new PartitionMap();
  const control = new ControlPlane(catalog, map, nodes, config.tables.initialPartitions);
  // The nodes are the authority on what they hold (a split or failover the catalog missed before a crash).
  await control.refreshFromNodes();
  const admission = new Admission(config.capacity);
  control.attachAdmission(admission);
  const router = new Router(map, nodes, admission, { retryWindowMs: config.failover.routerRetryWindowMs, refreshMap: () => control.refreshFromNodes() });
  const autoAdmin = new AutoAdmin(control, catalog, nodes, {
    dataDir,
    heartbeatIntervalMs: config.failover.heartbeatIntervalMs,
    heartbeatsMissedMax: config.failover.heartbeatsMissedMax,
    commitStallMaxMs: config.failover.commitStallMaxMs,
    installTimeoutMs: config.failover.installTimeoutMs,
    replaceDelayMs: config.failover.replaceDelayMs,
    publishIntervalMs: config.partitionMap.publishIntervalMs,
    splits: config.splits,
  });
  autoAdmin.start();
  if (config.faults.enabled) console.warn('[monodyne] fault injection is enabled: POST /_monodyne/faults can kill and hang storage nodes');
  const admin = new AdminEndpoints(control, autoAdmin, nodes, { faultsEnabled: config.faults.enabled });
  const frontDoor = new FrontDoor(new Dispatcher({ control, router }), admin, security.frontDoor);
  let port: number;
  try {
    port = await frontDoor.listen({ host: config.server.host, port: config.server.port });
  } catch (err) {
    autoAdmin.stop();
    await nodes.stop();
    await catalog.close();
    throw err;
  }

  let closing: Promise<void> | null = null;
  const close = () => {
    closing ??= (async () => {
      await frontDoor.drain(config.server.drainTimeoutMs);
      autoAdmin.stop();
      await nodes.stop();
      await catalog.close();
      frontDoor.close();
    })();
    return closing;
  };
  const host = config.server.host.includes(':') ? `[${config.server.host}]` : config.server.host;
  return { port, endpoint: `${security.scheme}://${host}:${port}`, close };
}
