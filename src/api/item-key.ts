// Turns a validated key (or an item's key attributes) into what the router needs: the
// partition key hash that picks the partition and the encoded storage key.
import { encodeItemKey, partitionKeyHash32 } from '../storage/key-encoding.ts';
import type { KeyInfo } from '../control/table-record.ts';
import type { Item } from '../values/types.ts';

export interface RoutedKey {
  hash32: number;
  storageKey: Uint8Array;
}

export function routeKey(info: KeyInfo, key: Item): RoutedKey {
  const pk = key[info.partitionKey];
  const hash32 = partitionKeyHash32(pk);
  const sk = info.sortKey === undefined ? undefined : key[info.sortKey];
  return { hash32, storageKey: encodeItemKey(hash32, pk, sk) };
}
