// Secondary index definitions, validated as DynamoDB validates them and with its messages:
// CreateTable's GlobalSecondaryIndexes and LocalSecondaryIndexes, and UpdateTable's
// GlobalSecondaryIndexUpdates. Pure: it reads requests and table records, and returns the
// catalog's SecondaryIndex records or the index actions for the control plane to carry out.
//
// Where a message or an order of checks comes from: dynalite's createTable/updateTable tests
// (run against DynamoDB), and for what is newer than dynalite (multi-attribute keys, the
// OnDemandThroughput and "not used" wordings, UpdateTable's index rules) texts captured from
// DynamoDB by third parties (error reports quoting DynamoDB, DynamoDB API probes).
import { DynamoError, validationError } from '../protocol/errors.ts';
import type { Shape } from '../validation/request-shape.ts';
import { indexHolderName, type BillingMode, type OnDemandThroughput, type Projection, type ProjectionType, type SecondaryIndex, type TableRecord } from '../control/table-record.ts';
import type { AttributeDefinition, KeySchemaElement } from '../values/types.ts';
import { indexKeyAttributesMax, localSecondaryIndexesMax, projectedNonKeyAttributesMax, provisionedUnitsMax } from '../limits.ts';

const invalid = 'One or more parameter values were invalid: ';

function invalidParameter(detail: string): DynamoError {
  return validationError(invalid + detail);
}

// ---- request shapes --------------------------------------------------------------------------

const indexNameShape: Shape = { type: 'String', notNull: true, minLength: 3, maxLength: 255, pattern: /^[a-zA-Z0-9_.-]+$/, patternText: '[a-zA-Z0-9_.-]+' };

const keySchemaElementShape: Shape = {
  type: 'Structure',
  notNull: true,
  members: {
    AttributeName: { type: 'String', notNull: true, minLength: 1, maxLength: 255 },
    KeyType: { type: 'String', notNull: true, enum: ['HASH', 'RANGE'] },
  },
};

/** A GSI key has no length bound in DynamoDB's model since multi-attribute keys: the counts are checked after. */
const globalKeySchemaShape: Shape = { type: 'List', notNull: true, minLength: 1, member: keySchemaElementShape };
const localKeySchemaShape: Shape = { type: 'List', notNull: true, minLength: 1, maxLength: 2, member: keySchemaElementShape };

const projectionShape: Shape = {
  type: 'Structure',
  notNull: true,
  members: {
    ProjectionType: { type: 'String', enum: ['ALL', 'INCLUDE', 'KEYS_ONLY'] },
    // 20 per index in DynamoDB's model; 100 across a table's indexes is checked after.
    NonKeyAttributes: { type: 'List', minLength: 1, maxLength: 20, member: { type: 'String', notNull: true, minLength: 1, maxLength: 255 } },
  },
};

export const provisionedThroughputShape: Shape = {
  type: 'Structure',
  members: {
    ReadCapacityUnits: { type: 'Long', notNull: true, min: 1 },
    WriteCapacityUnits: { type: 'Long', notNull: true, min: 1 },
  },
};

/** Bounds are semantic (at least 1, or -1 on UpdateTable), so the shape only types the members. */
export const onDemandThroughputShape: Shape = {
  type: 'Structure',
  members: { MaxReadRequestUnits: { type: 'Long' }, MaxWriteRequestUnits: { type: 'Long' } },
};

export const attributeDefinitionShape: Shape = {
  type: 'Structure',
  notNull: true,
  members: {
    AttributeName: { type: 'String', notNull: true, minLength: 1, maxLength: 255 },
    AttributeType: { type: 'String', notNull: true, enum: ['S', 'N', 'B'] },
  },
};

export const localSecondaryIndexesShape: Shape = {
  type: 'List',
  member: { type: 'Structure', notNull: true, members: { IndexName: indexNameShape, KeySchema: localKeySchemaShape, Projection: projectionShape } },
};

export const globalSecondaryIndexesShape: Shape = {
  type: 'List',
  member: {
    type: 'Structure',
    notNull: true,
    members: {
      IndexName: indexNameShape,
      KeySchema: globalKeySchemaShape,
      Projection: projectionShape,
      ProvisionedThroughput: provisionedThroughputShape,
      OnDemandThroughput: onDemandThroughputShape,
    },
  },
};

export const globalSecondaryIndexUpdatesShape: Shape = {
  type: 'List',
  member: {
    type: 'Structure',
    notNull: true,
    members: {
      Update: {
        type: 'Structure',
        members: { IndexName: indexNameShape, ProvisionedThroughput: provisionedThroughputShape, OnDemandThroughput: onDemandThroughputShape },
      },
      Create: {
        type: 'Structure',
        members: {
          IndexName: indexNameShape,
          KeySchema: globalKeySchemaShape,
          Projection: projectionShape,
          ProvisionedThroughput: provisionedThroughputShape,
          OnDemandThroughput: onDemandThroughputShape,
        },
      },
      Delete: { type: 'Structure', members: { IndexName: indexNameShape } },
    },
  },
};

// ---- what a request carries, once its shape is checked ----------------------------------------

interface ThroughputInput {
  ReadCapacityUnits: number;
  WriteCapacityUnits: number;
}

interface OnDemandThroughputInput {
  MaxReadRequestUnits?: number | null;
  MaxWriteRequestUnits?: number | null;
}

interface ProjectionInput {
  ProjectionType?: ProjectionType | null;
  NonKeyAttributes?: string[] | null;
}

interface IndexInput {
  IndexName: string;
  KeySchema: KeySchemaElement[];
  Projection: ProjectionInput;
  ProvisionedThroughput?: ThroughputInput | null;
  OnDemandThroughput?: OnDemandThroughputInput | null;
}

/** One entry of GlobalSecondaryIndexUpdates, its shape checked. */
export interface GlobalIndexUpdateInput {
  Update?: { IndexName: string; ProvisionedThroughput?: ThroughputInput | null; OnDemandThroughput?: OnDemandThroughputInput | null } | null;
  Create?: IndexInput | null;
  Delete?: { IndexName: string } | null;
}

/** What UpdateTable's GlobalSecondaryIndexUpdates ask of the control plane, one per entry. */
export type GlobalSecondaryIndexAction =
  | { kind: 'create'; index: SecondaryIndex; attributeDefinitions: AttributeDefinition[] }
  | { kind: 'update'; indexName: string; readCapacityUnits?: number; writeCapacityUnits?: number; onDemandThroughput?: OnDemandThroughput }
  | { kind: 'delete'; indexName: string };

// ---- key schemas --------------------------------------------------------------------------------

/**
 * A table's or an LSI's key schema: a HASH element, then at most one RANGE element (the list's
 * length is bounded by its shape).
 */
export function checkSingleAttributeKeySchema(keySchema: KeySchemaElement[]): void {
  if (keySchema.length === 2 && keySchema[0].AttributeName === keySchema[1].AttributeName) {
    throw validationError('Both the Hash Key and the Range Key element in the KeySchema have the same name');
  }
  if (keySchema[0].KeyType !== 'HASH') throw validationError('Invalid KeySchema: The first KeySchemaElement is not a HASH key type');
  if (keySchema.length === 2 && keySchema[1].KeyType !== 'RANGE') throw validationError('Invalid KeySchema: The second KeySchemaElement is not a RANGE key type');
}

/** A GSI's key schema: 1 to 4 HASH elements, then 0 to 4 RANGE elements (multi-attribute keys), no attribute twice. */
function checkGlobalKeySchema(keySchema: KeySchemaElement[]): void {
  const names = new Set(keySchema.map((k) => k.AttributeName));
  if (names.size !== keySchema.length) throw validationError('The KeySchema contains multiple key attributes with the same name');
  if (keySchema[0].KeyType !== 'HASH') throw validationError('Invalid KeySchema: The first KeySchemaElement is not a HASH key type');
  const firstRange = keySchema.findIndex((k) => k.KeyType === 'RANGE');
  if (firstRange !== -1 && keySchema.slice(firstRange).some((k) => k.KeyType === 'HASH')) {
    throw invalidParameter('All HASH key attributes must precede RANGE key attributes in the KeySchema');
  }
  for (const keyType of ['HASH', 'RANGE'] as const) {
    if (keySchema.filter((k) => k.KeyType === keyType).length > indexKeyAttributesMax) {
      throw invalidParameter(`The KeySchema exceeds the maximum allowed number of ${keyType} key attributes`);
    }
  }
}

/** An LSI shares its table's partition key and adds one sort key. */
function checkLocalKeySchema(index: IndexInput, tableKeySchema: KeySchemaElement[]): void {
  checkSingleAttributeKeySchema(index.KeySchema);
  if (index.KeySchema.length !== 2) throw invalidParameter(`Index KeySchema does not have a range key for index: ${index.IndexName}`);
  const indexHash = index.KeySchema[0].AttributeName;
  const tableHash = tableKeySchema[0].AttributeName;
  if (indexHash !== tableHash) {
    throw invalidParameter(
      `Index KeySchema does not have the same leading hash key as table KeySchema for index: ${index.IndexName}. index hash key: ${indexHash}, table hash key: ${tableHash}`,
    );
  }
}

// ---- attribute definitions ----------------------------------------------------------------------

/** DynamoDB prints name lists as Java's List.toString does. */
function listText(names: readonly string[]): string {
  return `[${names.join(', ')}]`;
}

/** Java's String.hashCode. */
function javaStringHash(text: string): number {
  let hash = 0;
  for (let i = 0; i < text.length; i++) hash = (Math.imul(31, hash) + text.charCodeAt(i)) | 0;
  return hash;
}

/**
 * The order in which a java.util.HashSet of `names` (inserted in this order) iterates. DynamoDB
 * prints the "keys used" of its unused-definitions message from such a set: captured messages list
 * them in this order and not in request order (keys [pk, sk] of a table and [a] of its index come
 * out as [a, sk, pk]).
 */
export function javaHashSetOrder(names: readonly string[]): string[] {
  let capacity = 16;
  while (names.length > capacity * 0.75) capacity *= 2;
  const bucket = (name: string) => {
    const hash = javaStringHash(name);
    return (hash ^ (hash >>> 16)) & (capacity - 1);
  };
  return names
    .map((name, inserted) => ({ name, inserted, bucket: bucket(name) }))
    .sort((a, b) => a.bucket - b.bucket || a.inserted - b.inserted)
    .map((entry) => entry.name);
}

/** Every key attribute of an index must be defined; DynamoDB lists all of that index's keys. */
function checkIndexKeysDefined(keySchema: KeySchemaElement[], definitions: AttributeDefinition[]): void {
  const defined = definitions.map((d) => d.AttributeName);
  const keys = keySchema.map((k) => k.AttributeName);
  if (keys.some((key) => !defined.includes(key))) {
    throw invalidParameter(`Some index key attributes are not defined in AttributeDefinitions. Keys: ${listText(keys)}, AttributeDefinitions: ${listText(defined)}`);
  }
}

/**
 * AttributeDefinitions must define exactly the key attributes of the table and its indexes (every
 * key attribute's definition was checked before). DynamoDB words the extra definition differently
 * for a table without indexes.
 */
function checkNoUnusedDefinitions(definitions: AttributeDefinition[], tableKeySchema: KeySchemaElement[], indexes: IndexInput[]): void {
  const used = new Set(tableKeySchema.map((k) => k.AttributeName));
  for (const index of indexes) for (const key of index.KeySchema) used.add(key.AttributeName);
  if (definitions.every((d) => used.has(d.AttributeName))) return;
  if (indexes.length === 0) {
    throw invalidParameter('Number of attributes in KeySchema does not exactly match number of attributes defined in AttributeDefinitions');
  }
  throw invalidParameter(`Some AttributeDefinitions are not used. AttributeDefinitions: ${listText(definitions.map((d) => d.AttributeName))}, keys used: ${listText(javaHashSetOrder([...used]))}`);
}

// ---- projections --------------------------------------------------------------------------------

function checkProjection(projection: ProjectionInput): void {
  const type = projection.ProjectionType;
  const nonKey = projection.NonKeyAttributes;
  if (type == null) throw invalidParameter('Unknown ProjectionType: null');
  if (nonKey != null && type !== 'INCLUDE') throw invalidParameter(`ProjectionType is ${type}, but NonKeyAttributes is specified`);
  if (nonKey == null && type === 'INCLUDE') throw invalidParameter('ProjectionType is INCLUDE, but NonKeyAttributes is not specified');
  const seen = new Set<string>();
  for (const name of nonKey ?? []) {
    if (seen.has(name)) throw invalidParameter(`Duplicate element in NonKeyAttributes: ${name}`);
    seen.add(name);
  }
}

/** INCLUDE projections of all of a table's indexes name at most 100 attributes (one named twice counts twice). */
function checkProjectedAttributeCount(projections: Array<ProjectionInput | Projection>): void {
  let count = 0;
  for (const projection of projections) count += projection.NonKeyAttributes?.length ?? 0;
  if (count > projectedNonKeyAttributesMax) {
    throw invalidParameter(`Number of projected attributes in all indexes exceeds limit of ${projectedNonKeyAttributesMax}`);
  }
}

function projectionRecord(projection: ProjectionInput): Projection {
  const record: Projection = { ProjectionType: projection.ProjectionType as ProjectionType };
  if (projection.NonKeyAttributes != null) record.NonKeyAttributes = [...projection.NonKeyAttributes];
  return record;
}

function keySchemaRecord(keySchema: KeySchemaElement[]): KeySchemaElement[] {
  return keySchema.map((k) => ({ AttributeName: k.AttributeName, KeyType: k.KeyType }));
}

// ---- throughput -----------------------------------------------------------------------------

const onDemandMembers = ['MaxReadRequestUnits', 'MaxWriteRequestUnits'] as const;

/** The members an OnDemandThroughput names (an empty one names none and changes nothing). */
function onDemandThroughputOf(input: OnDemandThroughputInput | null | undefined): OnDemandThroughput | undefined {
  if (input == null) return undefined;
  const result: OnDemandThroughput = {};
  for (const member of onDemandMembers) {
    const value = input[member];
    if (value != null) result[member] = value;
  }
  return Object.keys(result).length > 0 ? result : undefined;
}

/**
 * On-demand maxima: only on a PAY_PER_REQUEST table; at least 1, or -1 (no maximum) where `minusOneClears`
 * (UpdateTable's Update). `whose` is "table" or "index : NAME" as DynamoDB's messages say it;
 * CreateTable words the billing-mode refusal without "the" and with a full stop, UpdateTable not.
 */
function checkOnDemandThroughput(odt: OnDemandThroughput | undefined, billingMode: BillingMode, whose: string, wording: 'create' | 'update', minusOneClears: boolean): void {
  if (odt === undefined) return;
  if (billingMode === 'PROVISIONED') {
    const member = onDemandMembers.find((m) => odt[m] !== undefined);
    const forWhom = whose === 'table' ? '' : ` for ${whose}`;
    const tail = wording === 'create' ? 'when table BillingMode is PROVISIONED.' : 'when the table BillingMode is PROVISIONED';
    throw invalidParameter(`${member} for OnDemandThroughput${forWhom} cannot be specified ${tail}`);
  }
  for (const member of onDemandMembers) {
    const value = odt[member];
    if (value === undefined) continue;
    if (value < 1 && !(minusOneClears && value === -1)) throw invalidParameter(`Requested ${member} for OnDemandThroughput for ${whose} is outside of valid range`);
  }
}

/** CreateTable's top-level OnDemandThroughput: what the table record keeps, if anything. */
export function parseTableOnDemandThroughput(input: Record<string, unknown>, billingMode: BillingMode): OnDemandThroughput | undefined {
  const odt = onDemandThroughputOf(input.OnDemandThroughput as OnDemandThroughputInput | undefined);
  checkOnDemandThroughput(odt, billingMode, 'table', 'create', false);
  return odt;
}

/** UpdateTable's top-level OnDemandThroughput, for a table that is (or becomes) PAY_PER_REQUEST; -1 removes a maximum. */
export function parseUpdateTableOnDemandThroughput(input: Record<string, unknown>, billingMode: BillingMode): OnDemandThroughput | undefined {
  const odt = onDemandThroughputOf(input.OnDemandThroughput as OnDemandThroughputInput | undefined);
  checkOnDemandThroughput(odt, billingMode, 'table', 'update', true);
  return odt;
}

/** CreateTable: a GSI's capacity follows the table's billing mode. */
function checkCreateTableIndexThroughput(index: IndexInput, billingMode: BillingMode): void {
  const throughput = index.ProvisionedThroughput;
  if (billingMode === 'PAY_PER_REQUEST') {
    if (throughput != null) throw invalidParameter(`ProvisionedThroughput should not be specified for index: ${index.IndexName} when BillingMode is PAY_PER_REQUEST`);
  } else {
    if (throughput == null) throw invalidParameter(`ProvisionedThroughput is not specified for index: ${index.IndexName}`);
    for (const field of ['ReadCapacityUnits', 'WriteCapacityUnits'] as const) {
      if (throughput[field] > provisionedUnitsMax) throw validationError(`Given value ${throughput[field]} for ${field} is out of bounds`);
    }
  }
  checkOnDemandThroughput(onDemandThroughputOf(index.OnDemandThroughput), billingMode, `index : ${index.IndexName}`, 'create', false);
}

/** DynamoDB's refusal of an index capacity above its bound on UpdateTable. */
const indexUpdateBlocked = 'This operation cannot be performed with given input values. Please contact DynamoDB service team for more info: Action Blocked: IndexUpdate';

function checkIndexThroughputBounds(throughput: ThroughputInput | null | undefined): void {
  if (throughput == null) return;
  if (throughput.ReadCapacityUnits > provisionedUnitsMax || throughput.WriteCapacityUnits > provisionedUnitsMax) throw validationError(indexUpdateBlocked);
}

// ---- records ----------------------------------------------------------------------------------

function globalIndexRecord(tableName: string, index: IndexInput, billingMode: BillingMode, status: 'ACTIVE' | 'CREATING'): SecondaryIndex {
  const record: SecondaryIndex = {
    kind: 'GSI',
    name: index.IndexName,
    keySchema: keySchemaRecord(index.KeySchema),
    projection: projectionRecord(index.Projection),
    status,
    holder: indexHolderName(tableName, index.IndexName),
  };
  if (status === 'CREATING') record.backfilling = true;
  if (billingMode === 'PROVISIONED' && index.ProvisionedThroughput != null) {
    record.readCapacityUnits = index.ProvisionedThroughput.ReadCapacityUnits;
    record.writeCapacityUnits = index.ProvisionedThroughput.WriteCapacityUnits;
  }
  const odt = onDemandThroughputOf(index.OnDemandThroughput);
  if (odt !== undefined) record.onDemandThroughput = odt;
  return record;
}

function localIndexRecord(index: IndexInput): SecondaryIndex {
  return { kind: 'LSI', name: index.IndexName, keySchema: keySchemaRecord(index.KeySchema), projection: projectionRecord(index.Projection), status: 'ACTIVE' };
}

function claimIndexName(names: Set<string>, name: string): void {
  if (names.has(name)) throw invalidParameter(`Duplicate index name: ${name}`);
  names.add(name);
}

// ---- CreateTable ------------------------------------------------------------------------------

/**
 * CreateTable's LocalSecondaryIndexes and GlobalSecondaryIndexes, and the rule that
 * AttributeDefinitions define exactly the key attributes of the table and its indexes (also for a
 * table without indexes). The table's own key schema and definitions were checked before.
 * Returns the GSIs then the LSIs, each in request order, ACTIVE.
 *
 * The order of checks is DynamoDB's as far as it is known: empty lists and a table without a sort
 * key first, then every index's key definitions, then unused definitions (which hide the
 * per-index errors below), then each LSI and each GSI in turn, the counts after each kind.
 */
export function parseCreateTableIndexes(
  input: Record<string, unknown>,
  keySchema: KeySchemaElement[],
  definitions: AttributeDefinition[],
  billingMode: BillingMode,
  globalSecondaryIndexesMax: number,
): SecondaryIndex[] {
  const locals = (input.LocalSecondaryIndexes as IndexInput[] | null | undefined) ?? undefined;
  const globals = (input.GlobalSecondaryIndexes as IndexInput[] | null | undefined) ?? undefined;
  if (locals !== undefined) {
    if (locals.length === 0) throw invalidParameter('List of LocalSecondaryIndexes is empty');
    if (keySchema.length !== 2) throw invalidParameter('Table KeySchema does not have a range key, which is required when specifying a LocalSecondaryIndex');
  }
  if (globals !== undefined && globals.length === 0) throw invalidParameter('List of GlobalSecondaryIndexes is empty');
  const requested = [...(locals ?? []), ...(globals ?? [])];
  for (const index of requested) checkIndexKeysDefined(index.KeySchema, definitions);
  checkNoUnusedDefinitions(definitions, keySchema, requested);

  const names = new Set<string>();
  for (const index of locals ?? []) {
    checkLocalKeySchema(index, keySchema);
    checkProjection(index.Projection);
    claimIndexName(names, index.IndexName);
  }
  if ((locals?.length ?? 0) > localSecondaryIndexesMax) {
    throw invalidParameter(`Number of LocalSecondaryIndexes exceeds per-table limit of ${localSecondaryIndexesMax}`);
  }
  for (const index of globals ?? []) {
    checkGlobalKeySchema(index.KeySchema);
    checkProjection(index.Projection);
    checkCreateTableIndexThroughput(index, billingMode);
    claimIndexName(names, index.IndexName);
  }
  if ((globals?.length ?? 0) > globalSecondaryIndexesMax) {
    throw invalidParameter(`GlobalSecondaryIndex count exceeds the per-table limit of ${globalSecondaryIndexesMax}`);
  }
  checkProjectedAttributeCount(requested.map((index) => index.Projection));

  const tableName = input.TableName as string;
  return [...(globals ?? []).map((index) => globalIndexRecord(tableName, index, billingMode, 'ACTIVE')), ...(locals ?? []).map(localIndexRecord)];
}

// ---- UpdateTable ------------------------------------------------------------------------------

const oneOnlineIndexAtATime = 'Subscriber limit exceeded: Only 1 online index can be created or deleted simultaneously per table';

function actionOf(update: GlobalIndexUpdateInput): { IndexName: string } {
  return (update.Update ?? update.Create ?? update.Delete) as { IndexName: string };
}

/**
 * What GlobalSecondaryIndexUpdates must be without looking at the table (so a missing table is
 * reported after these): not empty, one action per entry, one entry per index, and at most one
 * Create or Delete in the call.
 */
export function checkGlobalSecondaryIndexUpdateEntries(updates: GlobalIndexUpdateInput[]): void {
  if (updates.length === 0) throw invalidParameter('List of GlobalSecondaryIndexUpdates is empty');
  const names = new Set<string>();
  for (const update of updates) {
    const actions = [update.Update, update.Create, update.Delete].filter((action) => action != null).length;
    if (actions === 0) {
      throw invalidParameter('One of GlobalSecondaryIndexUpdate.Update, GlobalSecondaryIndexUpdate.Create, GlobalSecondaryIndexUpdate.Delete must not be null');
    }
    if (actions > 1) throw invalidParameter('Only one global secondary index action is allowed per GlobalSecondaryIndexUpdate object');
    const name = actionOf(update).IndexName;
    if (names.has(name)) throw invalidParameter(`Only one global secondary index update per index is allowed simultaneously. Index: ${name}`);
    names.add(name);
  }
  if (updates.filter((u) => u.Create != null || u.Delete != null).length > 1) throw new DynamoError('LimitExceededException', oneOnlineIndexAtATime);
}

function indexNotFound(table: TableRecord, name: string): DynamoError {
  return new DynamoError('ResourceNotFoundException', `Requested resource not found: Index ${name} for table ${table.name}`);
}

/** The table's index `name`, which UpdateTable may change only if it is a GSI that is not going away. */
function existingGlobalIndex(table: TableRecord, name: string, verb: 'update' | 'delete'): SecondaryIndex {
  const index = table.indexes?.find((i) => i.name === name);
  if (index === undefined) throw indexNotFound(table, name);
  if (index.kind !== 'GSI') throw validationError(`Cannot ${verb} an index that is not a GlobalSecondaryIndex: ${name}`);
  if (index.status === 'DELETING') {
    throw new DynamoError('ResourceInUseException', `Attempt to change a resource which is still in use: Index is being deleted. Table: ${table.name} Index: ${name}`);
  }
  return index;
}

/**
 * A Create's AttributeDefinitions must themselves define the new index's keys, even keys the table
 * already defines. What is kept: the table's definitions (an attribute keeps its type) plus the new
 * keys' definitions; definitions no key uses are dropped, as DynamoDB drops them.
 */
function mergedDefinitions(table: TableRecord, index: IndexInput, requested: AttributeDefinition[] | null | undefined): AttributeDefinition[] {
  if (requested == null) throw invalidParameter(`AttributeDefinitions is not specified for index: ${index.IndexName}`);
  const keys = index.KeySchema.map((k) => k.AttributeName);
  if (new Set(keys).size > requested.length) throw validationError('Invalid KeySchema: Some index key attribute have no definition');
  checkIndexKeysDefined(index.KeySchema, requested);
  const merged = table.attributeDefinitions.map((d) => ({ AttributeName: d.AttributeName, AttributeType: d.AttributeType }));
  for (const key of keys) {
    if (merged.some((d) => d.AttributeName === key)) continue;
    const definition = requested.find((d) => d.AttributeName === key) as AttributeDefinition;
    merged.push({ AttributeName: definition.AttributeName, AttributeType: definition.AttributeType });
  }
  return merged;
}

function parseCreate(create: IndexInput, input: Record<string, unknown>, table: TableRecord, billingMode: BillingMode, globalSecondaryIndexesMax: number): GlobalSecondaryIndexAction {
  const name = create.IndexName;
  if (table.indexes?.some((i) => i.name === name)) throw validationError('Attempting to create an index which already exists');
  const attributeDefinitions = mergedDefinitions(table, create, input.AttributeDefinitions as AttributeDefinition[] | null | undefined);
  checkGlobalKeySchema(create.KeySchema);
  checkProjection(create.Projection);
  const throughput = create.ProvisionedThroughput;
  if (billingMode === 'PAY_PER_REQUEST') {
    if (throughput != null) throw invalidParameter(`ProvisionedThroughput should not be specified for index: ${name} when BillingMode is PAY_PER_REQUEST`);
  } else if (throughput == null) {
    throw invalidParameter(`Both ReadCapacityUnits and WriteCapacityUnits must be specified for index: ${name}`);
  }
  checkIndexThroughputBounds(throughput);
  checkOnDemandThroughput(onDemandThroughputOf(create.OnDemandThroughput), billingMode, `index : ${name}`, 'update', false);
  checkProjectedAttributeCount([...(table.indexes ?? []).map((i) => i.projection), create.Projection]);
  const globals = (table.indexes ?? []).filter((i) => i.kind === 'GSI').length;
  if (globals + 1 > globalSecondaryIndexesMax) {
    throw new DynamoError('LimitExceededException', `Subscriber limit exceeded: Number of global secondary indexes exceeds per-table limit of ${globalSecondaryIndexesMax}`);
  }
  return { kind: 'create', index: globalIndexRecord(table.name, create, billingMode, 'CREATING'), attributeDefinitions };
}

type UpdateInput = NonNullable<GlobalIndexUpdateInput['Update']>;

function parseUpdate(update: UpdateInput, table: TableRecord, billingMode: BillingMode): GlobalSecondaryIndexAction {
  const name = update.IndexName;
  const throughput = update.ProvisionedThroughput;
  checkIndexThroughputBounds(throughput);
  const index = existingGlobalIndex(table, name, 'update');
  if (billingMode === 'PAY_PER_REQUEST' && throughput != null) {
    throw invalidParameter(`The only Updates for index: ${name} when TableThroughputMode is PAY_PER_REQUEST can be to OnDemandThroughput, WarmThroughput`);
  }
  const odt = onDemandThroughputOf(update.OnDemandThroughput);
  checkOnDemandThroughput(odt, billingMode, `index : ${name}`, 'update', true);
  const action: GlobalSecondaryIndexAction = { kind: 'update', indexName: name };
  if (throughput != null) {
    // Only when the table stays PROVISIONED does the index have a capacity to compare with.
    if (table.billingMode === 'PROVISIONED' && throughput.ReadCapacityUnits === index.readCapacityUnits && throughput.WriteCapacityUnits === index.writeCapacityUnits) {
      throw validationError(indexThroughputUnchanged(name, throughput));
    }
    action.readCapacityUnits = throughput.ReadCapacityUnits;
    action.writeCapacityUnits = throughput.WriteCapacityUnits;
  }
  if (odt !== undefined) action.onDemandThroughput = odt;
  return action;
}

function indexThroughputUnchanged(name: string, throughput: ThroughputInput): string {
  const read = throughput.ReadCapacityUnits;
  const write = throughput.WriteCapacityUnits;
  return (
    `The provisioned throughput for the index ${name} will not change. The requested value equals the current value. ` +
    `Current ReadCapacityUnits provisioned for index ${name}: ${read}. Requested ReadCapacityUnits: ${read}. ` +
    `Current WriteCapacityUnits provisioned for index ${name}: ${write}. Requested WriteCapacityUnits: ${write}. ` +
    `Refer to the Amazon DynamoDB Developer Guide for current limits and how to request higher limits.`
  );
}

/**
 * UpdateTable's GlobalSecondaryIndexUpdates on `table`, in request order: a new GSI (CREATING,
 * backfilling) with the table's AttributeDefinitions merged with the new key attributes', a
 * throughput change, or a removal. The billing mode that counts is the one the call leaves the
 * table in (a Create may come with a BillingMode switch).
 */
export function parseGlobalSecondaryIndexUpdates(input: Record<string, unknown>, table: TableRecord, globalSecondaryIndexesMax: number): GlobalSecondaryIndexAction[] {
  const updates = input.GlobalSecondaryIndexUpdates as GlobalIndexUpdateInput[];
  checkGlobalSecondaryIndexUpdateEntries(updates); // again, so that this stands alone
  const createsOrDeletes = updates.some((u) => u.Create != null || u.Delete != null);
  if (createsOrDeletes && input.ProvisionedThroughput != null) throw invalidParameter('You cannot create or delete index while updating table IOPS');
  const billingMode = (input.BillingMode as BillingMode | undefined) ?? table.billingMode;
  const actions = updates.map((update): GlobalSecondaryIndexAction => {
    if (update.Create != null) return parseCreate(update.Create, input, table, billingMode, globalSecondaryIndexesMax);
    if (update.Update != null) return parseUpdate(update.Update, table, billingMode);
    const name = (update.Delete as { IndexName: string }).IndexName;
    existingGlobalIndex(table, name, 'delete');
    return { kind: 'delete', indexName: name };
  });
  // One index built or dropped at a time per table, across calls as within one; deleting the
  // index being built is how a backfill is abandoned, and is allowed.
  const abandons = (i: SecondaryIndex) => i.status === 'CREATING' && actions.some((a) => a.kind === 'delete' && a.indexName === i.name);
  if (createsOrDeletes && table.indexes?.some((i) => (i.status === 'CREATING' && !abandons(i)) || i.status === 'DELETING')) {
    throw new DynamoError('LimitExceededException', oneOnlineIndexAtATime);
  }
  return actions;
}

/**
 * UpdateTable switching an on-demand table to PROVISIONED must give each of its GSIs a capacity
 * in the same call (GlobalSecondaryIndexUpdates Update), as DynamoDB assigns none.
 */
export function checkIndexesGetThroughputOnSwitch(input: Record<string, unknown>, table: TableRecord): void {
  if (input.BillingMode !== 'PROVISIONED' || table.billingMode !== 'PAY_PER_REQUEST') return;
  const updates = (input.GlobalSecondaryIndexUpdates as GlobalIndexUpdateInput[] | undefined) ?? [];
  const given = new Set(updates.filter((u) => u.Update?.ProvisionedThroughput != null).map((u) => (u.Update as UpdateInput).IndexName));
  const leaving = new Set(updates.filter((u) => u.Delete != null).map((u) => (u.Delete as { IndexName: string }).IndexName));
  const missing = (table.indexes ?? []).filter((i) => i.kind === 'GSI' && i.status !== 'DELETING' && !given.has(i.name) && !leaving.has(i.name)).map((i) => i.name);
  if (missing.length > 0) throw invalidParameter(`ProvisionedThroughput must be specified for index: ${missing.join(',')}`);
}
