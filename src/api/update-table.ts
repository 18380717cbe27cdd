// UpdateTable: switches billing mode and changes provisioned capacity; the partitions' token
// buckets take the new rates at once (secondary indexes, streams and the rest are not supported).
import { checkRequestShape, tableNameShape } from '../validation/request-shape.ts';
import { DynamoError, validationError } from '../protocol/errors.ts';
import type { ApiContext } from './context.ts';
import { tableDescription } from './table-description.ts';
import type { BillingMode } from '../control/table-record.ts';
import { provisionedUnitsMax } from '../limits.ts';

const updateTableShape = {
  TableName: tableNameShape,
  BillingMode: { type: 'String', enum: ['PROVISIONED', 'PAY_PER_REQUEST'] },
  ProvisionedThroughput: {
    type: 'Structure',
    members: {
      ReadCapacityUnits: { type: 'Long', notNull: true, min: 1 },
      WriteCapacityUnits: { type: 'Long', notNull: true, min: 1 },
    },
  },
} as const;

const invalid = 'One or more parameter values were invalid: ';
const unsupported = ['GlobalSecondaryIndexUpdates', 'StreamSpecification', 'SSESpecification', 'ReplicaUpdates', 'TableClass', 'DeletionProtectionEnabled', 'AttributeDefinitions', 'OnDemandThroughput', 'WarmThroughput'];

export async function updateTable(ctx: ApiContext, input: Record<string, unknown>): Promise<string> {
  checkRequestShape(input, updateTableShape);
  for (const name of unsupported) {
    if (input[name] !== undefined) throw validationError(`${name} is not supported by this server yet`);
  }
  const name = input.TableName as string;
  const throughput = input.ProvisionedThroughput as { ReadCapacityUnits: number; WriteCapacityUnits: number } | undefined;
  const requestedMode = input.BillingMode as BillingMode | undefined;
  if (throughput === undefined && requestedMode === undefined) {
    throw validationError('At least one of ProvisionedThroughput, BillingMode, UpdateStreamEnabled, GlobalSecondaryIndexUpdates or SSESpecification or ReplicaUpdates is required');
  }
  const table = ctx.control.getTable(name);
  if (table === undefined) throw new DynamoError('ResourceNotFoundException', `Requested resource not found: Table: ${name} not found`);
  const mode = requestedMode ?? table.billingMode;
  let read = 0;
  let write = 0;
  if (mode === 'PAY_PER_REQUEST') {
    if (throughput !== undefined) {
      throw validationError(`${invalid}Neither ReadCapacityUnits nor WriteCapacityUnits can be specified when BillingMode is PAY_PER_REQUEST`);
    }
  } else {
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
    read = throughput.ReadCapacityUnits;
    write = throughput.WriteCapacityUnits;
    if (table.billingMode === 'PROVISIONED' && read === table.readCapacityUnits && write === table.writeCapacityUnits) {
      throw validationError(
        `The provisioned throughput for the table will not change. The requested value equals the current value. ` +
          `Current ReadCapacityUnits provisioned for the table: ${read}. Requested ReadCapacityUnits: ${read}. ` +
          `Current WriteCapacityUnits provisioned for the table: ${write}. Requested WriteCapacityUnits: ${write}. ` +
          `Refer to the Amazon DynamoDB Developer Guide for current limits and how to request higher limits.`,
      );
    }
  }
  const updated = await ctx.control.updateCapacity(name, mode, read, write);
  return JSON.stringify({ TableDescription: tableDescription(updated, 'ACTIVE') });
}
