// Item collections of tables with local secondary indexes: every item with one partition key
// value plus their entries in the local indexes, bounded at 10 GB (DynamoDB's limit) and
// reported by ReturnItemCollectionMetrics. The leader knows each collection's size from one walk
// of it (item sizes from the stored size prefixes, index entries from theirs), then keeps it
// by each write's change, for as long as it leads (the figure goes with its unapplied writes).
import type { Item } from '../values/types.ts';
import type { ItemTree } from './node-store.ts';
import type { UnappliedWrites } from './unapplied-writes.ts';
import { encodeHashPrefix, encodePartitionKeyPrefix, prefixSuccessor } from './key-encoding.ts';
import { bufferView } from './buffer-view.ts';
import { storedItemSize } from './stored-item.ts';
import { keyText } from './unapplied-writes.ts';
import { ProjectionCode, type IndexSpec } from '../indexes/index-spec.ts';
import { indexKeyValues, lsiPartitionPrefix, projectForIndex } from '../indexes/index-entries.ts';
import { itemSizeBytes } from '../validation/attribute-values.ts';

/** Whether a table's spec has a local index (only those tables have item collections). */
export function hasLocalIndex(spec: IndexSpec): boolean {
  return spec.ix.some((ix) => !ix.g);
}

/** The collection's size in bytes as this leader has it now (its items and their local index entries). */
export function collectionSize(items: ItemTree, followerData: ItemTree, overlay: UnappliedWrites, spec: IndexSpec, hash32: number, pk: Item[string]): number {
  const prefix = encodePartitionKeyPrefix(hash32, pk);
  const id = keyText(prefix);
  const known = overlay.collections.get(id);
  if (known !== undefined) return known;
  const end = prefixSuccessor(prefix);
  const found = new Map<string, number>();
  for (const { key, value } of items.getRange({ start: bufferView(prefix), end: end === undefined ? undefined : bufferView(end) })) found.set(keyText(key), storedItemSize(value));
  // Writes not applied yet count as written.
  for (const key of overlay.keysIn(id, end === undefined ? null : keyText(end))) {
    const value = overlay.get(key);
    if (value === null) found.delete(key);
    else if (value !== undefined) found.set(key, storedItemSize(value));
  }
  let size = 0;
  for (const bytes of found.values()) size += bytes;
  const hash = encodeHashPrefix(hash32);
  for (const ix of spec.ix) {
    if (ix.g) continue;
    const lsiPrefix = lsiPartitionPrefix(ix, hash, pk);
    const lsiEnd = prefixSuccessor(lsiPrefix);
    for (const { value } of followerData.getRange({ start: bufferView(lsiPrefix), end: lsiEnd === undefined ? undefined : bufferView(lsiEnd) })) size += storedItemSize(value);
  }
  overlay.collections.set(id, size);
  return size;
}

/** The size an item adds to its collection: itself and its entry in each local index it is in. */
export function collectionShare(spec: IndexSpec, item: Item | null, itemSize: number): number {
  if (item === null) return 0;
  let size = itemSize;
  for (const ix of spec.ix) {
    if (ix.g || indexKeyValues(ix, item) === null) continue;
    size += ix.p === ProjectionCode.ALL ? itemSize : itemSizeBytes(projectForIndex(spec, ix, item));
  }
  return size;
}

/** Records a write's change to the collection (after it was appended). */
export function collectionChanged(overlay: UnappliedWrites, hash32: number, pk: Item[string], size: number): void {
  overlay.collections.set(keyText(encodePartitionKeyPrefix(hash32, pk)), size);
  // Bounded: a leader writing to very many collections forgets the figures and walks again.
  if (overlay.collections.size > collectionsKnownMax) overlay.collections.clear();
}

const collectionsKnownMax = 10_000;
