// BatchWriteItem: up to 25 puts and deletes across tables, validated as a whole (one bad
// request rejects the batch), then sent concurrently to their partitions' leaders. A write that
// fails with a retryable error comes back in UnprocessedItems instead of failing the call.
import { checkRequestShape, type Shape } from '../validation/request-shape.ts';
import { extractKey, itemSizeBytes, itemSizeExceededMessage, normalizeItem, validateKey } from '../validation/attribute-values.ts';
import { DynamoError, validationError } from '../protocol/errors.ts';
import { Op, ReturnValues, Status, WriteKind, type StorageResponse, type WriteRequest } from '../storage/messages.ts';
import { keyInfoOf, type TableRecord } from '../control/table-record.ts';
import { batchWriteItemsMax, itemSizeBytesMax } from '../limits.ts';
import { sendByKey, tableFor, type ApiContext } from './context.ts';
import { routeKey } from './item-key.ts';
import { checkItemIndexKeys, indexedWriteDone, itemCollectionMetrics, withIndexSpec, writeCapacity } from './index-writes.ts';
import {
  attributeMapEcho,
  constraintViolation,
  enumViolation,
  requestItemsTables,
  returnConsumedCapacityValues,
  throwConstraintViolations,
} from './batch-get-item.ts';
import type { AttributeValue, Item } from '../values/types.ts';
import { bufferView } from '../storage/buffer-view.ts';

const attributeMapType: Shape = { type: 'Map', value: { type: 'AttributeValue' } };

// JSON types only; the constraints follow in checkBatchWriteConstraints.
const batchWriteTypes: Record<string, Shape> = {
  RequestItems: {
    type: 'Map',
    value: {
      type: 'List',
      member: {
        type: 'Structure',
        members: {
          PutRequest: { type: 'Structure', members: { Item: attributeMapType } },
          DeleteRequest: { type: 'Structure', members: { Key: attributeMapType } },
        },
      },
    },
  },
  ReturnConsumedCapacity: { type: 'String' },
  ReturnItemCollectionMetrics: { type: 'String' },
};

const returnItemCollectionMetricsValues: readonly string[] = ['SIZE', 'NONE'];
const writeRequestsConstraint =
  `Map value must satisfy constraint: [Member must have length less than or equal to ${batchWriteItemsMax}, ` +
  'Member must have length greater than or equal to 1]';
const exactlyOneRequestMessage =
  'Supplied AttributeValue has more than one datatypes set, must contain exactly one of the supported datatypes';

type RawWriteRequest = { PutRequest?: { Item?: unknown } | null; DeleteRequest?: { Key?: unknown } | null } | null | undefined;

function writeRequestEcho(request: RawWriteRequest): string {
  if (request === null || request === undefined) return 'null';
  const put = request.PutRequest == null ? 'null' : `PutRequest(item=${attributeMapEcho(request.PutRequest.Item)})`;
  const del = request.DeleteRequest == null ? 'null' : `DeleteRequest(key=${attributeMapEcho(request.DeleteRequest.Key)})`;
  return `WriteRequest(putRequest=${put}, deleteRequest=${del})`;
}

function requestItemsEcho(requestItems: Record<string, unknown>): string {
  const parts: string[] = [];
  for (const name of Object.keys(requestItems)) {
    const list = requestItems[name];
    parts.push(`${name}=${Array.isArray(list) ? `[${(list as RawWriteRequest[]).map(writeRequestEcho).join(', ')}]` : 'null'}`);
  }
  return `{${parts.join(', ')}}`;
}

/** Second pass of the request shape: constraints, in the order and words DynamoDB uses. */
function checkBatchWriteConstraints(input: Record<string, unknown>): void {
  const errors: string[] = [];
  const rcc = enumViolation(input.ReturnConsumedCapacity, 'returnConsumedCapacity', returnConsumedCapacityValues);
  if (rcc !== null) errors.push(rcc);
  const ricm = enumViolation(input.ReturnItemCollectionMetrics, 'returnItemCollectionMetrics', returnItemCollectionMetricsValues);
  if (ricm !== null) errors.push(ricm);
  const requestItems = input.RequestItems as Record<string, unknown> | null | undefined;
  const names = requestItemsTables(requestItems, batchWriteItemsMax, errors, requestItemsEcho);
  if (requestItems === null || requestItems === undefined) return;
  for (const name of names) {
    const list = requestItems[name] as unknown[] | null | undefined;
    if (list === null || list === undefined || list.length < 1 || list.length > batchWriteItemsMax) {
      errors.push(constraintViolation(requestItemsEcho(requestItems), 'requestItems', writeRequestsConstraint));
      break; // one sentence for the whole map, however many of its values break the rule
    }
  }
  for (const name of names) {
    const list = requestItems[name] as RawWriteRequest[] | null | undefined;
    if (!Array.isArray(list)) continue;
    for (let i = 0; i < list.length; i++) {
      const request = list[i];
      const path = `requestItems.${name}.member.${i + 1}.member`;
      if (request?.DeleteRequest != null && request.DeleteRequest.Key == null) {
        errors.push(constraintViolation(null, `${path}.deleteRequest.key`, 'Member must not be null'));
      }
      if (request?.PutRequest != null && request.PutRequest.Item == null) {
        errors.push(constraintViolation(null, `${path}.putRequest.item`, 'Member must not be null'));
      }
    }
  }
  throwConstraintViolations(errors);
}

// ---------------------------------------------------------------------------------------------

/** One put or delete, validated. */
interface PlannedWrite {
  /** Normalized item (put) or key (delete). */
  value: Item;
  put: boolean;
  size: number;
}

interface TableWrites {
  name: string;
  writes: PlannedWrite[];
  table: TableRecord | null;
}

/** A write that was certainly not applied and may be sent again: throttled, unavailable, or its item held by a transaction. */
function isRetryable(reason: unknown): boolean {
  return reason instanceof DynamoError && (reason.kind.retryable || reason.kind.name === 'TransactionConflictException');
}

export async function batchWriteItem(ctx: ApiContext, input: Record<string, unknown>): Promise<string> {
  checkRequestShape(input, batchWriteTypes);
  checkBatchWriteConstraints(input);
  const requestItems = input.RequestItems as Record<string, RawWriteRequest[]>;
  const names = Object.keys(requestItems);
  let requestCount = 0;
  for (const name of names) requestCount += requestItems[name].length;
  if (requestCount > batchWriteItemsMax) throw validationError('Too many items requested for the BatchWriteItem call');

  // Attribute values and item sizes need no table; then every table must exist; then keys.
  const tables: TableWrites[] = [];
  for (const name of names) {
    const list = requestItems[name];
    for (const request of list) {
      if (request == null || (request.PutRequest == null) === (request.DeleteRequest == null)) throw validationError(exactlyOneRequestMessage);
    }
    const writes: PlannedWrite[] = new Array(list.length);
    for (let i = 0; i < list.length; i++) {
      const request = list[i]!;
      if (request.PutRequest != null) {
        const item = normalizeItem(request.PutRequest.Item, 'Item');
        const size = itemSizeBytes(item);
        if (size > itemSizeBytesMax) throw validationError(itemSizeExceededMessage);
        writes[i] = { value: item, put: true, size };
      } else {
        writes[i] = { value: normalizeItem(request.DeleteRequest!.Key, 'Key'), put: false, size: 0 };
      }
    }
    tables.push({ name, writes, table: null });
  }
  for (const t of tables) t.table = tableFor(ctx, t.name);

  const pending: Promise<StorageResponse>[] = [];
  const routed: { hash32: number; storageKey: Uint8Array }[] = new Array(requestCount);
  const partitionKeys: AttributeValue[] = new Array(requestCount);
  let n = 0;
  for (const t of tables) {
    const table = t.table!;
    const info = keyInfoOf(table);
    const seen = new Set<string>();
    for (const write of t.writes) {
      const key = write.put
        ? extractKey(write.value, table.keySchema, table.attributeDefinitions)
        : (write.value = validateKey(write.value, table.keySchema, table.attributeDefinitions));
      const r = routeKey(info, key);
      const id = bufferView(r.storageKey).toString('latin1');
      if (seen.has(id)) throw validationError('Provided list of item keys contains duplicates');
      seen.add(id);
      partitionKeys[n] = key[info.partitionKey];
      routed[n++] = r;
    }
  }
  // Index keys are checked for every put before any is written.
  for (const t of tables) for (const write of t.writes) if (write.put) checkItemIndexKeys(t.table!, write.value);
  n = 0;
  for (const t of tables) {
    const table = t.table!;
    const tableId = table.tableId;
    for (const write of t.writes) {
      const pk = partitionKeys[n];
      const { hash32, storageKey } = routed[n++];
      const req: WriteRequest = {
        id: 0,
        op: Op.Write,
        t: tableId,
        p: 0,
        v: 0,
        k: storageKey,
        w: write.put ? WriteKind.Put : WriteKind.Delete,
        item: write.put ? write.value : null,
        sz: write.size,
        key: null,
        x: null,
        rv: ReturnValues.NONE,
        rvf: false,
      };
      pending.push(sendByKey(ctx, table, pk, hash32, withIndexSpec(ctx, table, req, input.ReturnConsumedCapacity), true));
    }
  }
  const settled = await Promise.allSettled(pending);
  for (const t of tables) indexedWriteDone(ctx, t.table!);
  return batchWriteResponse(tables, settled, input.ReturnConsumedCapacity, input.ReturnItemCollectionMetrics === 'SIZE');
}

function batchWriteResponse(tables: readonly TableWrites[], settled: readonly PromiseSettledResult<StorageResponse>[], returnConsumedCapacity: unknown, returnMetrics: boolean): string {
  const consumed: string[] = [];
  const metrics: Record<string, unknown[]> = {};
  let unprocessed = '';
  let written = 0;
  let firstFailure: unknown = undefined;
  let n = 0;
  for (const t of tables) {
    let requests = '';
    // The table's units, its local indexes' among them, and each index's.
    const units: StorageResponse = { id: 0, s: Status.Ok, cu: 0, xu: 0, iu: {} };
    for (const write of t.writes) {
      const result = settled[n++];
      if (result.status === 'fulfilled') {
        written++;
        units.cu! += result.value.cu ?? 0;
        units.xu! += result.value.xu ?? 0;
        for (const [name, n] of Object.entries(result.value.iu ?? {})) units.iu![name] = (units.iu![name] ?? 0) + n;
        const collection = returnMetrics ? itemCollectionMetrics(t.table!, write.value, result.value.ic) : null;
        if (collection !== null) (metrics[t.name] ??= []).push(collection);
        continue;
      }
      if (!isRetryable(result.reason)) throw result.reason;
      firstFailure ??= result.reason;
      const text = write.put ? `{"PutRequest":{"Item":${JSON.stringify(write.value)}}}` : `{"DeleteRequest":{"Key":${JSON.stringify(write.value)}}}`;
      requests += (requests.length === 0 ? '' : ',') + text;
    }
    if (requests.length > 0) unprocessed += (unprocessed.length === 0 ? '' : ',') + JSON.stringify(t.name) + ':[' + requests + ']';
    if (returnConsumedCapacity === 'TOTAL' || returnConsumedCapacity === 'INDEXES') consumed.push(JSON.stringify(writeCapacity(returnConsumedCapacity, t.table!, units)));
  }
  // Nothing was written at all: the error itself tells the SDK to retry the whole call.
  if (written === 0 && firstFailure !== undefined) throw firstFailure;
  const cc = consumed.length > 0 ? `,"ConsumedCapacity":[${consumed.join(',')}]` : '';
  const icm = Object.keys(metrics).length > 0 ? `,"ItemCollectionMetrics":${JSON.stringify(metrics)}` : '';
  return `{"UnprocessedItems":{${unprocessed}}${cc}${icm}}`;
}
