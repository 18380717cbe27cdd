// The read half of Query and Scan on one replica: walk the key range in order, stop at Limit,
// the 1 MB page or the page's JSON budget, apply the filter and projection, and serialize the
// page as JSON here, off the router's thread.
import type { ItemTree } from './node-store.ts';
import type { RangeRequest } from './messages.ts';
import { decodeStoredItem, storedItemSize } from './stored-item.ts';
import { bufferView } from './buffer-view.ts';
import { encodeItemKey, partitionKeyHash32 } from './key-encoding.ts';
import { compileRequestExpressions, evaluateCondition, project, type CompiledCondition, type CompiledProjection } from '../expressions/index.ts';
import type { Item } from '../values/types.ts';

export interface RangePage {
  json: string;
  /** Items returned (after the filter). */
  count: number;
  /** Items read (before the filter): DynamoDB's ScannedCount, what Limit bounds. */
  scanned: number;
  bytesRead: number;
  last: Item | null;
}

/**
 * Reads one page. `progress`, when given, is called before each item is decoded and before it
 * is serialized, with the item's stored size (its JSON is about as large): a node can announce
 * a long step there, since one item of 27.5 MB takes a few hundred milliseconds to decode or
 * to write out.
 */
export function readRange(data: ItemTree, req: RangeRequest, progress?: (bytesAhead: number) => void, fetchFrom?: ItemTree): RangePage {
  let keyCheck: CompiledCondition | null = null;
  let filter: CompiledCondition | null = null;
  let projection: CompiledProjection | null = null;
  if (req.x !== null) {
    const compiled = compileRequestExpressions(req.x);
    keyCheck = compiled.keyCondition;
    filter = compiled.filter;
    projection = compiled.projection;
  }
  const lo = bufferView(req.lo);
  const hi = req.hi ? bufferView(req.hi) : null;
  const prefix = req.pre ? bufferView(req.pre) : null;
  const tag = req.tag ? bufferView(req.tag) : null;
  const range = req.rev ? data.getRange({ start: hi ?? undefined, reverse: true }) : data.getRange({ start: lo });
  const jsonBytesMax = req.jm;
  let json = '[';
  // UTF-8 bytes of `json` and its closing bracket, counted once the page nears its budget (-1
  // before): a UTF-16 unit is at most 3 bytes, so short pages never need counting.
  let jsonBytes = -1;
  let count = 0;
  let scanned = 0;
  let bytesRead = 0;
  let last: Item | null = null;
  let previous: Item | null = null;
  for (const { key, value } of range) {
    if (req.rev) {
      if (hi !== null) {
        const c = Buffer.compare(key, hi);
        if (c > 0 || (c === 0 && !req.hiInc)) continue;
      }
      const c = Buffer.compare(key, lo);
      if (c < 0 || (c === 0 && !req.loInc)) break;
    } else {
      if (!req.loInc && key.equals(lo)) continue;
      if (hi !== null) {
        const c = Buffer.compare(key, hi);
        if (c > 0 || (c === 0 && !req.hiInc)) break;
      }
    }
    if (prefix !== null && !startsWith(key, prefix)) {
      // Keys sharing a prefix are contiguous: leaving it ends the walk in either direction.
      if (req.rev ? Buffer.compare(key, prefix) < 0 : Buffer.compare(key, prefix) > 0) break;
      continue;
    }
    if (tag !== null && !hasTag(key, tag)) continue;
    if (progress !== undefined) progress(value.length);
    let item = decodeStoredItem(value);
    if (fetchFrom !== undefined) {
      // An LSI entry whose whole item was asked for: the table holds it (written in the same batch).
      const whole = fetchFrom.get(bufferView(tableKeyOf(item, req.tk!)));
      if (whole === undefined) continue;
      bytesRead += storedItemSize(whole);
      item = decodeStoredItem(whole);
    }
    // A range built from a very long sort key is widened at its edges: re-check those items.
    if (keyCheck !== null && !evaluateCondition(keyCheck, item)) continue;
    if (filter === null || evaluateCondition(filter, item)) {
      if (!req.cnt) {
        if (progress !== undefined) progress(value.length);
        const text = JSON.stringify(projection === null ? item : project(projection, item));
        const separator = count === 0 ? 0 : 1;
        if (jsonBytes >= 0 || (json.length + separator + text.length + 1) * 3 > jsonBytesMax) {
          if (jsonBytes < 0) jsonBytes = Buffer.byteLength(json, 'utf8') + 1;
          const itemBytes = separator + Buffer.byteLength(text, 'utf8');
          // Over the budget: the page ends before this item (it has one already), which the next page starts with.
          if (count > 0 && jsonBytes + itemBytes > jsonBytesMax) {
            last = keyAttributes(previous!, req.kn);
            break;
          }
          jsonBytes += itemBytes;
        }
        json += separator === 0 ? text : ',' + text;
      }
      count++;
    }
    scanned++;
    bytesRead += storedItemSize(value);
    previous = item;
    if ((req.lim > 0 && scanned >= req.lim) || bytesRead >= req.max || (jsonBytes >= 0 && jsonBytes >= jsonBytesMax)) {
      last = keyAttributes(item, req.kn);
      break;
    }
  }
  return { json: json + ']', count, scanned, bytesRead, last };
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

function startsWith(key: Buffer, prefix: Buffer): boolean {
  return key.length >= prefix.length && key.compare(prefix, 0, prefix.length, 0, prefix.length) === 0;
}
