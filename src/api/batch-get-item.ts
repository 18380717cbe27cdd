// BatchGetItem: up to 100 keys across up to 100 tables, read concurrently through the router,
// each key its own storage request (one item a frame); what does not fit in the 16 MB response
// (or failed with a retryable error) comes back as UnprocessedKeys, in the request's own form so
// a client can send it again as it is.
import { consumedCapacityJson } from '../admission/consumed-capacity.ts';
import { checkRequestShape, type Shape } from '../validation/request-shape.ts';
import { normalizeItem, validateKey } from '../validation/attribute-values.ts';
import { DynamoError, validationError } from '../protocol/errors.ts';
import { Op, type GetRequest, type StorageResponse } from '../storage/messages.ts';
import { keyInfoOf, type TableRecord } from '../control/table-record.ts';
import { compileRequestExpressions, project, type CompiledProjection } from '../expressions/index.ts';
import { batchGetKeysMax, batchGetResponseBytesMax, itemSizeBytesMax, tableNameLengthMax, tableNameLengthMin, tableNamePattern } from '../limits.ts';
import { tableFor, type ReadApiContext } from './context.ts';
import { routeKey } from './item-key.ts';
import type { Item } from '../values/types.ts';
import { jsonBytes, type ResponseBody } from '../protocol/wire.ts';
import { bufferView } from '../storage/buffer-view.ts';

/** BatchGetRequestMap: 1 to 100 tables (DynamoDB API model). */
const batchGetTablesMax = 100;

// JSON types only: the constraints are checked below, in DynamoDB's order and wording (map
// key and map value constraints have their own sentences, which request-shape.ts lacks).
const batchGetTypes: Record<string, Shape> = {
  RequestItems: {
    type: 'Map',
    value: {
      type: 'Structure',
      members: {
        Keys: { type: 'List', member: { type: 'Map', value: { type: 'AttributeValue' } } },
        AttributesToGet: { type: 'List', member: { type: 'String' } },
        ConsistentRead: { type: 'Boolean' },
        ProjectionExpression: { type: 'String' },
        ExpressionAttributeNames: { type: 'Map', value: { type: 'String' } },
      },
    },
  },
  ReturnConsumedCapacity: { type: 'String' },
};

// ---------------------------------------------------------------------------------------------
// Constraint messages shared with BatchWriteItem (both take a map keyed by table name).

const errorsListedMax = 10;
export const returnConsumedCapacityValues: readonly string[] = ['INDEXES', 'TOTAL', 'NONE'];
export const tableNameKeysConstraint =
  'Map keys must satisfy constraint: [Member must have length less than or equal to 255, ' +
  'Member must have length greater than or equal to 3, Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+]';

/** One "Value … at 'path' failed to satisfy constraint: …" sentence; `echo` null prints `null`. */
export function constraintViolation(echo: string | null, path: string, constraint: string): string {
  return `Value ${echo === null ? 'null' : `'${echo}'`} at '${path}' failed to satisfy constraint: ${constraint}`;
}

/** The collected constraint violations as one ValidationException (at most 10 listed, as DynamoDB does). */
export function throwConstraintViolations(errors: string[]): void {
  if (errors.length === 0) return;
  const listed = errors.length > errorsListedMax ? errors.slice(0, errorsListedMax) : errors;
  throw validationError(`${listed.length} validation error${listed.length > 1 ? 's' : ''} detected: ${listed.join('; ')}`);
}

export function enumViolation(value: unknown, path: string, values: readonly string[]): string | null {
  if (value === undefined || value === null || values.includes(value as string)) return null;
  return constraintViolation(String(value), path, `Member must satisfy enum value set: [${values.join(', ')}]`);
}

export function hasInvalidTableName(names: readonly string[]): boolean {
  for (const name of names) {
    if (name.length < tableNameLengthMin || name.length > tableNameLengthMax || !tableNamePattern.test(name)) return true;
  }
  return false;
}

/**
 * DynamoDB echoes a rejected collection with Java's toString, an AttributeValue as its class
 * name and identity hash; we print a hash of its JSON instead, so the echo stays short however
 * large the values are.
 */
export function attributeMapEcho(map: unknown): string {
  if (map === null || map === undefined) return 'null';
  if (typeof map !== 'object') return String(map);
  let out = '{';
  let first = true;
  for (const name in map as Record<string, unknown>) {
    out += (first ? '' : ', ') + name + '=com.amazonaws.dynamodb.v20120810.AttributeValue@' + javaHashHex(JSON.stringify((map as Record<string, unknown>)[name]) ?? 'null');
    first = false;
  }
  return out + '}';
}

function javaHashHex(text: string): string {
  let h = 0;
  for (let i = 0; i < text.length; i++) h = (Math.imul(h, 31) + text.charCodeAt(i)) | 0;
  return (h >>> 0).toString(16);
}

function listEcho(list: readonly unknown[], member: (value: unknown) => string): string {
  let out = '[';
  for (let i = 0; i < list.length; i++) out += (i === 0 ? '' : ', ') + member(list[i]);
  return out + ']';
}

function optionalEcho(value: unknown): string {
  if (value === undefined || value === null) return 'null';
  if (Array.isArray(value)) return listEcho(value, String);
  if (typeof value === 'object') {
    const parts: string[] = [];
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) parts.push(`${k}=${String(v)}`);
    return `{${parts.join(', ')}}`;
  }
  return String(value);
}

function keysAndAttributesEcho(spec: unknown): string {
  if (spec === null || spec === undefined || typeof spec !== 'object') return 'null';
  const s = spec as Record<string, unknown>;
  const keys = Array.isArray(s.Keys) ? listEcho(s.Keys, attributeMapEcho) : 'null';
  return (
    `KeysAndAttributes(keys=${keys}, attributesToGet=${optionalEcho(s.AttributesToGet)}, consistentRead=${optionalEcho(s.ConsistentRead)}, ` +
    `projectionExpression=${optionalEcho(s.ProjectionExpression)}, expressionAttributeNames=${optionalEcho(s.ExpressionAttributeNames)})`
  );
}

function requestItemsEcho(requestItems: Record<string, unknown>): string {
  const parts: string[] = [];
  for (const name of Object.keys(requestItems)) parts.push(`${name}=${keysAndAttributesEcho(requestItems[name])}`);
  return `{${parts.join(', ')}}`;
}

/**
 * The RequestItems map of either batch operation: present, 1 to `tablesMax` tables, valid table
 * names. Returns its table names; throws at once (with `errors` so far) when it is missing.
 */
export function requestItemsTables(
  requestItems: Record<string, unknown> | null | undefined,
  tablesMax: number,
  errors: string[],
  echo: (requestItems: Record<string, unknown>) => string = requestItemsEcho,
): string[] {
  if (requestItems === null || requestItems === undefined) {
    errors.push(constraintViolation(null, 'requestItems', 'Member must not be null'));
    throwConstraintViolations(errors);
    return [];
  }
  const names = Object.keys(requestItems);
  if (names.length < 1) errors.push(constraintViolation('{}', 'requestItems', 'Member must have length greater than or equal to 1'));
  if (names.length > tablesMax) {
    errors.push(constraintViolation(echo(requestItems), 'requestItems', `Member must have length less than or equal to ${tablesMax}`));
  }
  if (hasInvalidTableName(names)) errors.push(constraintViolation(echo(requestItems), 'requestItems', tableNameKeysConstraint));
  return names;
}

/** Second pass of the request shape: constraints, in the order and words DynamoDB uses. */
function checkBatchGetConstraints(input: Record<string, unknown>): void {
  const errors: string[] = [];
  const rcc = enumViolation(input.ReturnConsumedCapacity, 'returnConsumedCapacity', returnConsumedCapacityValues);
  if (rcc !== null) errors.push(rcc);
  const requestItems = input.RequestItems as Record<string, unknown> | null | undefined;
  const names = requestItemsTables(requestItems, batchGetTablesMax, errors);
  if (requestItems === null || requestItems === undefined) return;
  for (const name of names) {
    const spec = requestItems[name] as Record<string, unknown> | null | undefined;
    const path = `requestItems.${name}.member`;
    const keys = spec?.Keys as unknown[] | null | undefined;
    if (keys === null || keys === undefined) {
      errors.push(constraintViolation(null, `${path}.keys`, 'Member must not be null'));
    } else if (keys.length < 1) {
      errors.push(constraintViolation('[]', `${path}.keys`, 'Member must have length greater than or equal to 1'));
    } else if (keys.length > batchGetKeysMax) {
      errors.push(constraintViolation(listEcho(keys, attributeMapEcho), `${path}.keys`, `Member must have length less than or equal to ${batchGetKeysMax}`));
    }
    const attributesToGet = spec?.AttributesToGet as unknown[] | null | undefined;
    if (attributesToGet !== null && attributesToGet !== undefined && attributesToGet.length < 1) {
      errors.push(constraintViolation('[]', `${path}.attributesToGet`, 'Member must have length greater than or equal to 1'));
    }
  }
  throwConstraintViolations(errors);
}

// ---------------------------------------------------------------------------------------------

/** One table's part of the request, validated. */
interface TableGets {
  name: string;
  /** The table's KeysAndAttributes as sent (carried into UnprocessedKeys). */
  spec: Record<string, unknown>;
  /** Keys as sent, and normalized. */
  rawKeys: unknown[];
  keys: Item[];
  consistent: boolean;
  projection: CompiledProjection | null;
  table: TableRecord | null;
}

/** Sorted attribute names and canonical values: equal keys, however written, give equal text. */
function canonicalKeyText(key: Item): string {
  const names = Object.keys(key).sort();
  let out = '';
  for (const name of names) out += JSON.stringify(name) + ':' + JSON.stringify(key[name]) + ',';
  return out;
}

function firstDuplicate(values: readonly string[]): string | undefined {
  const seen = new Set<string>();
  for (const value of values) {
    if (seen.has(value)) return value;
    seen.add(value);
  }
  return undefined;
}

function tableGetsOf(name: string, spec: Record<string, unknown>): TableGets {
  const attributesToGet = spec.AttributesToGet as string[] | undefined | null;
  const projectionText = spec.ProjectionExpression as string | undefined | null;
  if (attributesToGet != null && projectionText != null) {
    throw validationError(
      'Can not use both expression and non-expression parameters in the same request: ' +
        'Non-expression parameters: {AttributesToGet} Expression parameters: {ProjectionExpression}',
    );
  }
  let projection: CompiledProjection | null = null;
  if (attributesToGet != null) {
    const duplicate = firstDuplicate(attributesToGet);
    if (duplicate !== undefined) throw validationError(`One or more parameter values were invalid: Duplicate value in attribute name: ${duplicate}`);
    // Legacy AttributesToGet names top-level attributes, taken literally (no path syntax).
    projection = { paths: attributesToGet.map((attribute) => [attribute]), topLevelOnly: true };
  }
  const compiled = compileRequestExpressions(
    {
      ProjectionExpression: projectionText,
      ExpressionAttributeNames: spec.ExpressionAttributeNames as Record<string, string> | undefined | null,
    },
    { expressionParameters: ['ProjectionExpression'] },
  );
  if (compiled.projection !== null) projection = compiled.projection;
  const rawKeys = spec.Keys as unknown[];
  return { name, spec, rawKeys, keys: new Array<Item>(rawKeys.length), consistent: spec.ConsistentRead === true, projection, table: null };
}

function isRetryable(reason: unknown): boolean {
  return reason instanceof DynamoError && reason.kind.retryable;
}

/**
 * Keys read at once before answers say how large this call's items are: DynamoDB's 16 MB of
 * items of the 400 KB an item may be. Each answer is one frame of one item; the window keeps the
 * answers in flight, discarded ones included, near the 16 MB the response keeps.
 */
const keysInFlightFirst = Math.floor(batchGetResponseBytesMax / itemSizeBytesMax);

/** What became of one key. */
const Unprocessed = 0;
const Absent = 1;
const Found = 2;

/** One call's reads: which key is next, what each key came to, and the response so far. */
interface BatchGather {
  /** Every key of the request, table by table, in the request's order. */
  readonly keys: ReadonlyArray<{ gets: TableGets; index: number }>;
  /** Per key: Unprocessed (not read, failed retryably, or over 16 MB), Absent, or Found. */
  readonly outcome: Uint8Array;
  /** Per key: the item's JSON as the response carries it (projected), when Found. */
  /** Each found item's JSON: bytes as stored, or text when projected. */
  readonly texts: Array<string | Uint8Array>;
  /** Read units charged per table, over every answer (discarded ones were read too). */
  readonly units: Map<TableGets, number>;
  next: number;
  inFlight: number;
  responseBytes: number;
  found: number;
  answered: number;
  /** The most bytes one answer is assumed to take: the 400 KB of an item, or the largest seen. */
  answerBytesEstimate: number;
  /** An answer did not fit: no more keys are read. */
  full: boolean;
  firstFailure: unknown;
  fatal: unknown;
}

export async function batchGetItem(ctx: ReadApiContext, input: Record<string, unknown>): Promise<ResponseBody> {
  checkRequestShape(input, batchGetTypes);
  checkBatchGetConstraints(input);
  const requestItems = input.RequestItems as Record<string, Record<string, unknown>>;

  // Everything that needs no table first: expressions, attribute values, duplicates, the
  // 100-key limit; then every table must exist; then every key must match its schema.
  const tables: TableGets[] = [];
  let keyCount = 0;
  for (const name of Object.keys(requestItems)) {
    const gets = tableGetsOf(name, requestItems[name]);
    const seen = new Set<string>();
    for (let i = 0; i < gets.rawKeys.length; i++) {
      const key = normalizeItem(gets.rawKeys[i], 'Key');
      const text = canonicalKeyText(key);
      if (seen.has(text)) throw validationError('Provided list of item keys contains duplicates');
      seen.add(text);
      if (++keyCount > batchGetKeysMax) throw validationError('Too many items requested for the BatchGetItem call');
      gets.keys[i] = key;
    }
    tables.push(gets);
  }
  for (const gets of tables) gets.table = tableFor(ctx, gets.name);
  for (const gets of tables) {
    const table = gets.table!;
    for (let i = 0; i < gets.keys.length; i++) gets.keys[i] = validateKey(gets.keys[i], table.keySchema, table.attributeDefinitions);
  }

  const keys: Array<{ gets: TableGets; index: number }> = [];
  for (const gets of tables) for (let index = 0; index < gets.keys.length; index++) keys.push({ gets, index });
  const gather: BatchGather = {
    keys,
    outcome: new Uint8Array(keys.length),
    texts: new Array<string | Uint8Array>(keys.length),
    units: new Map(),
    next: 0,
    inFlight: 0,
    responseBytes: 0,
    found: 0,
    answered: 0,
    answerBytesEstimate: itemSizeBytesMax,
    full: false,
    firstFailure: undefined,
    fatal: undefined,
  };
  await new Promise<void>((done) => readKeys(ctx, gather, done));
  if (gather.fatal !== undefined) throw gather.fatal;
  // Nothing could be read at all: the error itself tells the SDK to retry the whole call.
  if (gather.answered === 0 && gather.firstFailure !== undefined) throw gather.firstFailure;
  return batchGetResponse(tables, gather, input.ReturnConsumedCapacity);
}

/**
 * Reads keys in order while the answers in flight could still fit the response, each as its own
 * storage request (so each answer is one frame of one item); calls `done` once every read sent
 * has settled and no more will be.
 */
function readKeys(ctx: ReadApiContext, gather: BatchGather, done: () => void): void {
  while (
    !gather.full &&
    gather.fatal === undefined &&
    gather.next < gather.keys.length &&
    (gather.inFlight === 0 || gather.responseBytes + (gather.inFlight + 1) * gather.answerBytesEstimate <= batchGetResponseBytesMax)
  ) {
    const n = gather.next++;
    const { gets, index } = gather.keys[n];
    const table = gets.table!;
    const { hash32, storageKey } = routeKey(keyInfoOf(table), gets.keys[index]);
    const req: GetRequest = { id: 0, op: Op.Get, t: table.tableId, p: 0, v: 0, k: storageKey, c: gets.consistent };
    gather.inFlight++;
    ctx.router.sendByHash(table.tableId, hash32, req, gets.consistent).then(
      (res) => {
        gather.inFlight--;
        takeAnswer(gather, n, res);
        readKeys(ctx, gather, done);
      },
      (reason: unknown) => {
        gather.inFlight--;
        if (!isRetryable(reason)) gather.fatal ??= reason;
        else gather.firstFailure ??= reason;
        readKeys(ctx, gather, done);
      },
    );
  }
  if (gather.inFlight === 0) done();
}

/** Keeps one key's answer if the response has room (its first item always fits), else leaves the key unprocessed. */
function takeAnswer(gather: BatchGather, n: number, res: StorageResponse): void {
  const gets = gather.keys[n].gets;
  gather.units.set(gets, (gather.units.get(gets) ?? 0) + (res.cu ?? 0));
  gather.answered++;
  const json = res.json;
  if (json === null || json === undefined) {
    gather.outcome[n] = Absent;
    return;
  }
  const out = gets.projection === null ? json : JSON.stringify(project(gets.projection, JSON.parse(bufferView(json).toString('utf8')) as Item));
  const bytes = (typeof out === 'string' ? Buffer.byteLength(out, 'utf8') : out.length) + 1;
  if (bytes > gather.answerBytesEstimate) gather.answerBytesEstimate = bytes;
  if (gather.found > 0 && gather.responseBytes + bytes > batchGetResponseBytesMax) {
    // The response is full: this key and every one not yet read are left for the next call.
    gather.full = true;
    gather.answered--;
    return;
  }
  gather.outcome[n] = Found;
  gather.texts[n] = out;
  gather.responseBytes += bytes;
  gather.found++;
}

/** Builds the response, in the request's order, from the items' JSON as the storage nodes stored it. */
function batchGetResponse(tables: readonly TableGets[], gather: BatchGather, returnConsumedCapacity: unknown): ResponseBody {
  const consumed: string[] = [];
  const parts: Array<string | Uint8Array> = ['{"Responses":{'];
  let unprocessed = '';
  let n = 0;
  for (let t = 0; t < tables.length; t++) {
    const gets = tables[t];
    let unprocessedKeys: unknown[] | null = null;
    const name = JSON.stringify(gets.name);
    parts.push((t === 0 ? '' : ',') + name + ':[');
    let found = 0;
    for (let i = 0; i < gets.keys.length; i++, n++) {
      const outcome = gather.outcome[n];
      if (outcome === Found) {
        if (found++ > 0) parts.push(',');
        parts.push(gather.texts[n]);
      } else if (outcome === Unprocessed) (unprocessedKeys ??= []).push(gets.rawKeys[i]);
    }
    parts.push(']');
    if (returnConsumedCapacity === 'TOTAL' || returnConsumedCapacity === 'INDEXES') {
      consumed.push(consumedCapacityJson(returnConsumedCapacity, gets.name, gather.units.get(gets) ?? 0, 'read'));
    }
    if (unprocessedKeys !== null) {
      unprocessed += (unprocessed.length === 0 ? '' : ',') + name + ':' + JSON.stringify({ ...gets.spec, Keys: unprocessedKeys });
    }
  }
  const cc = consumed.length > 0 ? `,"ConsumedCapacity":[${consumed.join(',')}]` : '';
  parts.push(`},"UnprocessedKeys":{${unprocessed}}${cc}}`);
  return jsonBytes(parts);
}
