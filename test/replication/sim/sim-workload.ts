// The simulated clients: DynamoDB calls made through the real API handlers (src/api) and the real
// router, retried as the AWS SDK retries them, and what each attempt observed, kept for the checks
// (sim-checks.ts). The data:
//   - registers (tab0, tab1: k0..k5): PutItem, conditional PutItem, DeleteItem (plain or conditional),
//     consistent and eventually consistent GetItem; a linearizable register each;
//   - counters (tab0, tab1: n0, n1): UpdateItem `ADD n :inc SET ops = list_append(.., [attempt id])`,
//     so the count and the list of attempts that made it change in one log entry;
//   - stable items (tab0, tab1: s0..s7; rows: g*/s00..s09), written before the faults start and never
//     changed: every read of them, eventually consistent ones included, must find them;
//   - rows (rows: g0..g3 / m00..m11, a sort-key table) written by BatchWriteItem (puts and deletes)
//     and read by Query over a sort-key range (BETWEEN, begins_with, <, >=; forward or back;
//     sometimes paged with Limit); a linearizable register each, read by consistent Queries.
// A request that times out or fails is resent as the SDK resends it: a new request, so a new
// write id; an attempt whose outcome is unknown (500) may take effect at any later time.
import type { ApiContext } from '../../../src/api/context.ts';
import { putItem } from '../../../src/api/put-item.ts';
import { getItem } from '../../../src/api/get-item.ts';
import { updateItem } from '../../../src/api/update-item.ts';
import { deleteItem } from '../../../src/api/delete-item.ts';
import { batchWriteItem } from '../../../src/api/batch-write-item.ts';
import { query } from '../../../src/api/query.ts';
import { routeKey } from '../../../src/api/item-key.ts';
import { Contributors } from '../../../src/control/contributors.ts';
import { keyInfoOf } from '../../../src/control/table-record.ts';
import type { NewTable } from '../../../src/control/control-plane.ts';
import type { Router } from '../../../src/router/router.ts';
import { DynamoError } from '../../../src/protocol/errors.ts';
import { Op, Status, type GetRequest, type StorageRequest, type StorageResponse, type WriteRequest } from '../../../src/storage/messages.ts';
import { keyHash } from '../../../src/storage/leader-write.ts';
import { decodeStoredItem } from '../../../src/storage/stored-item.ts';
import type { Item } from '../../../src/values/types.ts';
import type { HistoryEntry, RegisterOp } from '../../helpers/linearizability.ts';
import type { Scheduler } from './scheduler.ts';
import type { Random } from './random.ts';
import type { SimServer } from './sim-server.ts';
import type { SimNode } from './sim-nodes.ts';
import { bodyText, type ResponseBody } from '../../../src/protocol/wire.ts';

/** The sort-key table: item collections g0..g3, each with stable rows s00..s09 and rows m00..m11. */
export const rowsTable: NewTable = {
  name: 'rows',
  region: 'sim',
  keySchema: [
    { AttributeName: 'pk', KeyType: 'HASH' },
    { AttributeName: 'sk', KeyType: 'RANGE' },
  ],
  attributeDefinitions: [
    { AttributeName: 'pk', AttributeType: 'S' },
    { AttributeName: 'sk', AttributeType: 'S' },
  ],
  billingMode: 'PAY_PER_REQUEST',
  readCapacityUnits: 0,
  writeCapacityUnits: 0,
};

const collections = ['g0', 'g1', 'g2', 'g3'];
const stableRows = Array.from({ length: 10 }, (_, i) => `s${String(i).padStart(2, '0')}`);
const mutableRows = Array.from({ length: 12 }, (_, i) => `m${String(i).padStart(2, '0')}`);
/** Sort-key bounds a Query may use: the rows, and values between and around them. */
const sortKeyBounds = [...stableRows, ...mutableRows, 'a', 'm', 'm05x', 'n', 's', 's04x', 'z'];
const beginsWithPrefixes = ['s', 'm', 's0', 'm0', 'm1', 'x'];
const counterUpdate = 'ADD #n :inc SET #ops = list_append(if_not_exists(#ops, :empty), :id)';

/** The AWS SDK's standard retry strategy (client-dynamodb 3.1164: @smithy/core retry, "v2026"). */
const sdkAttemptsMax = 4;
const sdkRetryDelayBaseMs = 50;
const sdkThrottlingDelayBaseMs = 1000;
const sdkRetryDelayMaxMs = 20_000;
const sdkRetryCapacity = 500;
const sdkRetryCost = 14;
const sdkThrottlingRetryCost = 5;
/** Times an application resends a BatchWriteItem's UnprocessedItems before it gives up. */
const unprocessedResendsMax = 3;
/**
 * A copy on a node counts toward "two durable copies at acknowledgement" unless the node was
 * declared dead longer than this before the acknowledgement arrived (the answer of a write
 * committed just before may still be on its way).
 */
const fencedCopyGraceMs = 1;

type Outcome = 'ok' | 'fail' | 'unknown' | 'refused' | 'throttled';

/** One storage request an API call sent through the router, and how it ended. */
interface Sent {
  req: StorageRequest;
  server: SimServer;
  sentAt: number;
  outcome: Outcome | 'pending';
  res: StorageResponse | null;
}

/** The storage calls the router made for one write id. */
interface WriteCalls {
  calls: number;
  firstAt: number;
  /** The partition's voters (by the catalog) when it was first sent. */
  voters: number[];
}

interface Attempt {
  outcome: Outcome;
  json: string | null;
  sent: Sent[];
  invokedAt: number;
  completedAt: number;
}

interface Client {
  c: number;
  /** Process id in the register histories: a new one after every unknown outcome. */
  proc: number;
  lastSeen: Map<string, string | null>;
  retryCapacity: number;
}

export interface RegisterRef {
  table: string;
  key: string;
  id: string;
}

export interface CounterObservation {
  id: string;
  ops: string[];
  n: number;
  consistent: boolean;
  invokedAt: number;
  completedAt: number;
  what: string;
}

export interface CounterAttempt {
  key: string;
  inc: number;
  sentAt: number;
  outcome: Outcome | 'pending';
  ackedAt: number;
}

export interface WorkloadEnv {
  scheduler: Scheduler;
  random: Random;
  current(): SimServer;
  stats: Record<string, number>;
  failures: string[];
  /** When each node incarnation's thread was crashed by the fault generator. */
  crashedAt: Map<SimNode, number>;
  /** Every node incarnation that ran, with its server. */
  incarnations: Map<SimNode, SimServer>;
}

export class Workload {
  readonly registers: RegisterRef[] = [];
  readonly counters: RegisterRef[] = [];
  readonly stable: Array<RegisterRef & { value: string }> = [];
  /** Histories of registers and rows, by id (table/key or rows/pk/sk). */
  readonly histories = new Map<string, HistoryEntry[]>();
  /** Values writes were asked to write, by id, with when each was first asked. */
  readonly asked = new Map<string, Map<string, number>>();
  readonly eventualReads: Array<{ id: string; value: string | null; completedAt: number; what: string }> = [];
  readonly counterAttempts = new Map<string, CounterAttempt>();
  readonly counterObservations: CounterObservation[] = [];
  readonly finalCounters = new Map<string, CounterObservation | null>();
  stop = false;
  private readonly env: WorkloadEnv;
  private readonly contributors = new Contributors();
  private readonly writeCalls = new Map<string, WriteCalls>();
  private nextProcess = 0;
  private valueCounter = 0;
  private opCounter = 0;

  constructor(env: WorkloadEnv, hashTables: string[], registersPerTable: number) {
    this.env = env;
    for (const table of hashTables) {
      for (let k = 0; k < registersPerTable; k++) this.registers.push({ table, key: `k${k}`, id: `${table}/k${k}` });
      for (let k = 0; k < 2; k++) this.counters.push({ table, key: `n${k}`, id: `${table}/n${k}` });
      for (let k = 0; k < 8; k++) this.stable.push({ table, key: `s${k}`, id: `${table}/s${k}`, value: `stable-${table}-s${k}` });
    }
  }

  private get now(): number {
    return this.env.scheduler.now;
  }

  private fail(text: string): void {
    this.env.failures.push(text);
  }

  /**
   * An API context over the current server whose router records every request sent, and calls
   * `acked` the moment one is answered OK (a batch's answer waits for all of its writes).
   */
  private context(sent: Sent[], acked: (s: Sent, index: number) => void = () => {}): ApiContext {
    const server = this.env.current();
    const now = () => this.env.scheduler.now;
    const stats = this.env.stats;
    const router = {
      sendByHash(tableId: string, hash32: number, req: StorageRequest, leaderOnly: boolean): Promise<StorageResponse> {
        const s: Sent = { req, server, sentAt: now(), outcome: 'pending', res: null };
        const index = sent.push(s) - 1;
        return server.router.sendByHash(tableId, hash32, req, leaderOnly).then(
          (res) => {
            s.outcome = 'ok';
            s.res = res;
            acked(s, index);
            return res;
          },
          (err: unknown) => {
            s.outcome = classify(err) ?? 'pending';
            if (s.outcome === 'throttled') stats.throttled++;
            throw err;
          },
        );
      },
    };
    return { control: server.control, router: router as unknown as Router, contributors: this.contributors, address: '' };
  }

  /** One API call; null when it failed in a way no DynamoDB client expects (the run fails). */
  private async attempt(call: (ctx: ApiContext) => Promise<ResponseBody>, what: string, acked?: (s: Sent, index: number) => void): Promise<Attempt | null> {
    const sent: Sent[] = [];
    const invokedAt = this.now;
    try {
      const json = bodyText(await call(this.context(sent, acked)));
      this.env.stats.calls++;
      return { outcome: 'ok', json, sent, invokedAt, completedAt: this.now };
    } catch (err) {
      const outcome = classify(err);
      this.env.stats.calls++;
      if (outcome === null) {
        this.fail(`${what} at ${invokedAt.toFixed(1)} ms: unexpected ${(err as Error).stack}`);
        return null;
      }
      return { outcome, json: null, sent, invokedAt, completedAt: this.now };
    }
  }

  /**
   * A call as the AWS SDK makes it: throttled, timed-out (500) and unavailable (503) attempts are
   * resent after a jittered exponential backoff, up to sdkAttemptsMax attempts while the client's
   * retry quota lasts. Each attempt is a new request (a new write id). `observe` sees every
   * attempt; the last one is returned (null: the run failed).
   */
  private async sdk(client: Client, what: string, call: (ctx: ApiContext, attempt: number) => Promise<ResponseBody>, observe: (a: Attempt) => void, acked?: (s: Sent, index: number) => void): Promise<Attempt | null> {
    let lastRetryCost = 0;
    for (let n = 1; ; n++) {
      const a = await this.attempt((ctx) => call(ctx, n), what, acked);
      if (a === null) return null;
      observe(a);
      if (a.outcome === 'ok') client.retryCapacity = Math.min(sdkRetryCapacity, client.retryCapacity + (lastRetryCost || 1));
      if (a.outcome === 'ok' || a.outcome === 'fail' || n >= sdkAttemptsMax) return a;
      const throttling = a.outcome === 'throttled';
      const cost = throttling ? sdkThrottlingRetryCost : sdkRetryCost;
      if (client.retryCapacity < cost) return a;
      client.retryCapacity -= cost;
      lastRetryCost = cost;
      const base = throttling ? sdkThrottlingDelayBaseMs : sdkRetryDelayBaseMs;
      await this.env.scheduler.sleep(Math.floor(this.env.random.next() * Math.min(base * 2 ** (n - 1), sdkRetryDelayMaxMs)));
      if (throttling) this.env.stats.throttleRetries++;
      else this.env.stats.resends++;
    }
  }

  private history(id: string): HistoryEntry[] {
    let h = this.histories.get(id);
    if (h === undefined) this.histories.set(id, (h = []));
    return h;
  }

  private ask(id: string, value: string): void {
    let values = this.asked.get(id);
    if (values === undefined) this.asked.set(id, (values = new Map()));
    if (!values.has(value)) values.set(value, this.now);
  }

  private newValue(c: number): string {
    return `c${c}v${this.valueCounter++}`;
  }

  /**
   * A register write attempt as it is sent: in the history at once, as one whose outcome is not
   * known, until its answer says what it did (recordWrite). The run may end, or the process crash,
   * before an attempt is answered (the router retries for up to its retry window): a read of what
   * it wrote is then explained by it, as it is for a client that never heard back.
   */
  private writeInFlight(client: Client, id: string, op: RegisterOp): HistoryEntry {
    const entry: HistoryEntry = { process: client.proc, invokedAt: this.now, completedAt: Infinity, op: op.kind === 'cas' ? { ...op, result: 'unknown' } : op };
    this.history(id).push(entry);
    return entry;
  }

  /** Records a write attempt on a register (or row) in its history (in place of its in-flight entry, when it has one). */
  private recordWrite(client: Client, id: string, a: { outcome: Outcome; invokedAt: number; completedAt: number }, op: RegisterOp, inFlight: HistoryEntry | null = null): void {
    const stats = this.env.stats;
    const history = this.history(id);
    if (inFlight !== null) history.splice(history.indexOf(inFlight), 1);
    switch (a.outcome) {
      case 'ok':
        stats.writesAcked++;
        history.push({ process: client.proc, invokedAt: a.invokedAt, completedAt: a.completedAt, op });
        break;
      case 'fail':
        stats.casFailed++;
        history.push({ process: client.proc, invokedAt: a.invokedAt, completedAt: a.completedAt, op });
        break;
      case 'unknown':
        // It may take effect at any later time, or never.
        stats.unknown++;
        history.push({ process: client.proc, invokedAt: a.invokedAt, completedAt: Infinity, op: op.kind === 'cas' ? { ...op, result: 'unknown' } : op });
        client.lastSeen.delete(id);
        break;
      case 'refused':
        // Nothing was applied (503): left out of the history; a read shows it if it was.
        stats.writesRefused++;
        break;
      case 'throttled':
        break;
    }
  }

  /** After an attempt with an unknown outcome a client goes on as a new process. */
  private afterUnknown(client: Client, unknown: boolean): void {
    if (unknown) client.proc = this.nextProcess++;
  }

  // ---- durability --------------------------------------------------------------------------

  /** Watches the storage calls `server`'s router makes (for checkDurable). */
  watch(server: SimServer): void {
    server.nodes.onCall = (_node, req) => {
      if (req.op !== Op.Write || req.wid === undefined) return;
      const calls = this.writeCalls.get(req.wid);
      if (calls === undefined) this.writeCalls.set(req.wid, { calls: 1, firstAt: this.now, voters: votersOf(server, req.t, keyHash(req.k)) });
      else calls.calls++;
    };
  }

  /**
   * The acknowledged write was on the disks of two of its partition's voters (by its write id in
   * a log, or by `holds` on the item) when it was committed: the copies the next election
   * considers. A learner's copy does not count (finding F2). When the router sent the write once
   * and its node answered, the node answered as it committed: a voter's copy counts only if the
   * voter was not declared dead (fenced) before then (finding N8: its earlier match must not count
   * once it is fenced). A voter whose thread crashed without being fenced yet still counts: it
   * acknowledged while it ran, and the leader cannot know yet. When the router sent the write
   * again (its node died, or lost its leadership), it may have been committed long before the
   * answer: a copy counts on any incarnation of a voter that was alive when it was first sent.
   */
  private checkDurable(s: Sent, what: string, holds: (item: Item | undefined) => boolean): void {
    const req = s.req as WriteRequest;
    const server = s.server;
    const hash32 = keyHash(req.k);
    const calls = this.writeCalls.get(req.wid!);
    const votersNow = votersOf(server, req.t, hash32);
    const once = calls === undefined || calls.calls === 1;
    const voters = new Set(once ? votersNow : [...votersNow, ...calls.voters]);
    const keyHex = Buffer.from(req.k).toString('hex');
    const withCopies = new Set<number>();
    const seen: string[] = [];
    // By write id first (cheap); by the durable item only if that finds fewer than two copies.
    for (const byItem of [false, true]) {
      if (byItem && withCopies.size >= 2) break;
      seen.length = 0;
      for (const [n, of] of this.env.incarnations) {
        if (of !== server) continue;
        const current = server.nodes.nodes[n.id] === n;
        const fencedAt = n.fencedAt ?? Infinity;
        const diedAt = Math.min(fencedAt, this.env.crashedAt.get(n) ?? Infinity);
        if (!current && (once || diedAt < calls.firstAt)) continue;
        let durable = n.disk.durableHasWrite(req.t, req.wid!);
        if (!durable && byItem) {
          const bytes = n.disk.durableItemsIn(req.t, hash32, hash32 + 1).get(keyHex);
          durable = holds(bytes === undefined ? undefined : decodeStoredItem(Buffer.from(bytes, 'hex')));
        }
        const alive = once ? fencedAt >= this.now - fencedCopyGraceMs : diedAt >= calls.firstAt;
        if (durable && voters.has(n.id) && alive) withCopies.add(n.id);
        // What the node's own replica of the partition holds itself to be (its voters are what a leader counts).
        let replica = '';
        for (const { machine: m } of n.node.replicas.values()) {
          if (m.table === req.t && m.ownsHash(hash32)) replica = `, its replica ${m.pid} ${m.state} e${m.epoch} voters ${m.membership.voters.join(',')}`;
        }
        seen.push(`node ${n.id}${current ? '' : ` (incarnation ${n.incarnation})`}${voters.has(n.id) ? '' : ' (not a voter)'}${this.env.crashedAt.has(n) ? ` (crashed at ${this.env.crashedAt.get(n)!.toFixed(1)} ms)` : ''}${fencedAt < Infinity ? ` (fenced at ${fencedAt.toFixed(1)} ms)` : ''}: ${durable ? 'durable' : 'no durable copy'}${replica}`);
      }
    }
    if (withCopies.size < 2) {
      const sent = calls === undefined ? '' : `sent ${calls.calls} times from ${calls.firstAt.toFixed(1)} ms, `;
      this.fail(`${what}: write ${req.wid} (${sent}acknowledged at ${this.now.toFixed(1)} ms) has ${withCopies.size} durable copies on voters; ${seen.join('; ')}`);
    }
  }

  // ---- the quiet start ---------------------------------------------------------------------

  /** Writes every stable item (before any fault): a put each, which must succeed. */
  async writeStable(): Promise<void> {
    for (const s of this.stable) await putItem(this.context([]), { TableName: s.table, Item: { pk: { S: s.key }, v: { S: s.value } } });
    for (const g of collections) {
      for (const sk of stableRows) await putItem(this.context([]), { TableName: rowsTable.name, Item: { pk: { S: g }, sk: { S: sk }, v: { S: stableRowValue(g, sk) } } });
    }
  }

  /** Whether every replica of every partition holds every stable item on its disk. */
  stableEverywhere(): boolean {
    const server = this.env.current();
    const wanted: Array<{ tableId: string; item: Item; value: string }> = [];
    for (const s of this.stable) wanted.push({ tableId: server.catalog.get(s.table)!.tableId, item: { pk: { S: s.key } }, value: s.value });
    const rows = server.catalog.get(rowsTable.name)!;
    for (const g of collections) for (const sk of stableRows) wanted.push({ tableId: rows.tableId, item: { pk: { S: g }, sk: { S: sk } }, value: stableRowValue(g, sk) });
    for (const w of wanted) {
      const table = server.catalog.all().find((t) => t.tableId === w.tableId)!;
      const key = storageKeyOf(server, table.name, w.item);
      const hash32 = keyHash(key);
      const p = table.partitions.find((x) => hash32 >= x.hashStart && hash32 < x.hashEnd)!;
      for (const r of p.replicas) {
        const bytes = server.nodes.nodes[r].disk.durableItemsIn(w.tableId, hash32, hash32 + 1).get(Buffer.from(key).toString('hex'));
        if (bytes === undefined || (decodeStoredItem(Buffer.from(bytes, 'hex')).v as { S?: string }).S !== w.value) return false;
      }
    }
    return true;
  }

  // ---- clients -----------------------------------------------------------------------------

  async client(c: number): Promise<void> {
    const client: Client = { c, proc: this.nextProcess++, lastSeen: new Map(), retryCapacity: sdkRetryCapacity };
    const random = this.env.random;
    while (!this.stop) {
      const dice = random.next() * 100;
      let ok: boolean;
      if (dice < 20) ok = await this.registerPut(client, random.pick(this.registers), false);
      else if (dice < 30) ok = await this.registerPut(client, random.pick(this.registers), true);
      else if (dice < 35) ok = await this.registerDelete(client, random.pick(this.registers), random.chance(0.5));
      else if (dice < 50) ok = await this.registerRead(client, random.pick(this.registers), true);
      else if (dice < 57) ok = await this.registerRead(client, random.pick(this.registers), false);
      else if (dice < 67) ok = await this.counterAdd(client, random.pick(this.counters));
      else if (dice < 71) ok = await this.counterRead(client, random.pick(this.counters), random.chance(0.5));
      else if (dice < 79) ok = await this.stableRead(client, random.pick(this.stable), random.chance(0.2));
      else if (dice < 90) ok = await this.queryRows(client);
      else ok = await this.batchWrite(client);
      if (!ok) return;
      await this.env.scheduler.sleep(random.next() * 20);
    }
  }

  /**
   * Puts to `count` registers of one table that `inPartition` accepts, each from a client of its
   * own, all at once and not awaited (a fault wants entries in flight on one partition's log).
   */
  burst(table: string, inPartition: (key: string) => boolean, count: number): void {
    const refs = this.registers.filter((r) => r.table === table && inPartition(r.key));
    for (let i = 0; i < count && refs.length > 0; i++) {
      const client: Client = { c: 1000 + this.nextProcess, proc: this.nextProcess++, lastSeen: new Map(), retryCapacity: sdkRetryCapacity };
      void this.registerPut(client, this.env.random.pick(refs), false);
    }
  }

  private async registerPut(client: Client, ref: RegisterRef, conditional: boolean): Promise<boolean> {
    const value = this.newValue(client.c);
    const expected = client.lastSeen.has(ref.id) ? client.lastSeen.get(ref.id)! : null;
    this.ask(ref.id, value);
    const input: Record<string, unknown> = { TableName: ref.table, Item: { pk: { S: ref.key }, v: { S: value } } };
    if (conditional) Object.assign(input, conditionOn(expected));
    const op: RegisterOp = conditional ? { kind: 'cas', expected, value, result: 'ok' } : { kind: 'write', value };
    let inFlight: HistoryEntry | null = null;
    const send = (ctx: ApiContext) => {
      inFlight = this.writeInFlight(client, ref.id, op);
      return putItem(ctx, input);
    };
    const last = await this.sdk(client, `PutItem ${ref.id}`, send, (a) => {
      if (a.outcome === 'ok') this.checkDurable(a.sent[0], `PutItem ${ref.id}`, (item) => (item?.v as { S?: string } | undefined)?.S === value);
      this.recordWrite(client, ref.id, a, a.outcome === 'fail' ? { kind: 'cas', expected, value, result: 'fail' } : op, inFlight);
      if (a.outcome === 'ok') client.lastSeen.set(ref.id, value);
      this.afterUnknown(client, a.outcome === 'unknown');
    });
    return last !== null;
  }

  private async registerDelete(client: Client, ref: RegisterRef, conditional: boolean): Promise<boolean> {
    const expected = client.lastSeen.get(ref.id) ?? null;
    const onValue = conditional && expected !== null;
    const input: Record<string, unknown> = { TableName: ref.table, Key: { pk: { S: ref.key } } };
    if (onValue) Object.assign(input, conditionOn(expected));
    let inFlight: HistoryEntry | null = null;
    const send = (ctx: ApiContext) => {
      inFlight = this.writeInFlight(client, ref.id, onValue ? { kind: 'cas', expected, value: null, result: 'ok' } : { kind: 'write', value: null });
      return deleteItem(ctx, input);
    };
    const last = await this.sdk(client, `DeleteItem ${ref.id}`, send, (a) => {
      if (a.outcome === 'ok') {
        this.env.stats.deletes++;
        if (deletedSomething(a.sent[0])) this.checkDurable(a.sent[0], `DeleteItem ${ref.id}`, (item) => item === undefined);
      }
      const op: RegisterOp = onValue ? { kind: 'cas', expected, value: null, result: a.outcome === 'fail' ? 'fail' : 'ok' } : { kind: 'write', value: null };
      this.recordWrite(client, ref.id, a, op, inFlight);
      if (a.outcome === 'ok') client.lastSeen.set(ref.id, null);
      this.afterUnknown(client, a.outcome === 'unknown');
    });
    return last !== null;
  }

  private async registerRead(client: Client, ref: RegisterRef, consistent: boolean): Promise<boolean> {
    const last = await this.sdk(client, `GetItem ${ref.id}`, (ctx) => getItem(ctx, { TableName: ref.table, Key: { pk: { S: ref.key } }, ConsistentRead: consistent }), (a) => {
      if (a.outcome !== 'ok') return;
      this.env.stats.reads++;
      const item = (JSON.parse(a.json!) as { Item?: Item }).Item;
      const value = item === undefined ? null : ((item.v as { S?: string }).S ?? null);
      if (consistent) {
        this.history(ref.id).push({ process: client.proc, invokedAt: a.invokedAt, completedAt: a.completedAt, op: { kind: 'read', result: value } });
        client.lastSeen.set(ref.id, value);
      } else {
        this.eventualReads.push({ id: ref.id, value, completedAt: a.completedAt, what: 'eventually consistent GetItem' });
      }
    });
    return last !== null;
  }

  private async counterAdd(client: Client, ref: RegisterRef): Promise<boolean> {
    const inc = this.env.random.int(1, 5);
    const op = `o${this.opCounter++}`;
    const allNew = this.env.random.chance(0.5);
    const what = `UpdateItem ADD ${ref.id}`;
    let attemptId = '';
    const last = await this.sdk(
      client,
      what,
      (ctx, n) => {
        // Each attempt is a request of its own: it is applied at most once, by its write id.
        attemptId = `${op}.${n}`;
        this.counterAttempts.set(attemptId, { key: ref.id, inc, sentAt: this.now, outcome: 'pending', ackedAt: Infinity });
        return updateItem(ctx, {
          TableName: ref.table,
          Key: { pk: { S: ref.key } },
          UpdateExpression: counterUpdate,
          ExpressionAttributeNames: { '#n': 'n', '#ops': 'ops' },
          ExpressionAttributeValues: { ':inc': { N: String(inc) }, ':empty': { L: [] }, ':id': { L: [{ S: attemptId }] } },
          ReturnValues: allNew ? 'ALL_NEW' : 'NONE',
        });
      },
      (a) => {
        const record = this.counterAttempts.get(attemptId)!;
        record.outcome = a.outcome;
        if (a.outcome === 'unknown') this.env.stats.unknown++;
        if (a.outcome === 'refused') this.env.stats.writesRefused++;
        if (a.outcome !== 'ok') return;
        record.ackedAt = a.completedAt;
        this.env.stats.writesAcked++;
        this.env.stats.updates++;
        const id = attemptId;
        this.checkDurable(a.sent[0], what, (item) => ((item?.ops as { L?: Array<{ S?: string }> } | undefined)?.L ?? []).some((x) => x.S === id));
        if (allNew) {
          const attributes = (JSON.parse(a.json!) as { Attributes?: Item }).Attributes;
          const seen = counterState(attributes);
          if (seen.ops[seen.ops.length - 1] !== id) this.fail(`${what} (ALL_NEW) at ${a.completedAt.toFixed(1)} ms: the item returned does not end with its own attempt ${id}: ${JSON.stringify(attributes)}`);
          this.counterObservations.push({ id: ref.id, ...seen, consistent: true, invokedAt: a.invokedAt, completedAt: a.completedAt, what: `${what} ALL_NEW of ${id}` });
        }
      },
    );
    return last !== null;
  }

  private async counterRead(client: Client, ref: RegisterRef, consistent: boolean): Promise<boolean> {
    const last = await this.sdk(client, `GetItem ${ref.id}`, (ctx) => getItem(ctx, { TableName: ref.table, Key: { pk: { S: ref.key } }, ConsistentRead: consistent }), (a) => {
      if (a.outcome !== 'ok') return;
      this.env.stats.reads++;
      const seen = counterState((JSON.parse(a.json!) as { Item?: Item }).Item);
      this.counterObservations.push({ id: ref.id, ...seen, consistent, invokedAt: a.invokedAt, completedAt: a.completedAt, what: `${consistent ? 'consistent' : 'eventually consistent'} GetItem` });
    });
    return last !== null;
  }

  /**
   * Eventually consistent GetItems of stable items sent straight to a random replica of their
   * partition, as the router sends one to whichever replica is the least loaded at that moment
   * (the clients' reads mostly find the leader least loaded): every replica that answers must
   * find the item, which is on its committed prefix (finding N3: not while half-installed).
   */
  async replicaProbes(): Promise<void> {
    const random = this.env.random;
    const items = [...this.stable.map((s) => ({ table: s.table, key: { pk: { S: s.key } } as Item, value: s.value, id: s.id }))];
    for (const g of collections) for (const sk of stableRows) items.push({ table: rowsTable.name, key: { pk: { S: g }, sk: { S: sk } }, value: stableRowValue(g, sk), id: `${rowsTable.name}/${g}/${sk}` });
    while (!this.stop) {
      await this.env.scheduler.sleep(1 + random.next() * 8);
      const server = this.env.current();
      const probe = random.pick(items);
      const table = server.catalog.get(probe.table);
      if (table === undefined) continue;
      const k = routeKey(keyInfoOf(table), probe.key).storageKey;
      const hash32 = keyHash(k);
      const p = table.partitions.find((x) => hash32 >= x.hashStart && hash32 < x.hashEnd)!;
      const node = random.pick(p.replicas);
      if (!server.nodes.isAlive(node)) continue;
      const req: GetRequest = { id: 0, op: Op.Get, t: table.tableId, p: p.pid, v: p.version, k, c: false };
      const sentAt = this.now;
      let res: StorageResponse;
      try {
        res = await server.nodes.call(node, req);
      } catch {
        continue; // its node died or the request timed out: the router would try another
      }
      this.env.stats.probes++;
      if (res.s !== Status.Ok) continue; // refused (not a replica that serves reads now): the router tries another
      const value = res.json == null ? null : ((JSON.parse(Buffer.from(res.json).toString('utf8')) as Item).v as { S?: string }).S;
      if (value === null) this.fail(`eventually consistent GetItem of ${probe.id} on node ${node} (${probe.table}/${p.pid}) at ${this.now.toFixed(1)} ms (sent ${sentAt.toFixed(1)} ms) answered "not found"; the item was on every replica's disk before the faults started and never changed`);
      else if (value !== probe.value) this.fail(`eventually consistent GetItem of ${probe.id} on node ${node} at ${this.now.toFixed(1)} ms answered ${value}, not its value ${probe.value}`);
    }
  }

  private async stableRead(client: Client, ref: RegisterRef & { value: string }, consistent: boolean): Promise<boolean> {
    const last = await this.sdk(client, `GetItem ${ref.id}`, (ctx) => getItem(ctx, { TableName: ref.table, Key: { pk: { S: ref.key } }, ConsistentRead: consistent }), (a) => {
      if (a.outcome !== 'ok') return;
      this.env.stats.reads++;
      this.env.stats.stableReads++;
      const item = (JSON.parse(a.json!) as { Item?: Item }).Item;
      const value = item === undefined ? null : ((item.v as { S?: string }).S ?? null);
      const kind = consistent ? 'consistent' : 'eventually consistent';
      if (value === null) this.fail(`${kind} GetItem of ${ref.id} at ${a.completedAt.toFixed(1)} ms (sent ${a.invokedAt.toFixed(1)} ms) answered "not found"; the item was written before the faults started and never changed`);
      else if (value !== ref.value) this.fail(`${kind} GetItem of ${ref.id} at ${a.completedAt.toFixed(1)} ms answered ${value}, not its value ${ref.value}`);
    });
    return last !== null;
  }

  // ---- Query and BatchWriteItem on the sort-key table ------------------------------------------

  private async queryRows(client: Client): Promise<boolean> {
    const random = this.env.random;
    const g = random.pick(collections);
    const consistent = random.chance(0.5);
    const forward = random.chance(0.7);
    const limit = random.chance(0.3) ? random.int(2, 7) : undefined;
    const kind = random.int(0, 3);
    let condition: string;
    let values: Item = { ':g': { S: g } };
    let holds: (sk: string) => boolean;
    if (kind === 0) {
      const [a, b] = [random.pick(sortKeyBounds), random.pick(sortKeyBounds)].sort();
      condition = '#pk = :g AND #sk BETWEEN :a AND :b';
      values = { ...values, ':a': { S: a }, ':b': { S: b } };
      holds = (sk) => sk >= a && sk <= b;
    } else if (kind === 1) {
      const prefix = random.pick(beginsWithPrefixes);
      condition = '#pk = :g AND begins_with(#sk, :p)';
      values = { ...values, ':p': { S: prefix } };
      holds = (sk) => sk.startsWith(prefix);
    } else if (kind === 2) {
      const x = random.pick(sortKeyBounds);
      condition = '#pk = :g AND #sk < :x';
      values = { ...values, ':x': { S: x } };
      holds = (sk) => sk < x;
    } else {
      const x = random.pick(sortKeyBounds);
      condition = '#pk = :g AND #sk >= :x';
      values = { ...values, ':x': { S: x } };
      holds = (sk) => sk >= x;
    }
    const what = `${consistent ? 'consistent' : 'eventually consistent'} Query of rows/${g} (${condition.slice(condition.indexOf('AND ') + 4)} with ${JSON.stringify(Object.fromEntries(Object.entries(values).map(([k, v]) => [k, (v as { S: string }).S])))}, ${forward ? 'forward' : 'backward'}${limit === undefined ? '' : `, Limit ${limit}`})`;
    const rows: Array<{ sk: string; value: string }> = [];
    let start: Item | undefined;
    for (let page = 0; ; page++) {
      const input: Record<string, unknown> = {
        TableName: rowsTable.name,
        KeyConditionExpression: condition,
        ExpressionAttributeNames: { '#pk': 'pk', '#sk': 'sk' },
        ExpressionAttributeValues: values,
        ConsistentRead: consistent,
        ScanIndexForward: forward,
      };
      if (limit !== undefined) input.Limit = limit;
      if (start !== undefined) input.ExclusiveStartKey = start;
      const pageStart = start;
      let next: Item | undefined;
      const last = await this.sdk(client, what, (ctx) => query(ctx, input), (a) => {
        if (a.outcome !== 'ok') return;
        this.env.stats.reads++;
        const res = JSON.parse(a.json!) as { Items: Item[]; Count: number; ScannedCount: number; LastEvaluatedKey?: Item };
        if (res.Count !== res.Items.length) this.fail(`${what}: Count ${res.Count} for ${res.Items.length} items`);
        next = res.LastEvaluatedKey;
        const pageRows = res.Items.map((item) => ({ pk: (item.pk as { S: string }).S, sk: (item.sk as { S: string }).S, value: (item.v as { S: string }).S }));
        for (const r of pageRows) {
          if (r.pk !== g || !holds(r.sk)) this.fail(`${what} returned ${r.pk}/${r.sk}, outside its key condition`);
          rows.push(r);
        }
        if (next !== undefined && (pageRows.length === 0 || (next.sk as { S: string }).S !== pageRows[pageRows.length - 1].sk)) this.fail(`${what}: LastEvaluatedKey ${JSON.stringify(next)} is not the page's last item`);
        // The rows this page covers: after the previous page's last key, up to its own (or the end).
        const from = pageStart === undefined ? null : (pageStart.sk as { S: string }).S;
        const to = next === undefined ? null : (next.sk as { S: string }).S;
        const covered = (sk: string) => holds(sk) && (forward ? (from === null || sk > from) && (to === null || sk <= to) : (from === null || sk < from) && (to === null || sk >= to));
        const found = new Map(pageRows.map((r) => [r.sk, r.value]));
        for (const sk of mutableRows) {
          if (!covered(sk)) continue;
          const id = `rows/${g}/${sk}`;
          const value = found.get(sk) ?? null;
          if (consistent) this.history(id).push({ process: client.proc, invokedAt: a.invokedAt, completedAt: a.completedAt, op: { kind: 'read', result: value } });
          else this.eventualReads.push({ id, value, completedAt: a.completedAt, what });
        }
      });
      if (last === null) return false;
      if (last.outcome !== 'ok') return true;
      if (next === undefined) break;
      start = next;
    }
    this.env.stats.queries++;
    // Whole answer: in sort-key order, each row once, every stable row the condition selects.
    for (let i = 1; i < rows.length; i++) {
      if (forward ? rows[i].sk <= rows[i - 1].sk : rows[i].sk >= rows[i - 1].sk) {
        this.fail(`${what} returned rows out of order: ${rows.map((r) => r.sk).join(' ')}`);
        break;
      }
    }
    const got = new Map(rows.map((r) => [r.sk, r.value]));
    const missing = stableRows.filter((sk) => holds(sk) && got.get(sk) !== stableRowValue(g, sk));
    if (missing.length > 0) this.fail(`${what} at ${this.now.toFixed(1)} ms missed stable rows ${missing.map((sk) => `${sk} (${got.get(sk) ?? 'not found'})`).join(', ')}`);
    return true;
  }

  private async batchWrite(client: Client): Promise<boolean> {
    const random = this.env.random;
    const count = random.int(1, 6);
    const chosen = new Map<string, { g: string; sk: string; value: string | null }>();
    while (chosen.size < count) {
      const g = random.pick(collections);
      const sk = random.pick(mutableRows);
      chosen.set(`rows/${g}/${sk}`, { g, sk, value: random.chance(0.7) ? this.newValue(client.c) : null });
    }
    for (const [id, w] of chosen) if (w.value !== null) this.ask(id, w.value);
    let pending = [...chosen.entries()];
    for (let round = 0; pending.length > 0; round++) {
      if (round > 0) {
        if (round > unprocessedResendsMax) break;
        this.env.stats.unprocessedResends++;
        await this.env.scheduler.sleep(Math.floor(random.next() * sdkRetryDelayBaseMs * 2 ** round));
      }
      const requests = pending.map(([, w]) => (w.value === null ? { DeleteRequest: { Key: { pk: { S: w.g }, sk: { S: w.sk } } } } : { PutRequest: { Item: { pk: { S: w.g }, sk: { S: w.sk }, v: { S: w.value } } } }));
      const batch = pending;
      let unprocessed: typeof pending = [];
      const what = `BatchWriteItem of ${batch.map(([id, w]) => `${w.value === null ? 'delete' : 'put'} ${id}`).join(', ')}`;
      // Each write is checked for two durable copies as it is acknowledged, not when the batch answers.
      const acked = (s: Sent, i: number): void => {
        const [id, w] = batch[i];
        if (w.value !== null) this.checkDurable(s, `${what}: ${id}`, (item) => (item?.v as { S?: string } | undefined)?.S === w.value);
        else if (deletedSomething(s)) this.checkDurable(s, `${what}: ${id}`, (item) => item === undefined);
      };
      const observe = (a: Attempt): void => {
        this.env.stats.batchWrites++;
        if (a.sent.length !== 0 && a.sent.length !== batch.length) this.fail(`${what}: ${a.sent.length} requests sent for ${batch.length} writes`);
        let anyUnknown = false;
        const failed: typeof pending = [];
        for (let i = 0; i < a.sent.length; i++) {
          const s = a.sent[i];
          const [id, w] = batch[i];
          const outcome = s.outcome === 'pending' ? a.outcome : s.outcome;
          if (outcome !== 'ok') failed.push(batch[i]);
          if (outcome === 'ok' && w.value === null) this.env.stats.deletes++;
          this.recordWrite(client, id, { outcome, invokedAt: a.invokedAt, completedAt: a.completedAt }, { kind: 'write', value: w.value });
          anyUnknown ||= outcome === 'unknown';
        }
        if (a.outcome === 'ok') {
          // What the answer calls unprocessed is exactly what failed.
          const res = JSON.parse(a.json!) as { UnprocessedItems: Record<string, Array<{ PutRequest?: { Item: Item }; DeleteRequest?: { Key: Item } }>> };
          const listed = (res.UnprocessedItems[rowsTable.name] ?? []).map((r) => {
            const key = r.PutRequest?.Item ?? r.DeleteRequest!.Key;
            return `rows/${(key.pk as { S: string }).S}/${(key.sk as { S: string }).S}`;
          });
          if (listed.sort().join() !== failed.map(([id]) => id).sort().join()) this.fail(`${what} at ${a.completedAt.toFixed(1)} ms: UnprocessedItems ${listed.join(' ')}, but the writes that failed were ${failed.map(([id]) => id).join(' ')}`);
          unprocessed = failed;
        }
        this.afterUnknown(client, anyUnknown);
      };
      const last = await this.sdk(client, what, (ctx) => batchWriteItem(ctx, { RequestItems: { [rowsTable.name]: requests } }), observe, acked);
      if (last === null) return false;
      if (last.outcome !== 'ok') break;
      pending = unprocessed;
    }
    return true;
  }

  // ---- the end -----------------------------------------------------------------------------

  /**
   * After the faults: a consistent read of every register, counter and stable item, and a
   * consistent Query of every item collection, each closing its histories.
   */
  async finalReads(): Promise<void> {
    const proc = () => this.nextProcess++;
    for (const ref of this.registers) {
      const invokedAt = this.now;
      const json = bodyText(await getItem(this.context([]), { TableName: ref.table, Key: { pk: { S: ref.key } }, ConsistentRead: true }));
      const item = (JSON.parse(json) as { Item?: Item }).Item;
      this.history(ref.id).push({ process: proc(), invokedAt, completedAt: this.now, op: { kind: 'read', result: item === undefined ? null : ((item.v as { S?: string }).S ?? null) } });
    }
    for (const ref of this.counters) {
      const invokedAt = this.now;
      const json = bodyText(await getItem(this.context([]), { TableName: ref.table, Key: { pk: { S: ref.key } }, ConsistentRead: true }));
      const item = (JSON.parse(json) as { Item?: Item }).Item;
      this.finalCounters.set(ref.id, item === undefined ? null : { id: ref.id, ...counterState(item), consistent: true, invokedAt, completedAt: this.now, what: 'final consistent GetItem' });
    }
    for (const ref of this.stable) {
      const json = bodyText(await getItem(this.context([]), { TableName: ref.table, Key: { pk: { S: ref.key } }, ConsistentRead: true }));
      const value = ((JSON.parse(json) as { Item?: Item }).Item?.v as { S?: string } | undefined)?.S;
      if (value !== ref.value) this.fail(`final consistent GetItem of ${ref.id} answered ${value ?? '"not found"'}`);
    }
    for (const g of collections) {
      const invokedAt = this.now;
      const json = bodyText(await query(this.context([]), { TableName: rowsTable.name, KeyConditionExpression: '#pk = :g', ExpressionAttributeNames: { '#pk': 'pk' }, ExpressionAttributeValues: { ':g': { S: g } }, ConsistentRead: true }));
      const res = JSON.parse(json) as { Items: Item[]; LastEvaluatedKey?: Item };
      if (res.LastEvaluatedKey !== undefined) this.fail(`final Query of rows/${g} did not fit one page`);
      const found = new Map(res.Items.map((item) => [(item.sk as { S: string }).S, (item.v as { S: string }).S]));
      const p = proc();
      for (const sk of mutableRows) this.history(`rows/${g}/${sk}`).push({ process: p, invokedAt, completedAt: this.now, op: { kind: 'read', result: found.get(sk) ?? null } });
      const missing = stableRows.filter((sk) => found.get(sk) !== stableRowValue(g, sk));
      if (missing.length > 0) this.fail(`final Query of rows/${g} missed stable rows ${missing.join(', ')}`);
    }
  }
}

function stableRowValue(g: string, sk: string): string {
  return `stable-rows-${g}-${sk}`;
}

/** The replicas the catalog lists for the partition holding `hash32`. */
/**
 * The voters an election would count for the partition holding `hash32`, as ControlPlane.elect
 * does: the catalog's, and those of a newer membership a live replica holds (a publish reaches
 * the nodes before the catalog).
 */
function votersOf(server: SimServer, tableId: string, hash32: number): number[] {
  for (const t of server.catalog.all()) {
    if (t.tableId !== tableId) continue;
    for (const p of t.partitions) {
      if (!(hash32 >= p.hashStart && hash32 < p.hashEnd)) continue;
      const voters = new Set(p.replicas);
      for (const n of server.nodes.nodes) {
        if (!n.alive) continue;
        for (const { machine: m } of n.node.replicas.values()) {
          if (m.table === tableId && m.ownsHash(hash32) && m.membership.version > p.version) for (const v of m.membership.voters) voters.add(v);
        }
      }
      return [...voters];
    }
  }
  return [];
}

function storageKeyOf(server: SimServer, tableName: string, key: Item): Uint8Array {
  return routeKey(keyInfoOf(server.catalog.get(tableName)!), key).storageKey;
}

/**
 * Whether an acknowledged delete removed an item (its answer counts the old item's bytes). A
 * delete of an absent item appends nothing: the leader answers once the state it decided on is
 * committed, so there is no copy of it to count.
 */
function deletedSomething(s: Sent): boolean {
  return (s.res?.n ?? 0) > 0;
}

/** ConditionExpression that the item's v is `expected` (absent when null). */
function conditionOn(expected: string | null): Record<string, unknown> {
  return expected === null
    ? { ConditionExpression: 'attribute_not_exists(#v)', ExpressionAttributeNames: { '#v': 'v' } }
    : { ConditionExpression: '#v = :e', ExpressionAttributeNames: { '#v': 'v' }, ExpressionAttributeValues: { ':e': { S: expected } } };
}

/** A counter item's count and list of attempts (an absent item: 0 and none). */
export function counterState(item: Item | undefined): { ops: string[]; n: number } {
  if (item === undefined) return { ops: [], n: 0 };
  const ops = ((item.ops as { L?: Array<{ S: string }> } | undefined)?.L ?? []).map((x) => x.S);
  return { ops, n: Number((item.n as { N?: string } | undefined)?.N ?? 0) };
}

/** How a DynamoDB client sees an error; null for anything no client expects. */
function classify(err: unknown): Outcome | null {
  if (!(err instanceof DynamoError)) return null;
  switch (err.kind.name) {
    case 'ConditionalCheckFailedException':
      return 'fail';
    case 'InternalServerError':
      return 'unknown';
    case 'ServiceUnavailable':
      return 'refused';
    case 'ProvisionedThroughputExceededException':
    case 'ThrottlingException':
    case 'RequestLimitExceeded':
      return 'throttled';
    default:
      return null;
  }
}
