// The transaction coordinator (main thread), as DynamoDB's: a transaction is first written to
// the ledger (durable), then prepared on every item's partition leader (each prepare checks its
// action against the item, records the image to write and locks the item, through the
// partition's replication log), then, once every prepare succeeded, marked committing in the
// ledger and committed on every item (the image written, the lock released, one log entry per
// item); if any prepare failed, it is marked cancelling and every lock is released. A
// transaction the coordinator could not finish (a partition unreachable, the process killed)
// is finished from the ledger: committing ones are committed, the others cancelled, so no
// partial transaction is ever visible and no item stays locked for good.
//
// Isolation: a locked item refuses other writes (TransactionConflictException) and other
// transactions' prepares (TransactionConflict), so transactions and single-item writes
// serialize; GetItem reads the last committed item; TransactGetItems refuses locked items and
// reads every item twice (all first reads, then all second reads): equal answers held together
// at one moment between the two rounds.
import { randomUUID } from 'node:crypto';
import type { Router } from '../router/router.ts';
import type { Clock } from '../control/clock.ts';
import { DynamoError } from '../protocol/errors.ts';
import { Op, ReturnValues, WriteKind, type GetRequest, type WriteExpressions, type WriteRequest } from '../storage/messages.ts';
import type { Item } from '../values/types.ts';
import type { Ledger, LedgerItem, LedgerRecord } from './ledger.ts';
import { log } from '../server/logger.ts';
import { clientRequestTokenMs } from '../limits.ts';
import { FinishBatcher } from './finish-batcher.ts';
import { decodeIndexSpec } from '../indexes/index-spec.ts';
import { hasLocalIndex } from '../storage/item-collections.ts';
import { bufferView } from '../storage/buffer-view.ts';

/** One action of a TransactWriteItems, validated and routed. */
export interface TxWriteAction {
  item: LedgerItem;
  /** WriteKind.Put, Update or Delete; 0: ConditionCheck. */
  kind: number;
  put: Item | null;
  sz: number;
  key: Item | null;
  x: WriteExpressions | null;
  rvf: boolean;
}

/** One item of a TransactGetItems. */
export interface TxGet {
  tableId: string;
  k: Uint8Array;
  hash32: number;
}

export interface CancellationReason {
  Code: string;
  Message?: string;
  Item?: Item;
}

/** A committed transaction: per action the bytes it wrote, and for tables with local indexes its item collection's size after. */
export type TxWriteResult = { committed: true; bytes: number[]; collectionBytes: Array<number | undefined> } | { committed: false; reasons: CancellationReason[] };
export type TxGetResult = { ok: true; items: Array<string | null>; bytes: number[] } | { ok: false; reasons: CancellationReason[] };

export interface CoordinatorOptions {
  clock: Clock;
  /** Runs a function once the current turn of the event loop is done (setImmediate; the simulator's clock in tests). */
  defer?: (fn: () => void) => void;
  /** How often the ledger is looked at for transactions nobody is finishing. */
  recoveryIntervalMs: number;
}

/** TransactGetItems rounds before a changing item counts as a conflict. */
const readRoundsMax = 3;

export class TransactionCoordinator {
  private readonly ledger: Ledger;
  private readonly router: Router;
  private readonly options: CoordinatorOptions;
  /** Transactions a coordinator call is working on now (recovery leaves them alone). */
  private readonly active = new Set<string>();
  /** ClientRequestTokens of requests running now, with their request digests. */
  private readonly runningTokens = new Map<string, string>();
  private timer: ReturnType<typeof setInterval> | null = null;
  private recovering: Promise<void> | null = null;
  private stopped = false;

  /** Commits and cancels bound for one partition in one turn go as one log entry. */
  private readonly finishes: FinishBatcher;

  constructor(ledger: Ledger, router: Router, options: CoordinatorOptions) {
    this.ledger = ledger;
    this.router = router;
    this.options = options;
    this.finishes = new FinishBatcher(router, options.defer ?? setImmediate);
  }

  /** Finishes what the ledger holds from before (a crash), then looks again periodically. */
  async start(): Promise<void> {
    await this.recoverNow();
    this.timer = setInterval(() => void this.recoverNow(), this.options.recoveryIntervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer !== null) clearInterval(this.timer);
    await this.recovering;
  }

  /**
   * Runs a request with a ClientRequestToken once: the same token with the same request answers
   * as the first did (for 10 minutes), without running it again; while the first still runs,
   * TransactionInProgressException; with another request, IdempotentParameterMismatchException.
   * A request that failed leaves the token free.
   */
  async once(token: string, request: string, run: () => Promise<string>): Promise<string> {
    const now = this.options.clock.now();
    const running = this.runningTokens.get(token);
    const done = this.ledger.token(token);
    const known = running ?? (done !== undefined && done.expiresAt > now ? done.request : undefined);
    if (known !== undefined && known !== request) {
      throw new DynamoError('IdempotentParameterMismatchException', 'The request uses the same client token as a previous, but non-identical request.');
    }
    // DynamoDB's words on the wire (aws/aws-sdk-java-v2#2518); the API reference describes the exception otherwise.
    if (running !== undefined) throw new DynamoError('TransactionInProgressException', 'Transaction from previous request is still in progress');
    if (done !== undefined && done.expiresAt > now && done.answer !== undefined) return done.answer;
    this.runningTokens.set(token, request);
    try {
      const answer = await run();
      await this.ledger.putToken({ token, request, state: 'done', answer, expiresAt: this.options.clock.now() + clientRequestTokenMs });
      return answer;
    } finally {
      this.runningTokens.delete(token);
      this.forgetExpiredTokens();
    }
  }

  private forgetExpiredTokens(): void {
    const now = this.options.clock.now();
    for (const t of this.ledger.tokens()) if (t.expiresAt <= now) void this.ledger.removeToken(t.token);
  }

  /** Transactions in the ledger that no coordinator call is finishing. */
  unfinished(): LedgerRecord[] {
    return this.ledger.all().filter((r) => !this.active.has(r.id));
  }

  recoverNow(): Promise<void> {
    this.recovering ??= this.recover().finally(() => {
      this.recovering = null;
    });
    return this.recovering;
  }

  private async recover(): Promise<void> {
    for (const record of this.unfinished()) {
      if (this.stopped) return;
      this.active.add(record.id);
      try {
        const commit = record.state === 'committing';
        if (!commit && record.state !== 'cancelling') await this.ledger.put({ ...record, state: 'cancelling' });
        await Promise.all(record.items.map((item) => this.finish(record.id, item, commit)));
        await this.ledger.remove(record.id);
      } catch (err) {
        // A partition still unreachable: the next round tries again.
        if (!(err instanceof DynamoError)) log.error(`finishing transaction ${record.id}:`, err);
      } finally {
        this.active.delete(record.id);
      }
    }
  }

  /** Runs a TransactWriteItems: prepare everywhere, then commit everywhere, or cancel everywhere. */
  async write(actions: readonly TxWriteAction[]): Promise<TxWriteResult> {
    const id = randomUUID();
    this.active.add(id);
    try {
      const record: LedgerRecord = { id, state: 'preparing', items: actions.map((a) => a.item), at: this.options.clock.now() };
      await this.ledger.put(record);
      const prepared = await Promise.allSettled(actions.map((a) => this.prepare(id, a)));
      const reasons: CancellationReason[] = prepared.map((p) => (p.status === 'fulfilled' ? { Code: 'None' } : reasonOf(p.reason)));
      const committed = reasons.every((r) => r.Code === 'None');
      // Anything but a refusal by the item (an unreachable partition, a failed node) fails the whole call, after the cancel.
      const failure = prepared.find((p) => p.status === 'rejected' && reasonOf(p.reason).Code === '');
      await this.ledger.put({ ...record, state: committed ? 'committing' : 'cancelling' });
      const collectionBytes = await Promise.all(actions.map((a) => this.finishUntilDone(id, a.item, committed)));
      // Finished on every item: the answer need not wait for the record to go (one synced write
      // less on the way). A crash before it goes leaves a record whose finishes change nothing.
      void this.ledger.remove(id).catch((err) => log.error(`removing finished transaction ${id} from the ledger:`, err));
      if (failure !== undefined) throw (failure as PromiseRejectedResult).reason;
      if (!committed) return { committed: false, reasons };
      return { committed: true, bytes: prepared.map((p) => (p.status === 'fulfilled' ? p.value : 0)), collectionBytes };
    } finally {
      this.active.delete(id);
    }
  }

  /** Reads every item twice, refusing locked ones: the answers of a round in which none changed. */
  async read(gets: readonly TxGet[]): Promise<TxGetResult> {
    let previous: Array<string | null> | null = null;
    for (let round = 0; round < readRoundsMax + 1; round++) {
      const settled = await Promise.allSettled(gets.map((g) => this.readOne(g)));
      const reasons: CancellationReason[] = settled.map((s) => (s.status === 'fulfilled' ? { Code: 'None' } : reasonOf(s.reason)));
      const failure = settled.find((s) => s.status === 'rejected' && reasonOf(s.reason).Code === '');
      if (failure !== undefined) throw (failure as PromiseRejectedResult).reason;
      if (reasons.some((r) => r.Code !== 'None')) return { ok: false, reasons };
      const items = settled.map((s) => (s as PromiseFulfilledResult<{ item: string | null; bytes: number }>).value.item);
      const bytes = settled.map((s) => (s as PromiseFulfilledResult<{ item: string | null; bytes: number }>).value.bytes);
      if (previous !== null) {
        const changed = items.map((item, i) => item !== previous![i]);
        if (!changed.some(Boolean)) return { ok: true, items, bytes };
        if (round === readRoundsMax) return { ok: false, reasons: changed.map((c) => (c ? { Code: 'TransactionConflict', Message: transactionConflictReason } : { Code: 'None' })) };
      }
      previous = items;
    }
    throw new Error('unreachable');
  }

  private async readOne(g: TxGet): Promise<{ item: string | null; bytes: number }> {
    const req: GetRequest = { id: 0, op: Op.Get, t: g.tableId, p: 0, v: 0, k: g.k, c: true, tl: true };
    const res = await this.router.sendByHash(g.tableId, g.hash32, req, true);
    // Compared across read rounds and projected: as text.
    return { item: res.json == null ? null : bufferView(res.json).toString('utf8'), bytes: res.n ?? 0 };
  }

  /** Prepares one action on its item's leader; resolves with the bytes it will write (capacity), rejects with the item's refusal. */
  private async prepare(id: string, a: TxWriteAction): Promise<number> {
    const req: WriteRequest = { id: 0, op: Op.Write, t: a.item.tableId, p: 0, v: 0, k: a.item.k, w: WriteKind.TxPrepare, item: a.put, sz: a.sz, key: a.key, x: a.x, rv: ReturnValues.NONE, rvf: a.rvf, tx: id, ta: a.kind };
    if (a.item.ix !== undefined) req.ix = a.item.ix;
    const res = await this.router.sendByHash(a.item.tableId, a.item.hash32, req, true);
    return res.n ?? 0;
  }

  /**
   * Commits (or cancels) the transaction on one item; changes nothing where it is done already.
   * Resolves with the item collection's size after, for a table with local indexes (whose
   * finishes go alone to answer it); the others share entries (FinishBatcher).
   */
  private async finish(id: string, item: LedgerItem, commit: boolean): Promise<number | undefined> {
    if (!hasLocalIndexSpec(item)) {
      await this.finishes.finish(id, item, commit);
      return undefined;
    }
    const req: WriteRequest = { id: 0, op: Op.Write, t: item.tableId, p: 0, v: 0, k: item.k, w: commit ? WriteKind.TxCommit : WriteKind.TxCancel, item: null, sz: 0, key: null, x: null, rv: ReturnValues.NONE, rvf: false, tx: id };
    if (commit && item.ix !== undefined) req.ix = item.ix;
    return (await this.router.sendByHash(item.tableId, item.hash32, req, true, true)).ic;
  }

  /** finish(), retried until it is done: a committed transaction's writes must be visible when it is answered. */
  private async finishUntilDone(id: string, item: LedgerItem, commit: boolean): Promise<number | undefined> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.finish(id, item, commit);
      } catch (err) {
        // A table deleted meanwhile has nothing left to finish.
        if (err instanceof DynamoError && err.kind.name === 'ResourceNotFoundException') return undefined;
        if (this.stopped) throw err;
        await this.options.clock.sleep(Math.min(1000, 10 << Math.min(attempt, 7)));
      }
    }
  }
}

const transactionConflictReason = 'Transaction is ongoing for the item';

/** The cancellation reason a refusal of one item gives (Code '' for a failure that is not the item's). */
function reasonOf(err: unknown): CancellationReason {
  if (!(err instanceof DynamoError)) return { Code: '' };
  switch (err.kind.name) {
    case 'ConditionalCheckFailedException': {
      const reason: CancellationReason = { Code: 'ConditionalCheckFailed', Message: err.message };
      if (err.extra?.Item !== undefined) reason.Item = err.extra.Item as Item;
      return reason;
    }
    case 'TransactionConflictException':
      return { Code: 'TransactionConflict', Message: transactionConflictReason };
    case 'ProvisionedThroughputExceededException':
      return { Code: 'ProvisionedThroughputExceeded', Message: err.message };
    case 'ThrottlingException':
      return { Code: 'ThrottlingError', Message: err.message };
    case 'ItemCollectionSizeLimitExceededException':
      return { Code: 'ItemCollectionSizeLimitExceeded', Message: err.message };
    case 'ValidationException':
      return { Code: 'ValidationError', Message: err.message };
    default:
      return { Code: '' };
  }
}

/** Whether the item's table has local secondary indexes (its commits answer their collection's size). */
function hasLocalIndexSpec(item: LedgerItem): boolean {
  return item.ix !== undefined && hasLocalIndex(decodeIndexSpec(item.ix));
}
