// A front-door thread's router: it answers eventually consistent reads from a replica's B-tree
// on this thread (local-reads.ts), metered against the same buckets as the main thread's router
// (DoorReadAdmission), and throws forwardToMain for everything else: writes, consistent reads,
// reads a replica cannot answer here, tables this thread cannot meter. A forwarded request left
// nothing behind: what it took from a bucket here is given back first.
import { Op, type StorageRequest, type StorageResponse } from '../storage/messages.ts';
import { readUnits } from '../admission/capacity-units.ts';
import { localAnswer } from './local-answers.ts';
import { forwardToMain, type DoorState } from './door-state.ts';
import type { LocalPointReads } from './router.ts';
import type { AttachedAdmission } from '../admission/attached-admission.ts';

/** Read capacity on a front-door thread: the main thread's meters, shared (admission/). */
export interface DoorReadAdmission {
  /**
   * Admits an eventually consistent read of the partition: a point read for what it is expected to
   * cost (Admission.expectedReadUnits), any other for `units`. The units taken, or -1 when this
   * thread cannot meter it (forward). Throws ProvisionedThroughputExceededException as the main thread's would.
   */
  admit(tableId: string, pid: number, pointRead: boolean, units: number): number;
  /** Settles an admitted read: `units` consumed in all, `admitted` taken at admission (0 consumed gives them back); itemReadUnits, when 0 or more, is noted (Admission.settle). */
  settle(tableId: string, pid: number, units: number, admitted: number, itemReadUnits: number): void;
}

/** DoorReadAdmission on the main thread's meters in shared memory, found by the directories the main thread posts. */
export class SharedReadAdmission implements DoorReadAdmission {
  private readonly state: DoorState;
  private readonly meters: AttachedAdmission;

  constructor(state: DoorState, meters: AttachedAdmission) {
    this.state = state;
    this.meters = meters;
  }

  admit(tableId: string, pid: number, pointRead: boolean, units: number): number {
    const directory = this.state.metersOf(tableId);
    return (directory === undefined ? null : this.meters.admitRead(directory, pid, pointRead, units)) ?? -1;
  }

  settle(tableId: string, pid: number, units: number, admitted: number, itemReadUnits: number): void {
    // A meter that moved since admission (a split the main thread made meanwhile) is dropped, as the main thread's router drops it.
    const directory = this.state.metersOf(tableId);
    if (directory !== undefined) this.meters.settle(directory, pid, 'read', units, admitted, itemReadUnits);
  }
}

/** Reads answered here during one request, so that a request forwarded part-way (a Scan over partitions) can give them back. */
export interface DoorCharges {
  tableIds: string[];
  pids: number[];
  units: number[];
}

export class DoorRouter {
  private readonly state: DoorState;
  private readonly reads: LocalPointReads;
  private readonly admission: DoorReadAdmission;

  constructor(state: DoorState, reads: LocalPointReads, admission: DoorReadAdmission) {
    this.state = state;
    this.reads = reads;
    this.admission = admission;
  }

  /** Router.sendByHash for one request that makes at most one read (GetItem, Query). */
  sendByHash(tableId: string, hash32: number, req: StorageRequest, leaderOnly: boolean, unmetered = false): Promise<StorageResponse> {
    return this.settled(tableId, hash32, req, leaderOnly, unmetered, null);
  }

  /** read() as the router's promise: a refusal (forwardToMain, a throttle) rejects it, as the main thread's router's would. */
  settled(tableId: string, hash32: number, req: StorageRequest, leaderOnly: boolean, unmetered: boolean, charges: DoorCharges | null): Promise<StorageResponse> {
    try {
      return Promise.resolve(this.read(tableId, hash32, req, leaderOnly, unmetered, charges));
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /** One read of a request that may make several (Scan), each recorded in `charges`. */
  read(tableId: string, hash32: number, req: StorageRequest, leaderOnly: boolean, unmetered: boolean, charges: DoorCharges | null): StorageResponse | Promise<StorageResponse> {
    // Writes, consistent reads and the server's own reads are the main thread's.
    if (req.op === Op.Write || leaderOnly || unmetered || req.c === true) throw forwardToMain;
    const partition = this.state.map.find(tableId, hash32);
    const pid = partition.pid;
    const pointRead = req.op === Op.Get;
    const admitted = this.admission.admit(tableId, pid, pointRead, 0.5);
    if (admitted < 0) throw forwardToMain;
    // The leader's B-tree only, the replica the main thread's router picks while none is busier: a
    // follower may not have applied a write the client was just answered. What the leader cannot
    // answer here goes to the main thread, which routes it as it routes every read.
    const res = localAnswer(this.reads, tableId, partition.leader, hash32, req);
    if (res instanceof Promise) return res.then((read) => this.settle(tableId, pid, admitted, pointRead, read, charges));
    return this.settle(tableId, pid, admitted, pointRead, res, charges);
  }

  /** Charges a read answered here (null: not answered, forward it, its admission given back). */
  private settle(tableId: string, pid: number, admitted: number, pointRead: boolean, res: StorageResponse | null, charges: DoorCharges | null): StorageResponse {
    if (res === null) {
      this.admission.settle(tableId, pid, 0, admitted, -1);
      throw forwardToMain;
    }
    res.cu = readUnits(res.n ?? 0, false);
    this.admission.settle(tableId, pid, res.cu, admitted, pointRead ? readUnits(res.n ?? 0, true) : -1);
    if (charges !== null) {
      charges.tableIds.push(tableId);
      charges.pids.push(pid);
      charges.units.push(res.cu);
    }
    return res;
  }

  /** Gives back what a request's reads took, before it is forwarded (the main thread charges it anew). */
  giveBack(charges: DoorCharges): void {
    for (let i = 0; i < charges.units.length; i++) this.admission.settle(charges.tableIds[i], charges.pids[i], -charges.units[i], 0, -1);
  }
}

/** The router of one request that may make several reads (Scan, BatchGetItem): they are recorded, to be given back if it is forwarded. */
export class DoorRequestRouter {
  readonly charges: DoorCharges = { tableIds: [], pids: [], units: [] };
  private readonly router: DoorRouter;

  constructor(router: DoorRouter) {
    this.router = router;
  }

  sendByHash(tableId: string, hash32: number, req: StorageRequest, leaderOnly: boolean, unmetered = false): Promise<StorageResponse> {
    return this.router.settled(tableId, hash32, req, leaderOnly, unmetered, this.charges);
  }
}
