// Capacity units as DynamoDB computes them: reads in 4 KB units (half for eventually
// consistent reads), writes in 1 KB units, each operation at least one unit (half a unit for
// an eventually consistent read). Query and Scan are charged on the total size read.

const readUnitBytes = 4096;
const writeUnitBytes = 1024;

/** GetItem and each BatchGetItem key: on the item's size (a missing item still costs the minimum). */
export function readUnits(itemSizeBytes: number, consistent: boolean): number {
  const units = Math.max(1, Math.ceil(itemSizeBytes / readUnitBytes));
  return consistent ? units : units / 2;
}

/** Query and Scan: on the sum of the sizes of the items read (before any filter). */
export function rangeReadUnits(bytesRead: number, consistent: boolean): number {
  return readUnits(bytesRead, consistent);
}

/** PutItem, UpdateItem, DeleteItem, each BatchWriteItem request: on the larger of the item's old and new sizes. */
export function writeUnits(itemSizeBytes: number): number {
  return Math.max(1, Math.ceil(itemSizeBytes / writeUnitBytes));
}
