// Eventually consistent point reads answered on the front door's thread, from a storage node's
// B-tree, without the hop to the node's thread: LMDB lets every thread of the process read an
// environment. The node publishes when its B-tree holds what it applied to a key and which of its
// replicas serve eventually consistent reads (storage/read-visibility.ts); otherwise, and for
// consistent reads and writes, the request goes to the node as before.
import { performance, type EventLoopUtilization } from 'node:perf_hooks';
import { open, type Database, type RootDatabase } from 'lmdb';
import { environmentOptions, followerDataDbOptions, itemsDbOptions } from '../storage/lmdb-tree.ts';
import { tableTag, type SpanStamp } from '../storage/read-visibility.ts';
import type { NodeReadView } from '../control/storage-threads.ts';
import type { RangePage, ScanPage } from '../storage/range-read.ts';
import { SteppedPage } from '../storage/stepped-range.ts';
import type { RangeRequest } from '../storage/messages.ts';
import type { ItemEntry, ItemRangeOptions, ItemTree } from '../storage/node-store.ts';
import { encodeHashPrefix } from '../storage/key-encoding.ts';
import { bufferView } from '../storage/buffer-view.ts';
import { hashSpaceEnd } from './partition-map.ts';

/**
 * A Query or Scan page read here reads about this many bytes of stored items in one go (a step
 * ends after the item that reaches it, and an item may be 400 KB); a longer page (a page may read
 * 1 MB) goes on in further steps, each in a later turn of the event loop, so that the thread
 * answers other requests between them instead of holding them for milliseconds.
 */
export const localPageStepBytes = 64 * 1024;

/** How a step of a page read here went: the page is complete, has more to read, or the node must be asked. */
const enum Step {
  Done,
  More,
  AskNode,
}

/** The next turn of the event loop, after the I/O waiting now. */
function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** The first 4 bytes of an item key (or a Scan's bound) are its partition key's hash. */
function hashOfKey(key: Uint8Array): number {
  return ((key[0] << 24) | (key[1] << 16) | (key[2] << 8) | key[3]) >>> 0;
}

/**
 * Whether this thread has time to spare for reads. With one front-door thread, a read answered
 * here costs it more than handing the read to a storage thread does (measured: a signed GetItem
 * 37 against 29 µs of this thread), so once the thread is nearly full, reads go back to the
 * storage threads, which have the CPU then: throughput stays what it was, and below that load
 * reads are answered sooner and cheaper in all.
 */
export class FrontDoorLoad {
  spare = true;
  private readonly busyMax: number;
  private last: EventLoopUtilization;
  private timer: NodeJS.Timeout | null = null;

  /** `busyMax`: the share of the last interval the event loop may have been busy (1: always spare). */
  constructor(busyMax: number) {
    this.busyMax = busyMax;
    this.last = performance.eventLoopUtilization();
  }

  start(intervalMs = 100): void {
    if (this.busyMax >= 1) return;
    this.timer = setInterval(() => this.sample(), intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
  }

  private sample(): void {
    const now = performance.eventLoopUtilization();
    this.spare = hasTimeToSpare(this.spare, performance.eventLoopUtilization(now, this.last).utilization, this.busyMax);
    this.last = now;
  }
}

/** Hysteresis: reads come back to this thread only once it is clearly below the bound, so that it does not flip every interval. */
export function hasTimeToSpare(spare: boolean, busy: number, busyMax: number): boolean {
  return spare ? busy <= busyMax : busy < busyMax - spareHysteresis;
}

const spareHysteresis = 0.15;

/** Where the live nodes' read views come from (the storage threads). */
export interface ReadViews {
  readView(node: number): NodeReadView | null;
}

/** The environment options every thread opens a node's directory with (lmdb-tree.ts). */
export interface LocalReadEnvironment {
  sync: boolean;
  mapSizeBytes: number;
  encryptionKey?: string;
  /** The nodes' bound on a page's JSON (storage-settings.ts): a page read here ends where theirs would. */
  pageJsonBudgetBytes: number;
}

/**
 * Values read in place from lmdb-js's read buffer (one per thread, overwritten by the next read of
 * any database on this thread), valid until that next read: a range read
 * copies each item's JSON into its page at once, so it needs no copy of its own (measured: a
 * 10-item page 19-20 µs with a copy of each value, 9-10 µs without). Point reads keep their copy:
 * their answer outlives the next read: they read in place too (getBinaryFast) and copy the value
 * at once into node's pool of small buffers, where getBinary's copy is a new ArrayBuffer each time
 * (zero-filled, tracked by V8 until collected).
 */
const inPlaceValues = {
  encode: (value: Buffer): Buffer => value,
  decode: (bytes: Buffer, size?: unknown): Buffer => bytes.subarray(0, typeof size === 'number' ? size : bytes.length),
};

/**
 * Keys read in place as well: for a 'binary' key encoding lmdb-js copies each key of a walk into
 * a new ArrayBuffer (slice); this key encoder hands out a view of its key buffer, valid until the
 * walk moves on or another read on this thread (readRange uses a key only before either, and
 * copies the keys it keeps).
 */
const inPlaceKeys = {
  writeKey(key: Uint8Array, target: Uint8Array, start: number): number {
    target.set(key, start);
    return start + key.length;
  },
  readKey: (target: Buffer, start: number, end: number): Buffer => target.subarray(start, end),
};

/** lmdb-js takes an `encoder` and a `keyEncoder` among a database's options; its typings leave them out. */
function inPlaceOptions(options: ReturnType<typeof itemsDbOptions>): ReturnType<typeof itemsDbOptions> {
  const { keyEncoding: _binaryKeys, ...rest } = options;
  return { ...rest, encoder: inPlaceValues, keyEncoder: inPlaceKeys } as unknown as ReturnType<typeof itemsDbOptions>;
}

/**
 * A reverse walk ends below every storage key, as it does for 'binary' keys: lmdb-js's default end
 * for keys it does not encode itself is 0x05, which would leave out keys that start below it.
 */
const belowEveryKey = Buffer.from([0]);

/** An in-place database as readRange walks it. */
class InPlaceWalk implements ItemTree {
  private readonly db: Database<Buffer, Buffer>;

  constructor(db: Database<Buffer, Buffer>) {
    this.db = db;
  }

  get(key: Buffer): Buffer | undefined {
    return this.db.get(key);
  }

  getRange(options: ItemRangeOptions): Iterable<ItemEntry> {
    return this.db.getRange(options.reverse === true && options.end === undefined ? { ...options, end: belowEveryKey } : options) as Iterable<ItemEntry>;
  }
}

interface OpenedNode {
  view: NodeReadView;
  root: RootDatabase;
  /** A table's items and followers' data, by database name, and for range reads (values read in place) by that name and '>'. */
  dbs: Map<string, Database<Buffer, Buffer>>;
  /** dbs' items databases by table id: a point read finds its database without making its name. */
  items: Map<string, Database<Buffer, Buffer>>;
  /** dbs' in-place databases (keys and values read in place) as range reads walk them, by database name. */
  walks: Map<string, InPlaceWalk>;
  /** The generation this thread's read transaction of the environment was renewed at. */
  generation: number;
  /** Databases not in the B-tree at a generation: tried again only at a later one. */
  missing: Map<string, number>;
}

export class LocalReads {
  private readonly views: ReadViews;
  private readonly environment: LocalReadEnvironment;
  private readonly load: { readonly spare: boolean };
  private readonly opened: Array<OpenedNode | undefined> = [];
  /** Closed: a page still being read in steps asks the node for the rest rather than reopen an environment. */
  private closed = false;
  /** Reads answered here, and those sent on to a node (operators, tests). */
  served = 0;
  passed = 0;

  constructor(views: ReadViews, environment: LocalReadEnvironment, load: { readonly spare: boolean }) {
    this.views = views;
    this.environment = environment;
    this.load = load;
  }

  /**
   * The stored bytes of the item at `key` as node `node` last applied it, null when it holds no
   * such item, or undefined when the node must be asked (its B-tree may lag for this key, no
   * replica of it serves eventual reads there, or something moved during the read).
   */
  get(tableId: string, node: number, hash32: number, key: Uint8Array): Buffer | null | undefined {
    if (!this.load.spare) return this.pass();
    const view = this.views.readView(node);
    if (view === null) return this.pass();
    const opened = this.openedNode(node, view);
    const stamp = view.visibility.readable(tableTag(tableId), hash32);
    if (stamp === null) return this.pass();
    const db = this.itemsDb(opened, tableId, stamp.generation);
    if (db === undefined) return this.pass();
    // A checkpoint was committed since this thread's read transaction began: see it.
    if (opened.generation !== stamp.generation) {
      opened.root.resetReadTxn();
      opened.generation = stamp.generation;
    }
    const inPlace = db.getBinaryFast(bufferView(key));
    if (!view.visibility.stillReadable(stamp, hash32)) return this.pass();
    this.served++;
    if (inPlace === undefined) return null;
    // lmdb-js's read buffer is longer than the value and says the value's size in its own `length`
    // property (which Buffer's copy would trust): take a view of that many bytes, then copy it.
    const size = inPlace.length;
    const value = Buffer.allocUnsafe(size);
    value.set(Uint8Array.prototype.subarray.call(inPlace, 0, size));
    return value;
  }

  /**
   * A Query page of one partition key (hash32) as node `node` last applied its items, or
   * undefined when the node must be asked (as for get). A page longer than localPageStepBytes is
   * read in steps, and promised.
   */
  query(tableId: string, node: number, hash32: number, req: RangeRequest): RangePage | undefined | Promise<RangePage | undefined> {
    if (!this.load.spare) return this.pass();
    const page = new SteppedPage(req, localPageStepBytes, this.environment.pageJsonBudgetBytes);
    const step = this.queryStep(tableId, node, hash32, page);
    if (step === Step.AskNode) return this.pass();
    if (step === Step.More) return this.finishQuery(tableId, node, hash32, page);
    this.served++;
    return page.page();
  }

  /**
   * A Scan page from `req.lo` on, stopping where the replica on `node` that holds it ends (its
   * answer says where: `end`), or undefined: ask the node. Long pages in steps, as for query.
   */
  scan(tableId: string, node: number, req: RangeRequest): ScanPage | undefined | Promise<ScanPage | undefined> {
    if (!this.load.spare) return this.pass();
    const view = this.views.readView(node);
    if (view === null) return this.pass();
    const requestedEnd = req.hi === null ? hashSpaceEnd : hashOfKey(req.hi);
    const fromHash = hashOfKey(req.lo);
    const stamp = view.visibility.readableSpan(tableTag(tableId), fromHash, requestedEnd);
    if (stamp === null) return this.pass();
    // As a node does: the page stops at the end of its replica's range (stamp.end: at most requestedEnd).
    const pageReq = stamp.end < requestedEnd ? { ...req, hi: encodeHashPrefix(stamp.end) } : req;
    const page = new SteppedPage(pageReq, localPageStepBytes, this.environment.pageJsonBudgetBytes);
    const step = this.readScanStep(node, view, tableId, stamp, fromHash, page);
    if (step === Step.AskNode) return this.pass();
    if (step === Step.More) return this.finishScan(tableId, node, page, stamp.end);
    this.served++;
    return { page: page.page(), end: stamp.end };
  }

  private async finishQuery(tableId: string, node: number, hash32: number, page: SteppedPage): Promise<RangePage | undefined> {
    for (;;) {
      await nextTurn();
      const step = this.queryStep(tableId, node, hash32, page);
      if (step === Step.AskNode) return this.pass();
      if (step === Step.Done) {
        this.served++;
        return page.page();
      }
    }
  }

  private async finishScan(tableId: string, node: number, page: SteppedPage, end: number): Promise<ScanPage | undefined> {
    for (;;) {
      await nextTurn();
      const step = this.scanStep(tableId, node, page, end, page.nextLo);
      if (step === Step.AskNode) return this.pass();
      if (step === Step.Done) {
        this.served++;
        return { page: page.page(), end };
      }
    }
  }

  /** One step of a Query page, if the node's B-tree holds all it applied to the partition key, before and after. */
  private queryStep(tableId: string, node: number, hash32: number, page: SteppedPage): Step {
    const view = this.views.readView(node);
    if (view === null) return Step.AskNode;
    const stamp = view.visibility.readable(tableTag(tableId), hash32);
    if (stamp === null) return Step.AskNode;
    const done = this.readStep(node, view, tableId, stamp.generation, page);
    if (done === undefined || !view.visibility.stillReadable(stamp, hash32)) return Step.AskNode;
    return done ? Step.Done : Step.More;
  }

  /**
   * One step of a Scan page from `from` (a key) on, if the node's B-tree holds all it applied
   * from there to `end` (where the page stops), before and after, and its replica still reaches `end`.
   */
  private scanStep(tableId: string, node: number, page: SteppedPage, end: number, from: Uint8Array): Step {
    const view = this.views.readView(node);
    if (view === null) return Step.AskNode;
    const fromHash = hashOfKey(from);
    const stamp = view.visibility.readableSpan(tableTag(tableId), fromHash, end);
    if (stamp === null || stamp.end < end) return Step.AskNode;
    return this.readScanStep(node, view, tableId, stamp, fromHash, page);
  }

  /** Reads a Scan step under `stamp` (readable from fromHash on): AskNode if something moved meanwhile. */
  private readScanStep(node: number, view: NodeReadView, tableId: string, stamp: SpanStamp, fromHash: number, page: SteppedPage): Step {
    const done = this.readStep(node, view, tableId, stamp.generation, page);
    if (done === undefined || !view.visibility.stillReadableSpan(stamp, fromHash)) return Step.AskNode;
    return done ? Step.Done : Step.More;
  }

  /** Reads the page's next step from the node's B-tree: true once the page is complete, undefined when the B-tree lacks its table. */
  private readStep(node: number, view: NodeReadView, tableId: string, generation: number, page: SteppedPage): boolean | undefined {
    if (this.closed) return undefined;
    const opened = this.openedNode(node, view);
    const req = page.req;
    // The items, and a local secondary index's entries (the followers' data beside them, as on the node: read-serve.ts), read in place.
    const walked = this.inPlaceWalk(opened, req.fd === true ? followerDataDbOptions(tableId, false) : itemsDbOptions(tableId, false), generation);
    if (walked === undefined) return undefined;
    // The items an index's entries stand for, when asked for: kept while the entries are walked.
    let fetchFrom: Database<Buffer, Buffer> | undefined;
    if (req.fd === true && req.tk !== undefined) {
      fetchFrom = this.itemsDb(opened, tableId, generation);
      if (fetchFrom === undefined) return undefined;
    }
    if (opened.generation !== generation) {
      opened.root.resetReadTxn();
      opened.generation = generation;
    }
    return page.step(walked, fetchFrom);
  }

  close(): void {
    this.closed = true;
    for (const opened of this.opened) opened?.root.close();
    this.opened.length = 0;
  }

  private pass(): undefined {
    this.passed++;
    return undefined;
  }

  private openedNode(node: number, view: NodeReadView): OpenedNode {
    const had = this.opened[node];
    if (had !== undefined && had.view === view) return had;
    // A new incarnation of the node (a replacement, in a new directory).
    had?.root.close();
    const root = open(environmentOptions({ path: view.dir, ...this.environment }));
    const opened: OpenedNode = { view, root, dbs: new Map(), items: new Map(), walks: new Map(), generation: -1, missing: new Map() };
    this.opened[node] = opened;
    return opened;
  }

  private itemsDb(opened: OpenedNode, tableId: string, generation: number): Database<Buffer, Buffer> | undefined {
    const known = opened.items.get(tableId);
    if (known !== undefined) return known;
    const db = this.namedDb(opened, itemsDbOptions(tableId, false), generation);
    if (db !== undefined) opened.items.set(tableId, db);
    return db;
  }

  private inPlaceWalk(opened: OpenedNode, options: ReturnType<typeof itemsDbOptions>, generation: number): InPlaceWalk | undefined {
    const known = opened.walks.get(options.name);
    if (known !== undefined) return known;
    const db = this.namedDb(opened, options, generation, true);
    if (db === undefined) return undefined;
    const walk = new InPlaceWalk(db);
    opened.walks.set(options.name, walk);
    return walk;
  }

  /** A database of the node's B-tree, undefined while it lacks it; `inPlace`: its keys and values read in place (inPlaceKeys, inPlaceValues). */
  private namedDb(opened: OpenedNode, options: ReturnType<typeof itemsDbOptions>, generation: number, inPlace = false): Database<Buffer, Buffer> | undefined {
    const name = options.name;
    const handle = inPlace ? name + '>' : name;
    const db = opened.dbs.get(handle);
    if (db !== undefined) return db;
    // Not in the B-tree yet: only a checkpoint (a new generation) can have made it.
    if (opened.missing.get(name) === generation) return undefined;
    const made = opened.root.openDB<Buffer, Buffer>(inPlace ? inPlaceOptions(options) : options) as Database<Buffer, Buffer> | undefined;
    if (made === undefined) {
      opened.missing.set(name, generation);
      return undefined;
    }
    opened.missing.delete(name);
    opened.dbs.set(handle, made);
    return made;
  }
}
