// DynamoDB's TableDescription for a table, as CreateTable, DescribeTable, UpdateTable and DeleteTable return it.
import { streamArn } from '../streams/stream-store.ts';
import type { OnDemandThroughput, Projection, SecondaryIndex, TableRecord } from '../control/table-record.ts';
import { onDemandInitialReadUnitsPerSecond, onDemandInitialWriteUnitsPerSecond } from '../limits.ts';

/** What the table's (or an index's) storage holds right now (DescribeTable); zero for a table just created or deleted. */
export interface TableStats {
  itemCount: number;
  sizeBytes: number;
}

/** Per index name; an index missing from it reports zeros. */
export type IndexStats = Map<string, TableStats>;

const noStats: TableStats = { itemCount: 0, sizeBytes: 0 };


export function tableDescription(
  table: TableRecord,
  status: 'ACTIVE' | 'CREATING' | 'DELETING',
  stats: TableStats = noStats,
  indexStats?: IndexStats,
): Record<string, unknown> {
  const provisioned = table.billingMode === 'PROVISIONED';
  const description: Record<string, unknown> = {
    AttributeDefinitions: table.attributeDefinitions,
    TableName: table.name,
    KeySchema: table.keySchema,
    TableStatus: status,
    CreationDateTime: table.createdAt,
    ProvisionedThroughput: provisionedThroughput(table),
    TableSizeBytes: stats.sizeBytes,
    ItemCount: stats.itemCount,
    TableArn: table.arn,
    TableId: tableIdOf(table),
    DeletionProtectionEnabled: table.deletionProtection === true,
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
  const billing = billingModeSummary(table);
  if (billing !== undefined) description.BillingModeSummary = billing;
  if (!provisioned) {
    const maxima = onDemandThroughputDescription(table.onDemandThroughput);
    if (maxima !== undefined) description.OnDemandThroughput = maxima;
  }
  description.WarmThroughput = warmThroughput(provisioned, table.readCapacityUnits, table.writeCapacityUnits);
  addSettings(table, description);
  addStream(table, description);
  const globals = (table.indexes ?? []).filter((i) => i.kind === 'GSI');
  const locals = (table.indexes ?? []).filter((i) => i.kind === 'LSI');
  if (globals.length > 0) description.GlobalSecondaryIndexes = globals.map((i) => globalIndexDescription(table, i, indexStats?.get(i.name) ?? noStats));
  if (locals.length > 0) description.LocalSecondaryIndexes = locals.map((i) => localIndexDescription(table, i, indexStats?.get(i.name) ?? noStats));
  return description;
}

/**
 * DeleteTable's answer: DynamoDB describes the table's identity, capacity and settings, not its
 * key schema, attributes or indexes.
 */
export function deletedTableDescription(table: TableRecord, stats: TableStats): Record<string, unknown> {
  const description: Record<string, unknown> = {
    TableName: table.name,
    TableStatus: 'DELETING',
    ProvisionedThroughput: provisionedThroughput(table),
    TableSizeBytes: stats.sizeBytes,
    ItemCount: stats.itemCount,
    TableArn: table.arn,
    TableId: tableIdOf(table),
  };
  const billing = billingModeSummary(table);
  if (billing !== undefined) description.BillingModeSummary = billing;
  addSettings(table, description);
  description.DeletionProtectionEnabled = false;
  return description;
}

/** An on-demand table reports zero capacity. */
function provisionedThroughput(table: TableRecord): Record<string, number> {
  const provisioned = table.billingMode === 'PROVISIONED';
  return {
    NumberOfDecreasesToday: 0,
    ReadCapacityUnits: provisioned ? table.readCapacityUnits : 0,
    WriteCapacityUnits: provisioned ? table.writeCapacityUnits : 0,
  };
}

function tableIdOf(table: TableRecord): string {
  return table.tableId.slice(table.tableId.lastIndexOf('.') + 1);
}

/** DynamoDB keeps the summary once a table has been on demand, naming the current mode. */
function billingModeSummary(table: TableRecord): Record<string, unknown> | undefined {
  const since = table.lastUpdateToPayPerRequestAt ?? (table.billingMode === 'PAY_PER_REQUEST' ? table.createdAt : undefined);
  return since === undefined ? undefined : { BillingMode: table.billingMode, LastUpdateToPayPerRequestDateTime: since };
}

/** A provisioned table or index is warm to its capacity; an on-demand one (never given one) to on-demand's initial throughput. */
function warmThroughput(provisioned: boolean, read: number, write: number): Record<string, unknown> {
  return provisioned
    ? { ReadUnitsPerSecond: read, WriteUnitsPerSecond: write, Status: 'ACTIVE' }
    : { ReadUnitsPerSecond: onDemandInitialReadUnitsPerSecond, WriteUnitsPerSecond: onDemandInitialWriteUnitsPerSecond, Status: 'ACTIVE' };
}

/** The table's latest stream, as DynamoDB shows it: its ARN and label stay after it is disabled; StreamSpecification only while enabled. */
function addStream(table: TableRecord, description: Record<string, unknown>): void {
  const stream = table.stream;
  if (stream === undefined) return;
  if (stream.enabled) description.StreamSpecification = { StreamEnabled: true, StreamViewType: stream.viewType };
  description.LatestStreamLabel = stream.label;
  description.LatestStreamArn = streamArn(table, stream.label);
}

/** SSEDescription and TableClassSummary, shown (as DynamoDB does) only once they were set. */
function addSettings(table: TableRecord, description: Record<string, unknown>): void {
  if (table.sse !== undefined) description.SSEDescription = { Status: 'ENABLED', SSEType: 'KMS', KMSMasterKeyArn: table.sse.kmsMasterKeyArn };
  if (table.tableClass !== undefined) {
    const summary: Record<string, unknown> = { TableClass: table.tableClass.tableClass };
    if (table.tableClass.updatedAt !== undefined) summary.LastUpdateDateTime = table.tableClass.updatedAt;
    description.TableClassSummary = summary;
  }
}

/**
 * DynamoDB shows the maxima that are set: -1 ("no maximum") and absent members are left out,
 * and so is the whole member when neither is set.
 */
function onDemandThroughputDescription(maxima: OnDemandThroughput | undefined): OnDemandThroughput | undefined {
  if (maxima === undefined) return undefined;
  const shown: OnDemandThroughput = {};
  if (maxima.MaxReadRequestUnits !== undefined && maxima.MaxReadRequestUnits > 0) shown.MaxReadRequestUnits = maxima.MaxReadRequestUnits;
  if (maxima.MaxWriteRequestUnits !== undefined && maxima.MaxWriteRequestUnits > 0) shown.MaxWriteRequestUnits = maxima.MaxWriteRequestUnits;
  return Object.keys(shown).length > 0 ? shown : undefined;
}

/** DynamoDB lists an INCLUDE projection's attributes sorted by name, whatever the order they were given in. */
function projectionDescription(projection: Projection): Projection {
  if (projection.NonKeyAttributes === undefined) return { ProjectionType: projection.ProjectionType };
  return { ProjectionType: projection.ProjectionType, NonKeyAttributes: [...projection.NonKeyAttributes].sort() };
}

function globalIndexDescription(table: TableRecord, index: SecondaryIndex, stats: TableStats): Record<string, unknown> {
  const provisioned = table.billingMode === 'PROVISIONED';
  const read = provisioned ? (index.readCapacityUnits ?? 0) : 0;
  const write = provisioned ? (index.writeCapacityUnits ?? 0) : 0;
  const description: Record<string, unknown> = {
    IndexName: index.name,
    KeySchema: index.keySchema,
    Projection: projectionDescription(index.projection),
    IndexStatus: index.status,
  };
  // Only an index added by UpdateTable has the member, and only while it is being built.
  if (index.status === 'CREATING' && index.backfilling !== undefined) description.Backfilling = index.backfilling;
  description.ProvisionedThroughput = { NumberOfDecreasesToday: 0, ReadCapacityUnits: read, WriteCapacityUnits: write };
  description.IndexSizeBytes = stats.sizeBytes;
  description.ItemCount = stats.itemCount;
  description.IndexArn = `${table.arn}/index/${index.name}`;
  if (!provisioned) {
    const maxima = onDemandThroughputDescription(index.onDemandThroughput);
    if (maxima !== undefined) description.OnDemandThroughput = maxima;
  }
  description.WarmThroughput = warmThroughput(provisioned, read, write);
  return description;
}

/** An LSI shares its table's capacity, so it has no throughput members and no status of its own. */
function localIndexDescription(table: TableRecord, index: SecondaryIndex, stats: TableStats): Record<string, unknown> {
  return {
    IndexName: index.name,
    KeySchema: index.keySchema,
    Projection: projectionDescription(index.projection),
    IndexSizeBytes: stats.sizeBytes,
    ItemCount: stats.itemCount,
    IndexArn: `${table.arn}/index/${index.name}`,
  };
}
