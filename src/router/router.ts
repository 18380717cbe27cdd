// Routes a storage request to the right replica of the right partition and turns the
// storage node's answer into a result or a DynamoDB error. While a partition changes hands
// (failover, a split, a stale route) it retries, so clients see added latency rather than
// errors. A write keeps one write id across its retries, and once an attempt may have been
// applied, the outcome is never turned into a definite refusal (findings F4 and F11): a retry is
// not throttled, and the partition's leader answers it from its log if it has it.
import { randomBytes } from 'node:crypto';
import type { PartitionMap } from './partition-map.ts';
import type { RangePage, ScanPage } from '../storage/range-read.ts';
import { Op, Status, WriteKind, type PartitionAssignment, type RangeRequest, type StorageRequest, type StorageResponse, type WriteRequest } from '../storage/messages.ts';
import { localAnswer } from './local-answers.ts';
import { DynamoError, type ErrorName } from '../protocol/errors.ts';
import type { Admission } from '../admission/admission.ts';
import { readUnits, writeUnits } from '../admission/capacity-units.ts';
import { NodeFailedError } from '../control/node-supervisor.ts';
import type { Clock } from '../control/clock.ts';
import { log } from '../server/logger.ts';

/** What the router needs of the path to the storage nodes (the request transport). */
export interface StorageTransport {
  /** Sends one request; rejects with NodeFailedError when the node is declared dead first. */
  call(node: number, req: StorageRequest): Promise<StorageResponse>;
  isAlive(node: number): boolean;
  /** Requests sent and not yet answered: the router's measure of a node's load. */
  inFlight(node: number): number;
}

export interface RouterOptions {
  /** How long a request keeps being retried while its partition has no reachable leader. */
  retryWindowMs: number;
  /** How long one attempt may wait for its answer (a write carries its deadline to the node). */
  requestTimeoutMs: number;
  /** Re-reads the partition map from its authority (the storage nodes). */
  refreshMap: () => Promise<void>;
  clock: Clock;
  /** Prefix of this router's write ids (unique per server run; the simulator makes it a function of the seed). */
  writeIdPrefix?: string;
  /** Answers eventually consistent point reads from the nodes' B-trees on this thread when they can (local-reads.ts). */
  localReads?: LocalPointReads;
}

/** Reads answered from a node's B-tree on this thread (local-reads.ts); undefined: ask the node. */
export interface LocalPointReads {
  /** The stored bytes of an item the node applied (null: none). */
  get(tableId: string, node: number, hash32: number, key: Uint8Array): Buffer | null | undefined;
  /** A Query page of one partition key; promised when it is read in steps. */
  query(tableId: string, node: number, hash32: number, req: RangeRequest): RangePage | undefined | Promise<RangePage | undefined>;
  /** A Scan page, up to the end of the node's replica (`end`); promised when it is read in steps. */
  scan(tableId: string, node: number, req: RangeRequest): ScanPage | undefined | Promise<ScanPage | undefined>;
}


export class Router {
  private readonly map: PartitionMap;
  private readonly nodes: StorageTransport;
  private readonly admission: Admission;
  private readonly options: RouterOptions;
  /** One refresh at a time, shared by every request that found the map stale meanwhile. */
  private refreshing: Promise<void> | null = null;
  /** Write ids: unique per server run, the same for every retry of one client write. */
  private readonly writeIdPrefix: string;
  private writeIdCounter = 0;
  /** Writes in flight per table, by the index spec bytes they carry (null: none). */
  private readonly writesBySpec = new Map<string, Map<Uint8Array | null, number>>();

  constructor(map: PartitionMap, nodes: StorageTransport, admission: Admission, options: RouterOptions) {
    this.map = map;
    this.nodes = nodes;
    this.admission = admission;
    this.options = options;
    this.writeIdPrefix = options.writeIdPrefix ?? randomBytes(6).toString('base64url');
  }

  private refresh(): Promise<void> {
    this.refreshing ??= this.options
      .refreshMap()
      .catch((err) => log.error('partition map refresh failed:', err))
      .finally(() => {
        this.refreshing = null;
      });
    return this.refreshing;
  }

  /**
   * Sends `req` to the partition holding `hash32` (Scan walks the hash space by position); writes
   * and consistent reads go to its leader. `unmetered`: the server's own work on the table (the
   * index propagator's reads of the outbox, its acknowledgements, a backfill), which consumes none
   * of the table's capacity.
   */
  /** The partition of the table's map that holds `hash32` now (-1: the map has no such table). */
  partitionIdOf(tableId: string, hash32: number): number {
    return this.map.partitions(tableId).length === 0 ? -1 : this.map.find(tableId, hash32).pid;
  }

  sendByHash(tableId: string, hash32: number, req: StorageRequest, leaderOnly: boolean, unmetered = false): Promise<StorageResponse> {
    if (req.op !== Op.Write) return this.route(tableId, hash32, req, leaderOnly, unmetered);
    return this.routeWrite(tableId, hash32, req, leaderOnly, unmetered);
  }

  /** A write, counted while in flight by the index spec it carries (see writesInFlightWithout). */
  private async routeWrite(tableId: string, hash32: number, req: WriteRequest, leaderOnly: boolean, unmetered: boolean): Promise<StorageResponse> {
    let bySpec = this.writesBySpec.get(tableId);
    if (bySpec === undefined) this.writesBySpec.set(tableId, (bySpec = new Map()));
    const spec = req.ix ?? null;
    bySpec.set(spec, (bySpec.get(spec) ?? 0) + 1);
    try {
      return await this.route(tableId, hash32, req, leaderOnly, unmetered);
    } finally {
      const left = bySpec.get(spec)! - 1;
      if (left === 0) bySpec.delete(spec);
      else bySpec.set(spec, left);
      if (bySpec.size === 0) this.writesBySpec.delete(tableId);
    }
  }

  /**
   * Whether any write to the table is in flight with another index spec than `spec`: a backfill
   * starts once none is, so that every write the new index's spec is missing from was applied
   * (or refused) before its first page.
   */
  writesInFlightWithout(tableId: string, spec: Uint8Array): boolean {
    const bySpec = this.writesBySpec.get(tableId);
    if (bySpec === undefined) return false;
    for (const other of bySpec.keys()) if (other !== spec) return true;
    return false;
  }

  private async route(tableId: string, hash32: number, req: StorageRequest, leaderOnly: boolean, unmetered: boolean): Promise<StorageResponse> {
    const clock = this.options.clock;
    const write = req.op === Op.Write;
    if (write && req.wid === undefined) req.wid = this.writeIdPrefix + (++this.writeIdCounter).toString(36);
    const consistent = !write && req.c === true;
    const deadline = clock.now() + this.options.retryWindowMs;
    // Throttling decides once, before anything may have been applied (finding F4). A put takes
    // what its item will cost, so that concurrent puts (a BatchWriteItem's) cannot all slip in on
    // one unit each past a bucket their sizes overdraw; other requests learn their cost later.
    const pointRead = req.op === Op.Get;
    let admitted = write ? writeUnits((req as WriteRequest).sz) : consistent ? 1 : 0.5;
    let admittedPid = -1;
    /** Replicas that refused this read at the current map version: not asked again (finding F9). */
    let refusedBy: number[] | null = null;
    let unknownOutcome = false;
    for (let attempt = 0; ; attempt++) {
      const partition = this.map.find(tableId, hash32);
      if (admittedPid === -1 && !unmetered) {
        if (pointRead) admitted = this.admission.expectedReadUnits(tableId, partition.pid, consistent);
        this.admission.admit(tableId, partition.pid, write ? 'write' : 'read', admitted);
        admittedPid = partition.pid;
      }
      const target = leaderOnly ? partition.leader : this.leastLoadedReplica(partition, refusedBy);
      // An eventually consistent read this thread can answer from the node's B-tree (local-reads.ts).
      const local = write || consistent || this.options.localReads === undefined ? null : localAnswer(this.options.localReads, tableId, target, hash32, req);
      let res: StorageResponse | null = local instanceof Promise ? await local : local;
      if (res === null) {
        try {
          req.p = partition.pid;
          req.v = partition.version;
          if (write) req.dl = clock.now() + this.options.requestTimeoutMs;
          res = await this.nodes.call(target, req);
        } catch (err) {
          if (!(err instanceof NodeFailedError)) throw err;
          // The node died with the request (it may have applied it): the control plane is electing.
          unknownOutcome ||= write;
          if (clock.now() < deadline) {
            await this.pause(attempt);
            continue;
          }
          log.debug(`request to partition ${partition.pid} of ${tableId}: node ${target} kept failing for ${this.options.retryWindowMs} ms`);
          throw new DynamoError('InternalServerError', 'Internal server error');
        }
      }
      if (res.s === Status.WrongReplica || res.s === Status.Retry) {
        if (res.s === Status.Retry) unknownOutcome = true;
        if (clock.now() >= deadline) {
          log.debug(`request to partition ${partition.pid} of ${tableId} (map version ${partition.version}): node ${target} still answers ${res.s === Status.Retry ? 'retry' : `wrong replica (version ${res.ver})`} after ${this.options.retryWindowMs} ms`);
          throw new DynamoError('InternalServerError', 'Internal server error');
        }
        if ((res.ver ?? 0) > partition.version || res.s === Status.Retry) {
          // The node knows a newer map (or lost leadership). A map that changed since this attempt
          // was routed (a split adopted, a publish landed) is tried at once; otherwise the request
          // waits for the map's next change or a refresh from the nodes, whichever comes first:
          // while a split is adopted, that is the adoption, not a round trip to every node.
          if (this.map.find(tableId, hash32) === partition) await Promise.race([this.map.changed(), this.refresh()]);
          refusedBy = null;
        } else {
          // Same map version: the replica is being rebuilt or waits for its split; try another,
          // and pause only once none is left to try.
          if (!leaderOnly) (refusedBy ??= []).push(target);
          if (attempt > 0 && (leaderOnly || this.everyReplicaRefused(partition, refusedBy!))) await this.pause(attempt);
        }
        continue;
      }
      if ((res.s === Status.Ok || res.s === Status.ClientError) && !unmetered) {
        // Charged on what was read or written; a failed condition costs its write too.
        res.cu = write ? (res.wu ?? writeUnits(res.n ?? 0)) + (res.xu ?? 0) : readUnits(res.n ?? 0, consistent);
        const itemReadUnits = pointRead ? readUnits(res.n ?? 0, true) : write && (req as WriteRequest).w === WriteKind.Put ? readUnits((req as WriteRequest).sz, true) : -1;
        this.admission.settle(tableId, admittedPid, write ? 'write' : 'read', res.cu, admitted, itemReadUnits);
      }
      if (res.s === Status.KeysOutside) {
        // Grouped by a map older than a split: nothing was applied; the sender regroups with the new one.
        await this.refresh();
        throw new DynamoError('ServiceUnavailable', 'The service is currently unavailable or busy.');
      }
      if (res.s === Status.Unavailable && unknownOutcome) {
        // An earlier attempt may have been applied: a 503 would tell the client it was not.
        throw new DynamoError('InternalServerError', 'Internal server error');
      }
      return this.check(res);
    }
  }

  /** Whether every live replica of the partition refused this read at its map version. */
  private everyReplicaRefused(partition: PartitionAssignment, refusedBy: number[]): boolean {
    for (const w of partition.replicas) if (this.nodes.isAlive(w) && !refusedBy.includes(w)) return false;
    return true;
  }

  /** Eventually consistent reads: the live replica with the fewest requests in flight (the leader on ties), skipping those that refused. */
  private leastLoadedReplica(partition: PartitionAssignment, refusedBy: number[] | null): number {
    let best = -1;
    let bestLoad = Infinity;
    const leader = partition.leader;
    if (this.nodes.isAlive(leader) && (refusedBy === null || !refusedBy.includes(leader))) {
      best = leader;
      bestLoad = this.nodes.inFlight(leader);
    }
    for (const w of partition.replicas) {
      if (!this.nodes.isAlive(w) || (refusedBy !== null && refusedBy.includes(w))) continue;
      const load = this.nodes.inFlight(w);
      if (load < bestLoad) {
        best = w;
        bestLoad = load;
      }
    }
    // Everyone refused: the leader answers every read it can.
    return best === -1 ? leader : best;
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

  /** Backoff while a partition changes hands: 2, 4, 8 ... up to 50 ms. */
  private pause(attempt: number): Promise<void> {
    return this.options.clock.sleep(Math.min(50, 2 << Math.min(attempt, 5)));
  }
}
