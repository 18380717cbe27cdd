// How DynamoDB's limits (limits.ts) bound every message that crosses a ring, and the check that a
// configuration's rings and request limits can carry them. Each bound says what it is made of;
// limitRelationsProblem runs when the configuration is resolved and names the setting to change.
// A ring frame is always bounded (SpscRing.maxFrameBytes); a message larger than one frame (one
// item of a pathological shape can be 27.5 MB as JSON) travels as fragments (rings/fragments.ts),
// and the batching budgets below are cut to a ring's frame, so ordinary traffic never fragments.
import {
  expressionBytesMax,
  itemSizeBytesMax,
  keyAttributeNameBytesMax,
  numberExponentMin,
  pageBytesMax,
  partitionKeyBytesMax,
  sortKeyBytesMax,
  substitutionBytesMax,
} from './limits.ts';
import { storageKeyBytesMax } from './storage/key-encoding.ts';

// ---- the largest item, encoded ----------------------------------------------------------------

/**
 * The longest plain text of a Number of 2 bytes (one base-100 digit pair), the smallest size a
 * long text has: 1E-130 and 1.1E-129 print as "0." and 130 digits, since DynamoDB answers plain
 * decimals. Numbers are what expands most from their DynamoDB size to their text.
 */
export const numberPlainTextBytesMax = 2 - numberExponentMin;

/**
 * Encoded bytes per byte of DynamoDB item size, at most, in JSON and in CBOR alike: a Number Set
 * member costs its size alone (2 bytes) and is written as its 132 characters plus 3 (quotes and a
 * comma, or a CBOR string header). Other shapes cost less per byte: a list of `N 1E-130` 47, lists
 * of empty strings 9, of NULLs 7, strings of control characters 6.
 */
export const encodedBytesPerItemByteMax = (numberPlainTextBytesMax + 3) / 2;

/** What an item's own braces and its outermost attribute add beyond the per-byte bound. */
const itemEncodingSlackBytes = 64;

/**
 * The largest item encoded: as DynamoDB JSON (UTF-8 bytes), as stored (stored-item.ts) and as a
 * field of a CBOR frame. A 400 KB list of number sets reaches 27.5 MB.
 */
export const itemEncodedBytesMax = Math.ceil(itemSizeBytesMax * encodedBytesPerItemByteMax) + itemEncodingSlackBytes;

/** The largest item as JSON text: what one item adds to any answer. */
export const itemJsonBytesMax = itemEncodedBytesMax;

/**
 * A primary key as an item (LastEvaluatedKey, UpdateItem's key): two names and the largest key
 * values, 6 bytes per byte (a control character in JSON; base64 of a binary key takes 4/3).
 */
export const keyItemEncodedBytesMax = 6 * (partitionKeyBytesMax + sortKeyBytesMax + 2 * keyAttributeNameBytesMax) + 64;

/** A frame's fixed fields together (ids, op codes, table id, counts, flags, CBOR headers), generously. */
export const frameFieldsBytesMax = 4096;

/** An error message a storage node sends: DynamoDB's text with at most a document path of an expression. */
const errorMessageBytesMax = 2 * expressionBytesMax;

// ---- router → storage node ----------------------------------------------------------------------

/** Query or Scan: two bounds and a prefix (storage keys), the key names, three expressions and the substitution variables. */
export const readRequestFrameBytesMax =
  frameFieldsBytesMax + 3 * storageKeyBytesMax + 2 * keyAttributeNameBytesMax + 3 * expressionBytesMax + substitutionBytesMax;

/** A write: its storage key, the item (PutItem) and the key (UpdateItem), condition and update expressions, the substitution variables. */
export const writeRequestFrameBytesMax =
  frameFieldsBytesMax + storageKeyBytesMax + itemEncodedBytesMax + keyItemEncodedBytesMax + 2 * expressionBytesMax + substitutionBytesMax;

// ---- storage node → router ----------------------------------------------------------------------

/** GetItem's and a write's answer: one item as JSON (the item, its ReturnValues, or a failed condition's item) and a message. */
export const itemAnswerFrameBytesMax = frameFieldsBytesMax + itemJsonBytesMax + errorMessageBytesMax;

/**
 * The JSON a Query or Scan page gathers before it stops, besides DynamoDB's 1 MB of item size:
 * only items whose JSON is several times their size (control characters, lists of NULLs,
 * numbers) reach it before 1 MB does. One item alone may be larger; the page then holds just it.
 */
export const pageJsonBytesMax = 3 * pageBytesMax;

/** A page's items as one JSON array: the budget, or one item alone and its brackets when that is larger. */
export const pageItemsJsonBytesMax = Math.max(pageJsonBytesMax, itemJsonBytesMax + 2);

/** A page's answer: its items' JSON, the LastEvaluatedKey and the counts. */
export const pageAnswerFrameBytesMax = frameFieldsBytesMax + pageItemsJsonBytesMax + keyItemEncodedBytesMax;

// ---- storage node → storage node ----------------------------------------------------------------

/** Log entry bytes a leader gathers into one replication frame before starting the next (at most; see replicationBatchBudgetFor). */
export const replicationBatchBytesMax = 1024 * 1024;
/** Log entries in one replication frame, at most. */
export const replicationBatchEntriesMax = 256;

/**
 * One log entry as the log stores it: the storage key, the new and the old item's stored bytes
 * (what a change consumer needs), and the Attributes the write answered as JSON (kept so that a
 * retry is answered without re-applying).
 */
export const logEntryBytesMax = frameFieldsBytesMax + storageKeyBytesMax + 2 * itemEncodedBytesMax + itemJsonBytesMax;

/** A write-ahead log record of the largest log entry (its header, its table id and position, padding). */
export const walRecordBytesMax = logEntryBytesMax + 4096;

/** Each entry's own fields in a replication frame: its epoch (8 bytes) and length (4) (repl-frame-codec.ts). */
const replicationFrameEntryBytes = 12;

/** A replication frame: entries just under the batch budget, one more entry, the fields of each. */
export const replicationFrameBytesMax = frameFieldsBytesMax + replicationBatchBytesMax + logEntryBytesMax + replicationFrameEntryBytes * (replicationBatchEntriesMax + 1);

/** Bytes of keys and stored items a snapshot chunk gathers before it is sent. */
export const snapshotChunkBudgetBytes = 256 * 1024;

/**
 * A snapshot chunk: keys and items just under the budget, one more key and stored item, and a
 * CBOR header of at most 5 bytes for each (no key and item pair is smaller than 11 bytes, so the
 * headers take less than the budget again).
 */
export const snapshotChunkFrameBytesMax = frameFieldsBytesMax + 2 * snapshotChunkBudgetBytes + storageKeyBytesMax + itemEncodedBytesMax;

// ---- rings ----------------------------------------------------------------------------------------

/** The largest frame a ring of `capacityBytes` carries: half its capacity less the length word (as SpscRing computes it). */
export function ringFrameBytesMax(capacityBytes: number): number {
  return capacityBytes / 2 - 4;
}

/** The smallest ring capacity (a power of two) whose largest frame holds `frameBytes`. */
export function ringCapacityBytesFor(frameBytes: number): number {
  let capacity = 4096;
  while (ringFrameBytesMax(capacity) < frameBytes) capacity *= 2;
  return capacity;
}

/** The page JSON budget a storage node may grant on a ring of `capacityBytes`: a page answer fits one frame (unless one item alone is larger). */
export function pageJsonBudgetFor(capacityBytes: number): number {
  return Math.min(pageJsonBytesMax, ringFrameBytesMax(capacityBytes) - frameFieldsBytesMax - keyItemEncodedBytesMax);
}

/** The replication batch budget on a ring of `capacityBytes`: a frame of entries fits one ring frame (unless one entry alone is larger). */
export function replicationBatchBudgetFor(capacityBytes: number): number {
  return Math.min(replicationBatchBytesMax, Math.floor((ringFrameBytesMax(capacityBytes) - frameFieldsBytesMax) / 2));
}

/** The snapshot chunk budget on a ring of `capacityBytes` (likewise). */
export function snapshotChunkBudgetFor(capacityBytes: number): number {
  return Math.min(snapshotChunkBudgetBytes, Math.floor((ringFrameBytesMax(capacityBytes) - frameFieldsBytesMax) / 4));
}

/** The smallest page JSON budget worth granting: a page of plain items should not stop every few items. */
export const pageJsonBudgetMin = 256 * 1024;

/** Every kind of message and the most it can take, largest first (one ring frame, or several fragments). */
export const frameBoundsBytes: ReadonlyArray<{ frame: string; bytes: number }> = [
  { frame: 'a replication frame (log entries of writes up to the largest item, with its Attributes as JSON)', bytes: replicationFrameBytesMax },
  { frame: 'a Query or Scan page answer', bytes: pageAnswerFrameBytesMax },
  { frame: 'a write request (the largest item, expressions and substitution variables)', bytes: writeRequestFrameBytesMax },
  { frame: 'a GetItem or write answer (the largest item as JSON)', bytes: itemAnswerFrameBytesMax },
  { frame: 'a snapshot chunk', bytes: snapshotChunkFrameBytesMax },
  { frame: 'a Query or Scan request', bytes: readRequestFrameBytesMax },
].sort((a, b) => b.bytes - a.bytes);

/** The largest message of any kind: what a reader may have to put back together from fragments. */
export const frameBytesMax = frameBoundsBytes[0].bytes;

// ---- request bodies -------------------------------------------------------------------------------

/** The smallest body that carries a PutItem of the largest item (its value as one string, a table name of 255 characters). */
export const largestItemBodyBytesMin = itemSizeBytesMax + 512;

// ---- the check ----------------------------------------------------------------------------------------

// ---- failure detection ----------------------------------------------------------------------------

/** Checks of a node's liveness before it may be judged hung: one still interval alone says little. */
export const hungNodeChecksMin = 2;

/** The settings the relations involve (a subset of the resolved Config). */
export interface LimitSettings {
  rings: { capacityBytes: number };
  limits: { requestBodyBytesMax: number; inFlightBodyBytesMax: number };
  failover: { heartbeatIntervalMs: number; hungNodeMs: number; commitStallMaxMs: number };
  storage: { walSegmentBytes: number; memtableBytesMax: number };
}

/**
 * The first relation `settings` break, as a message naming the setting to change; null when all
 * hold. Relations between DynamoDB's own limits are checked once, when this module loads.
 */
export function limitRelationsProblem(settings: LimitSettings): string | null {
  const capacity = settings.rings.capacityBytes;
  // Messages of any size travel (as fragments); but the batching budgets are cut to a ring's
  // frame, and a ring too small would cut pages of ordinary items to a few items each.
  if (pageJsonBudgetFor(capacity) < pageJsonBudgetMin) {
    return `rings.capacityBytes ${capacity} is too small: a Query or Scan page could hold only ${Math.max(0, pageJsonBudgetFor(capacity))} bytes of JSON in one frame; set rings.capacityBytes to at least ${ringCapacityBytesFor(pageJsonBudgetMin + frameFieldsBytesMax + keyItemEncodedBytesMax)}`;
  }
  const body = settings.limits.requestBodyBytesMax;
  // A smaller body limit would refuse PutItem requests that DynamoDB accepts.
  if (body < largestItemBodyBytesMin) {
    return `limits.requestBodyBytesMax ${body} is too small: a PutItem of a ${itemSizeBytesMax}-byte item needs a body of ${largestItemBodyBytesMin} bytes; set it to at least that`;
  }
  // One request's body must fit in what the front door buffers for all requests at once.
  if (settings.limits.inFlightBodyBytesMax < body) {
    return `limits.inFlightBodyBytesMax ${settings.limits.inFlightBodyBytesMax} is smaller than limits.requestBodyBytesMax ${body}: one request could never be buffered; set it to at least ${body}`;
  }
  const f = settings.failover;
  // Liveness is checked every heartbeat interval: a bound shorter than a few checks would judge a node on one late look.
  if (f.hungNodeMs < hungNodeChecksMin * f.heartbeatIntervalMs) {
    return `failover.hungNodeMs ${f.hungNodeMs} is shorter than ${hungNodeChecksMin} liveness checks (failover.heartbeatIntervalMs ${f.heartbeatIntervalMs}): set it to at least ${hungNodeChecksMin * f.heartbeatIntervalMs}`;
  }
  // The disk bound is the long one: a hung node held back to keep a partition's replicas waits it out.
  if (f.commitStallMaxMs <= f.hungNodeMs) {
    return `failover.commitStallMaxMs ${f.commitStallMaxMs} must be longer than failover.hungNodeMs ${f.hungNodeMs}: a disk is given longer than a thread, and a hung node held back to keep a partition's replicas waits for it`;
  }
  const s = settings.storage;
  // A record never spans segments: the largest one (and the end-of-segment mark) fits in an empty one.
  if (s.walSegmentBytes < walRecordBytesMax + 4096) {
    return `storage.walSegmentBytes ${s.walSegmentBytes} is too small: the largest log record (an entry of a ${itemSizeBytesMax}-byte item of the costliest shape, with its old image) takes ${walRecordBytesMax} bytes; set it to at least ${walRecordBytesMax + 4096}`;
  }
  // The memtable takes what one batch applies before a checkpoint can start: room for the largest entry.
  if (s.memtableBytesMax < walRecordBytesMax) {
    return `storage.memtableBytesMax ${s.memtableBytesMax} is too small: it must hold the largest log entry (${walRecordBytesMax} bytes)`;
  }
  return null;
}

// A relation between DynamoDB's limits and monodyne's own, which no setting changes: a page JSON
// budget below DynamoDB's 1 MB would cut pages of plain items before DynamoDB does.
if (pageJsonBytesMax < pageBytesMax) throw new Error('limits-relations: pageJsonBytesMax must be at least pageBytesMax');
