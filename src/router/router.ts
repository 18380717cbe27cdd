// Routes a storage request to the right replica of the right partition and turns the
// storage node's answer into a result or a DynamoDB error.
import type { PartitionMap } from './partition-map.ts';
import type { StorageNodes } from './storage-nodes.ts';
import { Status, type PartitionAssignment, type StorageRequest, type StorageResponse } from '../storage/messages.ts';
import { DynamoError, type ErrorName } from '../protocol/errors.ts';

/** A stale route is retried this many times after re-reading the map. */
const staleRouteRetriesMax = 1;

export class Router {
  private readonly map: PartitionMap;
  private readonly nodes: StorageNodes;

  constructor(map: PartitionMap, nodes: StorageNodes) {
    this.map = map;
    this.nodes = nodes;
  }

  /** Sends `req` to the partition holding `hash32`; writes and consistent reads go to its leader. */
  async sendByHash(tableId: string, hash32: number, req: StorageRequest, leaderOnly: boolean): Promise<StorageResponse> {
    for (let attempt = 0; ; attempt++) {
      const partition = this.map.find(tableId, hash32);
      const res = await this.sendOnce(partition, req, leaderOnly);
      if (res.s !== Status.WrongReplica || attempt >= staleRouteRetriesMax) return this.check(res);
    }
  }

  /** Sends `req` to one partition by id (Scan walks partitions this way). */
  async sendToPartition(tableId: string, pid: number, req: StorageRequest, leaderOnly: boolean): Promise<StorageResponse> {
    for (let attempt = 0; ; attempt++) {
      const partition = this.map.partitions(tableId).find((p) => p.pid === pid);
      if (partition === undefined) throw new DynamoError('InternalServerError', 'Internal server error');
      const res = await this.sendOnce(partition, req, leaderOnly);
      if (res.s !== Status.WrongReplica || attempt >= staleRouteRetriesMax) return this.check(res);
    }
  }

  private sendOnce(partition: PartitionAssignment, req: StorageRequest, leaderOnly: boolean): Promise<StorageResponse> {
    req.p = partition.pid;
    req.v = partition.version;
    return this.nodes.call(leaderOnly ? partition.leader : this.leastLoadedReplica(partition), req);
  }

  /** Eventually consistent reads: the replica with the fewest requests in flight, the leader on ties. */
  private leastLoadedReplica(partition: PartitionAssignment): number {
    let best = partition.leader;
    let bestLoad = this.nodes.inFlight(best);
    for (const w of partition.replicas) {
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
      case Status.WrongReplica:
        // The map and the storage nodes disagree even after a re-read: a transient state
        // during a map change; the SDKs retry 5xx errors.
        throw new DynamoError('InternalServerError', 'Internal server error');
      default:
        throw new DynamoError('InternalServerError', 'Internal server error');
    }
  }
}
