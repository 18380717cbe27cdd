// UpdateTable: switches billing mode and changes provisioned capacity (the partitions' token
// buckets take the new rates at once), creates, updates and deletes global secondary indexes
// (GlobalSecondaryIndexUpdates), and changes the table's settings (DeletionProtectionEnabled,
// TableClass, SSESpecification, OnDemandThroughput). Streams, replicas and warm throughput are not
// supported yet, and are refused by name.
import { checkRequestShape, tableNameShape, type Shape } from '../validation/request-shape.ts';
import { DynamoError, validationError } from '../protocol/errors.ts';
import type { ApiContext, RequestFacts } from './context.ts';
import { describedWithStats } from './describe-table.ts';
import type { BillingMode, TableRecord } from '../control/table-record.ts';
import type { SettingsChange } from '../control/control-plane.ts';
import { provisionedUnitsMax } from '../limits.ts';
import {
  attributeDefinitionShape,
  checkGlobalSecondaryIndexUpdateEntries,
  checkIndexesGetThroughputOnSwitch,
  globalSecondaryIndexUpdatesShape,
  onDemandThroughputShape,
  parseGlobalSecondaryIndexUpdates,
  parseUpdateTableOnDemandThroughput,
  provisionedThroughputShape,
  type GlobalIndexUpdateInput,
  type GlobalSecondaryIndexAction,
} from './index-definitions.ts';
import {
  deletionProtectionShape,
  parseTableClass,
  refuseIndexWarmThroughput,
  updateStreamSpecification,
  refuseUnsupported,
  sseChange,
  sseSpecificationShape,
  streamSpecificationShape,
  tableClassShape,
  type SseSpecificationInput,
  type StreamSpecificationInput,
} from './table-settings.ts';

const updateTableShape: Record<string, Shape> = {
  // Read only with a GSI Create; DynamoDB ignores it otherwise.
  AttributeDefinitions: { type: 'List', member: attributeDefinitionShape },
  TableName: tableNameShape,
  BillingMode: { type: 'String', enum: ['PROVISIONED', 'PAY_PER_REQUEST'] },
  ProvisionedThroughput: provisionedThroughputShape,
  GlobalSecondaryIndexUpdates: globalSecondaryIndexUpdatesShape,
  OnDemandThroughput: onDemandThroughputShape,
  DeletionProtectionEnabled: deletionProtectionShape,
  TableClass: tableClassShape,
  SSESpecification: sseSpecificationShape,
  StreamSpecification: streamSpecificationShape,
};

const invalid = 'One or more parameter values were invalid: ';
/** UpdateTable parameters monodyne does not serve yet (refused by name, never dropped). */
const unsupported = ['ReplicaUpdates', 'GlobalTableWitnessUpdates', 'MultiRegionConsistency', 'WarmThroughput'];
/** The members that ask for a change, in the order DynamoDB checks which must come alone. */
const changeMembers = ['ProvisionedThroughput', 'BillingMode', 'GlobalSecondaryIndexUpdates', 'StreamSpecification', 'SSESpecification', 'TableClass', 'DeletionProtectionEnabled', 'OnDemandThroughput'];
/** Settings DynamoDB changes only in a request of their own, and how it names each. */
const aloneMembers: Array<[string, string]> = [
  ['SSESpecification', 'Server-Side Encryption modification'],
  ['TableClass', 'TableClass modification'],
  ['DeletionProtectionEnabled', 'DeletionProtection modification'],
];

interface Throughput {
  ReadCapacityUnits: number;
  WriteCapacityUnits: number;
}

/** The table's new billing mode and capacity. */
interface CapacityChange {
  mode: BillingMode;
  read: number;
  write: number;
}

export async function updateTable(ctx: ApiContext, input: Record<string, unknown>, facts: RequestFacts): Promise<string> {
  checkRequestShape(input, updateTableShape);
  refuseUnsupported(input, unsupported);
  const name = input.TableName as string;
  // A member sent as null is absent, as DynamoDB takes it.
  const throughput = (input.ProvisionedThroughput ?? undefined) as Throughput | undefined;
  const requestedMode = (input.BillingMode ?? undefined) as BillingMode | undefined;
  const indexUpdates = (input.GlobalSecondaryIndexUpdates ?? undefined) as GlobalIndexUpdateInput[] | undefined;
  // An empty list counts as absent here; next to another change it is refused as empty.
  const changes = changeMembers.filter((m) => input[m] != null && !(m === 'GlobalSecondaryIndexUpdates' && indexUpdates!.length === 0));
  if (changes.length === 0) {
    throw validationError(
      'At least one of ProvisionedThroughput, BillingMode, UpdateStreamEnabled, GlobalSecondaryIndexUpdates, SSESpecification, ReplicaUpdates, ' +
        'MultiAccountReplicaReady, ReplicaTransitRoleArn, MultiRegionConsistency, DeletionProtectionEnabled, OnDemandThroughput, WarmThroughput or TableClass is required',
    );
  }
  checkComposition(changes);
  if (indexUpdates !== undefined) {
    checkGlobalSecondaryIndexUpdateEntries(indexUpdates);
    refuseIndexWarmThroughput(indexUpdates.flatMap((u) => [u.Create, u.Update]));
  }
  const table = ctx.control.getTable(name);
  if (table === undefined) throw new DynamoError('ResourceNotFoundException', `Requested resource not found: Table: ${name} not found`);
  const capacity = throughput !== undefined || requestedMode !== undefined ? capacityChange(table, requestedMode, throughput) : undefined;
  const actions = indexUpdates !== undefined ? parseGlobalSecondaryIndexUpdates(input, table, ctx.control.globalSecondaryIndexesMax) : [];
  checkIndexesGetThroughputOnSwitch(input, table);
  const settings = settingsChange(input, table, capacity?.mode ?? table.billingMode, facts.region);

  // Everything is validated before anything changes, so a refused call changes nothing.
  let updated = table;
  if (capacity !== undefined) updated = await ctx.control.updateCapacity(name, capacity.mode, capacity.read, capacity.write);
  for (const action of actions) updated = await applyIndexAction(ctx, name, action);
  if (settings !== undefined) updated = await ctx.control.updateSettings(name, () => settings);
  // A new stream is listed and readable at once; a disabled one has its shards closed.
  if (settings?.stream !== undefined) await ctx.control.streams?.collectAll();
  return JSON.stringify({ TableDescription: await describedWithStats(ctx, updated) });
}

/** DynamoDB's rules on what one request may change together. */
function checkComposition(changes: string[]): void {
  if (changes.length < 2) return;
  for (const [member, what] of aloneMembers) {
    if (changes.includes(member)) throw validationError(`${invalid}${what} must be the only operation in the request`);
  }
  if (changes.includes('OnDemandThroughput') && changes.some((c) => c !== 'OnDemandThroughput' && c !== 'BillingMode')) {
    throw validationError(`${invalid}OnDemandThroughput can only be combined with BillingMode in an UpdateTable request`);
  }
}

/** The settings the request changes, checked against the table; undefined when it changes none. */
function settingsChange(input: Record<string, unknown>, table: TableRecord, billingMode: BillingMode, region: string): SettingsChange | undefined {
  const change: SettingsChange = {};
  if (input.DeletionProtectionEnabled != null) change.deletionProtection = input.DeletionProtectionEnabled as boolean;
  if (input.TableClass != null) change.tableClass = parseTableClass(input.TableClass);
  if (input.SSESpecification != null) change.sse = sseChange(table, input.SSESpecification as SseSpecificationInput, region);
  if (input.StreamSpecification != null) change.stream = updateStreamSpecification(input.StreamSpecification as StreamSpecificationInput, table, Date.now());
  const onDemand = parseUpdateTableOnDemandThroughput(input, billingMode);
  if (onDemand !== undefined) change.onDemandThroughput = onDemand;
  return Object.keys(change).length > 0 ? change : undefined;
}

/** BillingMode and ProvisionedThroughput, checked against the table as DynamoDB checks them. */
function capacityChange(table: TableRecord, requestedMode: BillingMode | undefined, throughput: Throughput | undefined): CapacityChange {
  const mode = requestedMode ?? table.billingMode;
  if (mode === 'PAY_PER_REQUEST') {
    if (throughput !== undefined) {
      throw validationError(`${invalid}Neither ReadCapacityUnits nor WriteCapacityUnits can be specified when BillingMode is PAY_PER_REQUEST`);
    }
    return { mode, read: 0, write: 0 };
  }
  if (throughput === undefined) {
    if (table.billingMode === 'PROVISIONED') {
      // Only the billing mode was named, and it is the current one: nothing would change.
      throw validationError('The provisioned throughput for the table will not change. The requested value equals the current value.');
    }
    throw validationError(`${invalid}ReadCapacityUnits and WriteCapacityUnits must both be specified when BillingMode is PROVISIONED`);
  }
  for (const field of ['ReadCapacityUnits', 'WriteCapacityUnits'] as const) {
    if (throughput[field] > provisionedUnitsMax) throw validationError(`Given value ${throughput[field]} for ${field} is out of bounds`);
  }
  const read = throughput.ReadCapacityUnits;
  const write = throughput.WriteCapacityUnits;
  if (table.billingMode === 'PROVISIONED' && read === table.readCapacityUnits && write === table.writeCapacityUnits) {
    throw validationError(
      `The provisioned throughput for the table will not change. The requested value equals the current value. ` +
        `Current ReadCapacityUnits provisioned for the table: ${read}. Requested ReadCapacityUnits: ${read}. ` +
        `Current WriteCapacityUnits provisioned for the table: ${write}. Requested WriteCapacityUnits: ${write}. ` +
        `Refer to the Amazon DynamoDB Developer Guide for current limits and how to request higher limits.`,
    );
  }
  return { mode, read, write };
}

function applyIndexAction(ctx: ApiContext, tableName: string, action: GlobalSecondaryIndexAction): Promise<TableRecord> {
  switch (action.kind) {
    case 'create':
      return ctx.control.createIndex(tableName, action.index, action.attributeDefinitions);
    case 'update': {
      const { kind: _kind, indexName, ...change } = action;
      return ctx.control.updateIndex(tableName, indexName, change);
    }
    case 'delete':
      return ctx.control.deleteIndex(tableName, action.indexName);
  }
}
