// The read half of Query and Scan on one replica: walk the key range in order, stop at Limit,
// the 1 MB page or the page's JSON budget, apply the filter and projection, and gather the
// page's JSON bytes here, off the router's thread.
import type { ItemTree } from './node-store.ts';
import type { RangeRequest } from './messages.ts';
import { decodeStoredItem, isJsonStoredItem, storedItemJson, storedItemSize, storedJsonOffset } from './stored-item.ts';
import { bufferView } from './buffer-view.ts';
import { keyAttributesFromJson } from './json-key-attributes.ts';
import { encodeItemKey, partitionKeyHash32 } from './key-encoding.ts';
import { compileRequestExpressions, evaluateCondition, project, type CompiledCondition, type CompiledProjection } from '../expressions/index.ts';
import type { Item } from '../values/types.ts';

export interface RangePage {
  /** The items' DynamoDB JSON joined by commas, without brackets (UTF-8). */
  items: Uint8Array;
  /** Items returned (after the filter). */
  count: number;
  /** Items read (before the filter): DynamoDB's ScannedCount, what Limit bounds. */
  scanned: number;
  bytesRead: number;
  last: Item | null;
}

/** A Scan page, and where the replica it was read from ends (the next page starts there). */
export interface ScanPage {
  page: RangePage;
  end: number;
}

/**
 * A page read in several steps (stepped-range.ts): the page as the steps before this one left it,
 * updated by each step. A step gives exactly the items a read of the whole page would have given
 * from where it starts.
 */
export interface PageSteps {
  /** Items on the page so far (after the filter). */
  count: number;
  /** UTF-8 bytes of the page so far as one JSON array (its brackets included). */
  jsonBytes: number;
  /** The key of the last item read so far: the page's LastEvaluatedKey if the next item ends it. */
  last: Item | null;
  /** Set by each step: the storage key after which the next step starts, or null when this step ended for a reason other than its byte bound (`max`). */
  resumeAfter: Buffer | null;
}

/** The page's items as one JSON array text (tests, and readers that want it whole). */
export function pageJson(page: RangePage): string {
  return '[' + bufferView(page.items).toString('utf8') + ']';
}

// The page is gathered here, then copied out once: the tree's value buffers are only read in place.
let scratch = Buffer.allocUnsafeSlow(64 * 1024);
let scratchBytes = 0;

/** Appends bytes[from..] to the page. */
function append(bytes: Uint8Array, from: number, separator: boolean): void {
  const length = bytes.length - from;
  const needed = scratchBytes + length + 1;
  if (needed > scratch.length) {
    const larger = Buffer.allocUnsafeSlow(Math.max(needed, scratch.length * 2));
    scratch.copy(larger, 0, 0, scratchBytes);
    scratch = larger;
  }
  if (separator) scratch[scratchBytes++] = 0x2c; // ','
  Buffer.prototype.copy.call(bytes, scratch, scratchBytes, from);
  scratchBytes += length;
}

// Pages are copied out into slices of a larger block, so that one allocation serves many short
// pages (Buffer.from allocates per page past 4 KB, and a new 8 KB pool every few pages below).
// A page's items are read and copied soon (into an answer frame or a response body); never
// post or transfer them as they are: their buffer is the block's, other pages' bytes included.
const pageBlockBytes = 256 * 1024;
const pageInBlockBytesMax = 16 * 1024;
let pageBlock = Buffer.allocUnsafeSlow(pageBlockBytes);
let pageBlockUsed = 0;

/** The page gathered in scratch, copied out. */
function copyOutPage(length: number): Buffer {
  if (length > pageInBlockBytesMax) return Buffer.from(scratch.subarray(0, length));
  if (pageBlockUsed + length > pageBlockBytes) {
    pageBlock = Buffer.allocUnsafeSlow(pageBlockBytes);
    pageBlockUsed = 0;
  }
  const page = pageBlock.subarray(pageBlockUsed, pageBlockUsed + length);
  scratch.copy(page, 0, 0, length);
  // The next page starts on an 8-byte boundary, as pooled buffers do.
  pageBlockUsed += (length + 7) & ~7;
  return page;
}

/**
 * Reads one page. Each item's stored JSON is copied into the page as it is; an item is decoded
 * only when a key re-check, a filter, a projection or an index entry's table key needs it.
 * `progress`, when given, is called before each item is read and before it is written out, with
 * its stored size: a node can announce a long step there, since one item of 27.5 MB takes a few
 * hundred milliseconds to decode or to write out. Each key and value `data` yields is used before
 * the next is read (they may be the tree's buffers, read in place, as LocalReads' are); `fetchFrom`'s are kept.
 */
export function readRange(data: ItemTree, req: RangeRequest, progress?: (bytesAhead: number) => void, fetchFrom?: ItemTree, steps?: PageSteps): RangePage {
  let keyCheck: CompiledCondition | null = null;
  let filter: CompiledCondition | null = null;
  let projection: CompiledProjection | null = null;
  if (req.x !== null) {
    const compiled = compileRequestExpressions(req.x);
    keyCheck = compiled.keyCondition;
    filter = compiled.filter;
    projection = compiled.projection;
  }
  const decodes = keyCheck !== null || filter !== null || projection !== null || fetchFrom !== undefined;
  const lo = bufferView(req.lo);
  const hi = req.hi ? bufferView(req.hi) : null;
  const prefix = req.pre ? bufferView(req.pre) : null;
  const tag = req.tag ? bufferView(req.tag) : null;
  // Forwards, an exclusive upper bound is the tree's to stop at; the walk checks only the others.
  const treeEnds = !req.rev && hi !== null && !req.hiInc;
  const range = req.rev ? data.getRange({ start: hi ?? undefined, reverse: true }) : data.getRange({ start: lo, end: treeEnds ? hi : undefined });
  // Every key in [lo, hi) starts with the prefix when both bounds lie within it (a Query's do): no check per key.
  const prefixChecked = prefix !== null && !(treeEnds && startsWith(lo, prefix) && (startsWith(hi!, prefix) || isPrefixSuccessor(hi!, prefix)));
  // Only the first key can equal the lower bound it starts at.
  let first = true;
  const jsonBytesMax = req.jm;
  scratchBytes = 0;
  // UTF-8 bytes of the page as one JSON array (its brackets included).
  let jsonBytes = steps === undefined ? 2 : steps.jsonBytes;
  // Items the page had before this step: the budget and the separators count them.
  const countBefore = steps === undefined ? 0 : steps.count;
  if (steps !== undefined) steps.resumeAfter = null;
  let count = 0;
  let scanned = 0;
  let bytesRead = 0;
  let last: Item | null = null;
  // The item read before this one: decoded, or where its JSON sits in the page, to build LastEvaluatedKey from.
  let previous: Item | null = steps === undefined ? null : steps.last;
  let previousStart = 0;
  let previousEnd = 0;
  for (const entry of range) {
    // A key read in place (LocalReads) is overwritten by the read of the item an index entry stands for: copied first then.
    const key = fetchFrom === undefined ? entry.key : Buffer.from(entry.key);
    const value = entry.value;
    if (req.rev) {
      if (hi !== null) {
        const c = Buffer.compare(key, hi);
        if (c > 0 || (c === 0 && !req.hiInc)) continue;
      }
      const c = Buffer.compare(key, lo);
      if (c < 0 || (c === 0 && !req.loInc)) break;
    } else {
      if (first) {
        first = false;
        if (!req.loInc && key.equals(lo)) continue;
      }
      if (hi !== null && !treeEnds && Buffer.compare(key, hi) > 0) break;
    }
    if (prefixChecked && !startsWith(key, prefix!)) {
      // Keys sharing a prefix are contiguous: leaving it ends the walk in either direction.
      if (req.rev ? Buffer.compare(key, prefix) < 0 : Buffer.compare(key, prefix) > 0) break;
      continue;
    }
    if (tag !== null && !hasTag(key, tag)) continue;
    if (progress !== undefined) progress(value.length);
    // Read now: `value` may be the tree's buffer read in place, which reading the item an index entry stands for overwrites.
    const size = storedItemSize(value);
    let stored = value;
    let item: Item | null = null;
    if (decodes) {
      item = decodeStoredItem(value);
      if (fetchFrom !== undefined) {
        // An LSI entry whose whole item was asked for: the table holds it (written in the same batch).
        const whole = fetchFrom.get(bufferView(tableKeyOf(item, req.tk!)));
        if (whole === undefined) continue;
        bytesRead += storedItemSize(whole);
        stored = whole;
        item = decodeStoredItem(whole);
      }
      // A range built from a very long sort key is widened at its edges: re-check those items.
      if (keyCheck !== null && !evaluateCondition(keyCheck, item)) continue;
    }
    if (filter === null || evaluateCondition(filter, item!)) {
      if (!req.cnt) {
        if (progress !== undefined) progress(value.length);
        // The stored JSON is copied from where it sits (no view of it is made); other items are encoded.
        const inPlace = projection === null && isJsonStoredItem(stored);
        const json = inPlace ? stored : projection === null ? storedItemJson(stored) : Buffer.from(JSON.stringify(project(projection, item!)), 'utf8');
        const jsonFrom = inPlace ? storedJsonOffset : 0;
        const itemBytes = (countBefore + count === 0 ? 0 : 1) + json.length - jsonFrom;
        // Over the budget: the page ends before this item (it has one already), which the next page starts with.
        if (countBefore + count > 0 && jsonBytes + itemBytes > jsonBytesMax) {
          last = previous !== null ? keyAttributes(previous, req.kn) : keyAt(previousStart, previousEnd, req.kn);
          break;
        }
        previousStart = scratchBytes + (count === 0 ? 0 : 1);
        append(json, jsonFrom, count > 0);
        previousEnd = scratchBytes;
        jsonBytes += itemBytes;
      }
      count++;
    }
    scanned++;
    bytesRead += size;
    // An item not decoded is found again, if it ends the page, from its JSON there (or, counted only, from its stored bytes).
    previous = item;
    const limitReached = req.lim > 0 && scanned >= req.lim;
    const budgetReached = countBefore + count > 0 && !req.cnt && jsonBytes >= jsonBytesMax;
    if (limitReached || bytesRead >= req.max || budgetReached) {
      last = item !== null ? keyAttributes(item, req.kn) : req.cnt ? keyAttributes(decodeStoredItem(stored), req.kn) : keyAt(previousStart, previousEnd, req.kn);
      if (steps !== undefined && !limitReached && !budgetReached) steps.resumeAfter = Buffer.from(key);
      break;
    }
  }
  if (steps !== undefined) {
    steps.count = countBefore + count;
    steps.jsonBytes = jsonBytes;
    steps.last = last;
  }
  return { items: copyOutPage(scratchBytes), count, scanned, bytesRead, last };
}

/** The key of an item of the page being gathered, from its JSON there. */
function keyAt(start: number, end: number, names: string[]): Item {
  return keyAttributesFromJson(scratch, start, end, names);
}

/** The storage key of the table item an index entry stands for. */
function tableKeyOf(entry: Item, tableKeyNames: string[]): Uint8Array {
  const pk = entry[tableKeyNames[0]];
  return encodeItemKey(partitionKeyHash32(pk), pk, tableKeyNames.length > 1 ? entry[tableKeyNames[1]] : undefined);
}

function keyAttributes(item: Item, names: string[]): Item {
  const key: Item = {};
  for (const name of names) key[name] = item[name];
  return key;
}

/** Whether a followers'-data key carries `tag` (hash ‖ tag length ‖ tag ‖ …). */
function hasTag(key: Buffer, tag: Buffer): boolean {
  return key.length > 5 + tag.length && key[4] === tag.length && key.compare(tag, 0, tag.length, 5, 5 + tag.length) === 0;
}

/** Whether `key` is prefixSuccessor(prefix) (key-encoding.ts), without making it. */
function isPrefixSuccessor(key: Buffer, prefix: Buffer): boolean {
  let end = prefix.length;
  while (end > 0 && prefix[end - 1] === 0xff) end--;
  if (end === 0 || key.length !== end || key[end - 1] !== prefix[end - 1] + 1) return false;
  return end === 1 || key.compare(prefix, 0, end - 1, 0, end - 1) === 0;
}

function startsWith(key: Buffer, prefix: Buffer): boolean {
  return key.length >= prefix.length && key.compare(prefix, 0, prefix.length, 0, prefix.length) === 0;
}
