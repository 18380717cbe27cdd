// Routes a storage request to the right replica of the right partition and turns the
// storage node's answer into a result or a DynamoDB error. While a partition changes hands
// (failover, a stale route) it retries, so clients see added latency rather than errors.
import { randomBytes } from 'node:crypto';
import type { PartitionMap } from './partition-map.ts';
import { NodeFailedError, type StorageNodes } from './storage-nodes.ts';
import { Op, Status, type PartitionAssignment, type StorageRequest, type StorageResponse } from '../storage/messages.ts';
import { DynamoError, type ErrorName } from '../protocol/errors.ts';
import type { Admission } from '../admission/admission.ts';
import { readUnits, writeUnits } from '../admission/capacity-units.ts';

export interface RouterOptions {
  /** How long a request keeps being retried while its partition has no reachable leader. */
  retryWindowMs: number;
  /** Re-reads the partition map from its authority (the storage nodes). */
  refreshMap: () => Promise<void>;
}

/** Write ids: unique per server run, the same for every retry of one client write. */
const writeIdPrefix = randomBytes(6).toString('base64url');
let writeIdCounter = 0;

export class Router {
  private readonly map: PartitionMap;
  private readonly nodes: StorageNodes;
  private readonly retryWindowMs: number;
  private readonly admission: Admission;
  private readonly refreshMap: () => Promise<void>;
  /** One refresh at a time, shared by every request that found the map stale meanwhile. */
  private refreshing: Promise<void> | null = null;

  constructor(map: PartitionMap, nodes: StorageNodes, admission: Admission, options: RouterOptions) {
    this.map = map;
    this.nodes = nodes;
    this.admission = admission;
    this.retryWindowMs = options.retryWindowMs;
    this.refreshMap = options.refreshMap;
  }

  private refresh(): Promise<void> {
    this.refreshing ??= this.refreshMap()
      .catch((err) => console.error('[monodyne] partition map refresh failed:', err))
      .finally(() => {
        this.refreshing = null;
      });
    return this.refreshing;
  }

  /** Sends `req` to the partition holding `hash32`; writes and consistent reads go to its leader. */
  sendByHash(tableId: string, hash32: number, req: StorageRequest, leaderOnly: boolean): Promise<StorageResponse> {
    return this.send(tableId, hash32, -1, req, leaderOnly);
  }

  /** Sends `req` to one partition by id (Scan walks partitions this way). */
  sendToPartition(tableId: string, pid: number, req: StorageRequest, leaderOnly: boolean): Promise<StorageResponse> {
    return this.send(tableId, -1, pid, req, leaderOnly);
  }

  private async send(tableId: string, hash32: number, pid: number, req: StorageRequest, leaderOnly: boolean): Promise<StorageResponse> {
    const write = req.op === Op.Write;
    if (write && req.wid === undefined) req.wid = writeIdPrefix + (++writeIdCounter).toString(36);
    const consistent = !write && req.c === true;
    const deadline = Date.now() + this.retryWindowMs;
    for (let attempt = 0; ; attempt++) {
      const partition = hash32 >= 0 ? this.map.find(tableId, hash32) : this.map.partitions(tableId).find((p) => p.pid === pid);
      if (partition === undefined) throw new DynamoError('InternalServerError', 'Internal server error');
      // Throttling: the partition's buckets must hold the smallest charge, taken now.
      const admitted = write || consistent ? 1 : 0.5;
      this.admission.admit(tableId, partition.pid, write ? 'write' : 'read', admitted);
      let res: StorageResponse;
      try {
        res = await this.sendOnce(partition, req, leaderOnly);
      } catch (err) {
        // The node died with the request: the control plane is electing a new leader.
        if (err instanceof NodeFailedError && Date.now() < deadline) {
          await pause(attempt);
          continue;
        }
        if (err instanceof NodeFailedError) throw new DynamoError('InternalServerError', 'Internal server error');
        throw err;
      }
      if (res.s === Status.WrongReplica && Date.now() < deadline) {
        // The node knows a newer map than the one the request was routed with: refresh the map
        // from the nodes and retry; otherwise the map is about to change: wait a little.
        if ((res.ver ?? 0) > partition.version) await this.refresh();
        else if (attempt > 0) await pause(attempt);
        continue;
      }
      if (res.s === Status.Ok || res.s === Status.ClientError) {
        // Charged on what was read or written; a failed condition costs its write too.
        res.cu = write ? writeUnits(res.n ?? 0) : readUnits(res.n ?? 0, consistent);
        this.admission.charge(tableId, partition.pid, write ? 'write' : 'read', res.cu, admitted);
      }
      return this.check(res);
    }
  }

  private sendOnce(partition: PartitionAssignment, req: StorageRequest, leaderOnly: boolean): Promise<StorageResponse> {
    req.p = partition.pid;
    req.v = partition.version;
    return this.nodes.call(leaderOnly ? partition.leader : this.leastLoadedReplica(partition), req);
  }

  /** Eventually consistent reads: the live replica with the fewest requests in flight, the leader on ties. */
  private leastLoadedReplica(partition: PartitionAssignment): number {
    let best = partition.leader;
    let bestLoad = this.nodes.isAlive(best) ? this.nodes.inFlight(best) : Infinity;
    for (const w of partition.replicas) {
      if (!this.nodes.isAlive(w)) continue;
      const load = this.nodes.inFlight(w);
      if (load < bestLoad) {
        best = w;
        bestLoad = load;
      }
    }
    return best;
  }

  private check(res: StorageResponse): StorageResponse {
    switch (res.s) {
      case Status.Ok:
        return res;
      case Status.ClientError:
        throw new DynamoError(res.err as ErrorName, res.msg ?? '', res.item ? { Item: JSON.parse(res.item) } : undefined);
      case Status.Unavailable:
        // Too few live replicas to take the write; nothing was applied. Retryable (503).
        throw new DynamoError('ServiceUnavailable', 'The service is currently unavailable or busy.');
      default:
        // A node answered with an internal failure, or the map never settled: the outcome of a
        // write is unknown, as with DynamoDB's own 500s; the SDKs retry.
        throw new DynamoError('InternalServerError', 'Internal server error');
    }
  }
}

/** Backoff while a partition changes hands: 2, 4, 8 ... up to 50 ms. */
function pause(attempt: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.min(50, 2 << Math.min(attempt, 5))));
}
