// DynamoDB's TableDescription for a table, as CreateTable, DescribeTable and DeleteTable return it.
import type { TableRecord } from '../control/table-record.ts';

/** What the table's storage holds right now (DescribeTable); zero for a table just created or deleted. */
export interface TableStats {
  itemCount: number;
  sizeBytes: number;
}

export function tableDescription(table: TableRecord, status: 'ACTIVE' | 'CREATING' | 'DELETING', stats: TableStats = { itemCount: 0, sizeBytes: 0 }): Record<string, unknown> {
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
    TableSizeBytes: stats.sizeBytes,
    ItemCount: stats.itemCount,
    TableArn: table.arn,
    TableId: table.tableId.slice(table.tableId.lastIndexOf('.') + 1),
    DeletionProtectionEnabled: false,
  };
  // Not a DynamoDB member (SDKs ignore it): how monodyne keeps this table, for people reading it.
  description.MonodyneReplication = {
    Model:
      'Each partition is kept by 3 storage nodes in 3 zones. A write is acknowledged once the partition leader and at least one follower have it on disk (2 of 3). ' +
      'ConsistentRead reads the leader; other reads may be answered by any replica and can miss the latest writes for a moment. ' +
      'If a node fails, the most up-to-date surviving replica becomes leader and a new node is rebuilt from a live replica.',
    ReplicasPerPartition: 3,
    WriteQuorum: 2,
    Partitions: table.partitions.map((p) => ({ Partition: p.pid, HashRange: [p.hashStart, p.hashEnd], Leader: p.leader, Replicas: p.replicas, Epoch: p.epoch })),
  };
  if (!provisioned) {
    description.BillingModeSummary = { BillingMode: 'PAY_PER_REQUEST', LastUpdateToPayPerRequestDateTime: table.createdAt };
  }
  return description;
}
