// Query and Scan with IndexName. A global index is read from its own table's partitions (any
// replica: GSIs are eventually consistent only); a local index from the followers' data beside
// its table's items on the partition of the partition key (the leader for a consistent read),
// fetching the whole item from the table when asked for attributes the index does not hold.
import { validationError, DynamoError } from '../protocol/errors.ts';
import { validateKey } from '../validation/attribute-values.ts';
import { Op, type RangeExpressions, type RangeRequest } from '../storage/messages.ts';
import type { SecondaryIndex, TableRecord } from '../control/table-record.ts';
import { indexSpecOf, ProjectionCode, type IndexSpecEntry } from '../indexes/index-spec.ts';
import { gsiEntryKey, gsiPartitionPrefix, lsiEntryKey, lsiPartitionPrefix, followerTag } from '../indexes/index-entries.ts';
import { indexKeyRange } from '../indexes/index-range.ts';
import { keyConditionToIndexRange } from '../expressions/key-condition.ts';
import { encodeHashPrefix, encodeItemKey, partitionKeyHash32 } from '../storage/key-encoding.ts';
import { pageBytesMax } from '../limits.ts';
import { pageJsonBytesMax } from '../limits-relations.ts';
import { rangeReadUnits } from '../admission/capacity-units.ts';
import { pageResponse, type SelectMode } from './read-page.ts';
import type { ReadApiContext } from './context.ts';
import { scanPages } from './scan-pages.ts';
import type { CompiledExpressions } from '../expressions/index.ts';
import type { AttributeDefinition, Item, KeySchemaElement } from '../values/types.ts';
import type { ResponseBody } from '../protocol/wire.ts';

/** The index a read names, with what reading it takes. */
export interface IndexTarget {
  index: SecondaryIndex;
  entry: IndexSpecEntry;
  /** A GSI's own table; null for an LSI. */
  holder: TableRecord | null;
  /** Key attributes of an entry: the index's, then the table's (LastEvaluatedKey, ExclusiveStartKey). */
  keyNames: string[];
  hashNames: string[];
  rangeNames: string[];
}

export function indexTarget(ctx: ReadApiContext, table: TableRecord, name: string, consistent: boolean, select: SelectMode | 'ALL_PROJECTED_ATTRIBUTES'): IndexTarget {
  const index = table.indexes?.find((ix) => ix.name === name && ix.status !== 'DELETING');
  const entry = indexSpecOf(table)?.spec.ix.find((e) => e.n === name);
  if (index === undefined || entry === undefined) throw validationError(`The table does not have the specified index: ${name}`);
  let holder: TableRecord | null = null;
  if (index.kind === 'GSI') {
    if (consistent) throw validationError('Consistent reads are not supported on global secondary indexes');
    if (index.backfilling === true) throw validationError(`Cannot read from backfilling global secondary index: ${name}`);
    if (select === 'ALL_ATTRIBUTES' && entry.p !== ProjectionCode.ALL) {
      throw validationError(`One or more parameter values were invalid: Select type ALL_ATTRIBUTES is not supported for global secondary index ${name} because its projection type is not ALL`);
    }
    holder = ctx.control.indexHolder(table, name) ?? null;
    if (holder === null) throw validationError(`The table does not have the specified index: ${name}`);
  }
  const hashNames = entry.h;
  const rangeNames = entry.r;
  const keyNames = [...hashNames, ...rangeNames];
  for (const k of table.keySchema) if (!keyNames.includes(k.AttributeName)) keyNames.push(k.AttributeName);
  return { index, entry, holder, keyNames, hashNames, rangeNames };
}

/** Whether an LSI read must fetch the whole items: asked for all of them, or for an attribute the index does not hold. */
function fetchesFromTable(target: IndexTarget, table: TableRecord, select: string, compiled: CompiledExpressions): boolean {
  if (target.holder !== null || target.entry.p === ProjectionCode.ALL) return false;
  if (select === 'ALL_ATTRIBUTES') return true;
  if (compiled.projection === null) return false;
  const held = new Set([...target.keyNames, ...target.entry.a]);
  for (const k of table.keySchema) held.add(k.AttributeName);
  return compiled.projection.paths.some((p) => !held.has(p[0] as string));
}

/** The consumed capacity member of an index read: the index's units, as DynamoDB breaks them down. */
export function indexCapacityMember(mode: unknown, table: TableRecord, target: IndexTarget, units: number): string {
  if (mode !== 'TOTAL' && mode !== 'INDEXES') return '';
  const capacity: Record<string, unknown> = { TableName: table.name, CapacityUnits: units, ReadCapacityUnits: units };
  if (mode === 'INDEXES') {
    const part = { CapacityUnits: units, ReadCapacityUnits: units };
    if (target.holder !== null) capacity.GlobalSecondaryIndexes = { [target.index.name]: part };
    else capacity.LocalSecondaryIndexes = { [target.index.name]: part };
  }
  return `"ConsumedCapacity":${JSON.stringify(capacity)}`;
}

/** Definitions of the index's key attributes, as a key schema validateKey understands (one HASH, one RANGE each call). */
function keySchemaOf(names: string[], kind: 'HASH' | 'RANGE'): KeySchemaElement[] {
  return names.map((AttributeName) => ({ AttributeName, KeyType: kind }));
}

/** ExclusiveStartKey of an index read: the index's and the table's key attributes, valid, as the entry's storage key. */
function indexStartKey(raw: unknown, table: TableRecord, target: IndexTarget): Uint8Array {
  const given = raw as Record<string, unknown>;
  const invalid = () => validationError('The provided starting key is invalid');
  if (Object.keys(given).length !== target.keyNames.length) throw invalid();
  for (const name of target.keyNames) if (given[name] == null) throw invalid();
  let esk: Item;
  try {
    esk = validateKey(raw, [...keySchemaOf(target.hashNames, 'HASH'), ...keySchemaOf(target.rangeNames, 'RANGE'), ...table.keySchema.filter((k) => !target.hashNames.includes(k.AttributeName) && !target.rangeNames.includes(k.AttributeName))], table.attributeDefinitions as AttributeDefinition[]);
  } catch (e) {
    if (e instanceof DynamoError && e.kind.name === 'ValidationException') throw validationError(`The provided starting key is invalid: ${e.message}`);
    throw e;
  }
  const key = indexEntryKey(table, target, esk);
  if (key === null) throw invalid();
  return key;
}

/** The storage key of an index entry, from its key attributes (the index's and the table's); null when they do not make one. */
export function indexEntryKey(table: TableRecord, target: IndexTarget, keys: Item): Uint8Array | null {
  const pkName = table.keySchema[0].AttributeName;
  const skName = table.keySchema[1]?.AttributeName;
  const tableKey = encodeItemKey(partitionKeyHash32(keys[pkName]), keys[pkName], skName === undefined ? undefined : keys[skName]);
  return target.holder !== null ? gsiEntryKey(target.entry, keys, tableKey) : lsiEntryKey(target.entry, keys, tableKey, pkName);
}

export interface IndexQueryInput {
  input: Record<string, unknown>;
  table: TableRecord;
  target: IndexTarget;
  select: string;
  expressions: RangeExpressions;
  compiled: CompiledExpressions;
}

/** Query on an index: one index partition key's entries, in index sort key order (then the table's key). */
export async function queryIndex(ctx: ReadApiContext, q: IndexQueryInput): Promise<ResponseBody> {
  const { input, table, target, compiled } = q;
  const keyRange = keyConditionToIndexRange(compiled.keyCondition!, target.hashNames, target.rangeNames, table.attributeDefinitions);
  for (let i = 0; i < target.hashNames.length; i++) {
    // An index partition key value is a key value: the same size and emptiness rules.
    validateKey({ [target.hashNames[i]]: keyRange.hashValues[i] }, [{ AttributeName: target.hashNames[i], KeyType: 'HASH' }], table.attributeDefinitions);
  }
  const consistent = input.ConsistentRead === true;
  const forward = input.ScanIndexForward !== false;
  let hash32: number;
  let prefix: Uint8Array;
  if (target.holder !== null) {
    ({ hash32, prefix } = gsiPartitionPrefix(target.entry, keyRange.hashValues));
  } else {
    const pk = keyRange.hashValues[0];
    hash32 = partitionKeyHash32(pk);
    prefix = lsiPartitionPrefix(target.entry, encodeHashPrefix(hash32), pk);
  }
  const range = indexKeyRange(prefix, target.entry, keyRange.rangeEquals, keyRange.rangeLast);
  let lo = range.lo;
  let loInc = range.loInc;
  let hi = range.hi;
  let hiInc = range.hiInc;
  if (input.ExclusiveStartKey !== undefined) {
    const start = indexStartKey(input.ExclusiveStartKey, table, target);
    if (forward) {
      lo = start;
      loInc = false;
    } else {
      hi = start;
      hiInc = false;
    }
  }
  const fetch = fetchesFromTable(target, table, q.select, compiled);
  const req: RangeRequest = {
    id: 0,
    op: Op.Query,
    t: target.holder?.tableId ?? table.tableId,
    p: 0,
    v: 0,
    lo,
    loInc,
    hi,
    hiInc,
    pre: range.pre,
    rev: !forward,
    lim: (input.Limit as number | undefined) ?? 0,
    max: pageBytesMax,
    jm: pageJsonBytesMax,
    c: consistent,
    kn: target.keyNames,
    // The node re-checks the key condition only where a bound was widened (as for a table's Query).
    x: !range.exact || compiled.filter !== null || compiled.projection !== null ? q.expressions : null,
    cnt: q.select === 'COUNT',
  };
  if (target.holder === null) req.fd = true;
  if (fetch) req.tk = table.keySchema.map((k) => k.AttributeName);
  const res = await ctx.router.sendByHash(req.t, hash32, req, consistent);
  const member = indexCapacityMember(input.ReturnConsumedCapacity, table, target, rangeReadUnits(res.n ?? 0, consistent));
  return pageResponse(q.select === 'COUNT' ? 'COUNT' : 'ALL_ATTRIBUTES', [res.items!], res.count!, res.scanned!, res.last ?? null, member);
}

export interface IndexScanInput {
  input: Record<string, unknown>;
  table: TableRecord;
  target: IndexTarget;
  select: string;
  /** Filter and projection to apply, or null. */
  expressions: RangeExpressions | null;
  compiled: CompiledExpressions;
  hashLo: number;
  hashHi: number;
  limit: number;
}

/** Scan of an index: every entry, in hash order then index key order, a segment of the hash space at a time. */
export async function scanIndex(ctx: ReadApiContext, s: IndexScanInput): Promise<ResponseBody> {
  const { input, table, target } = s;
  const consistent = input.ConsistentRead === true;
  const tableId = target.holder?.tableId ?? table.tableId;
  const tag = target.holder === null ? followerTag('L', target.index.name) : null;
  let startKey: Uint8Array | null = null;
  let startHash = s.hashLo;
  if (input.ExclusiveStartKey !== undefined) {
    startKey = indexStartKey(input.ExclusiveStartKey, table, target);
    startHash = ((startKey[0] << 24) | (startKey[1] << 16) | (startKey[2] << 8) | startKey[3]) >>> 0;
    if (startHash < s.hashLo || startHash >= s.hashHi) {
      throw validationError(`The provided starting key is invalid: Invalid ExclusiveStartKey. Please use ExclusiveStartKey with correct Segment. TotalSegments: ${input.TotalSegments as number} Segment: ${input.Segment as number}`);
    }
  }
  const fetch = fetchesFromTable(target, table, s.select, s.compiled);
  const page = await scanPages(ctx, {
    tableId,
    startKey,
    startHash,
    hashHi: s.hashHi,
    limit: s.limit,
    consistent,
    kn: target.keyNames,
    x: s.expressions,
    cnt: s.select === 'COUNT',
    ...(tag !== null ? { tag } : {}),
    ...(fetch ? { tk: table.keySchema.map((k) => k.AttributeName) } : {}),
  });
  const member = indexCapacityMember(input.ReturnConsumedCapacity, table, target, rangeReadUnits(page.bytes, consistent));
  return pageResponse(s.select === 'COUNT' ? 'COUNT' : 'ALL_ATTRIBUTES', page.items, page.count, page.scanned, page.last, member);
}
