// UpdateTable: switches billing mode and changes provisioned capacity (the partitions' token
// buckets take the new rates at once), and creates, updates and deletes global secondary indexes
// (GlobalSecondaryIndexUpdates). Streams, encryption and the rest are not supported yet.
import { checkRequestShape, tableNameShape, type Shape } from '../validation/request-shape.ts';
import { DynamoError, validationError } from '../protocol/errors.ts';
import type { ApiContext } from './context.ts';
import { tableDescription } from './table-description.ts';
import type { BillingMode, TableRecord } from '../control/table-record.ts';
import { provisionedUnitsMax } from '../limits.ts';
import {
  attributeDefinitionShape,
  checkGlobalSecondaryIndexUpdateEntries,
  checkIndexesGetThroughputOnSwitch,
  globalSecondaryIndexUpdatesShape,
  parseGlobalSecondaryIndexUpdates,
  provisionedThroughputShape,
  type GlobalIndexUpdateInput,
  type GlobalSecondaryIndexAction,
} from './index-definitions.ts';

const updateTableShape: Record<string, Shape> = {
  // Read only with a GSI Create; DynamoDB ignores it otherwise.
  AttributeDefinitions: { type: 'List', member: attributeDefinitionShape },
  TableName: tableNameShape,
  BillingMode: { type: 'String', enum: ['PROVISIONED', 'PAY_PER_REQUEST'] },
  ProvisionedThroughput: provisionedThroughputShape,
  GlobalSecondaryIndexUpdates: globalSecondaryIndexUpdatesShape,
};

const invalid = 'One or more parameter values were invalid: ';
const unsupported = ['StreamSpecification', 'SSESpecification', 'ReplicaUpdates', 'TableClass', 'DeletionProtectionEnabled', 'OnDemandThroughput', 'WarmThroughput'];

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

export async function updateTable(ctx: ApiContext, input: Record<string, unknown>): Promise<string> {
  checkRequestShape(input, updateTableShape);
  for (const name of unsupported) {
    if (input[name] !== undefined) throw validationError(`${name} is not supported by this server yet`);
  }
  const name = input.TableName as string;
  const throughput = input.ProvisionedThroughput as Throughput | undefined;
  const requestedMode = input.BillingMode as BillingMode | undefined;
  const indexUpdates = input.GlobalSecondaryIndexUpdates as GlobalIndexUpdateInput[] | undefined;
  // An empty list counts as absent here; next to another change it is refused as empty.
  if (throughput === undefined && requestedMode === undefined && (indexUpdates === undefined || indexUpdates.length === 0)) {
    throw validationError('At least one of ProvisionedThroughput, BillingMode, UpdateStreamEnabled, GlobalSecondaryIndexUpdates or SSESpecification or ReplicaUpdates is required');
  }
  if (indexUpdates !== undefined) checkGlobalSecondaryIndexUpdateEntries(indexUpdates);
  const table = ctx.control.getTable(name);
  if (table === undefined) throw new DynamoError('ResourceNotFoundException', `Requested resource not found: Table: ${name} not found`);
  const capacity = throughput !== undefined || requestedMode !== undefined ? capacityChange(table, requestedMode, throughput) : undefined;
  const actions = indexUpdates !== undefined ? parseGlobalSecondaryIndexUpdates(input, table, ctx.control.globalSecondaryIndexesMax) : [];
  checkIndexesGetThroughputOnSwitch(input, table);

  // Everything is validated before anything changes, so a refused call changes nothing.
  let updated = table;
  if (capacity !== undefined) updated = await ctx.control.updateCapacity(name, capacity.mode, capacity.read, capacity.write);
  for (const action of actions) updated = await applyIndexAction(ctx, name, action);
  return JSON.stringify({ TableDescription: tableDescription(updated, 'ACTIVE') });
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
