// DynamoDB's TableDescription for a table, as CreateTable, DescribeTable and DeleteTable return it.
import type { TableRecord } from '../control/table-record.ts';

export function tableDescription(table: TableRecord, status: 'ACTIVE' | 'CREATING' | 'DELETING'): Record<string, unknown> {
  const provisioned = table.billingMode === 'PROVISIONED';
  const description: Record<string, unknown> = {
    AttributeDefinitions: table.attributeDefinitions,
    TableName: table.name,
    KeySchema: table.keySchema,
    TableStatus: status,
    CreationDateTime: table.createdAt,
    ProvisionedThroughput: {
      NumberOfDecreasesToday: 0,
      ReadCapacityUnits: provisioned ? table.readCapacityUnits : 0,
      WriteCapacityUnits: provisioned ? table.writeCapacityUnits : 0,
    },
    // DynamoDB refreshes these about every six hours; monodyne does not track them yet.
    TableSizeBytes: 0,
    ItemCount: 0,
    TableArn: table.arn,
    TableId: table.tableId.slice(table.tableId.lastIndexOf('.') + 1),
    DeletionProtectionEnabled: false,
  };
  if (!provisioned) {
    description.BillingModeSummary = { BillingMode: 'PAY_PER_REQUEST', LastUpdateToPayPerRequestDateTime: table.createdAt };
  }
  return description;
}
