// What the control plane knows about a table: its DynamoDB definition and its partitions.
import type { AttributeDefinition, KeySchemaElement } from '../values/types.ts';
import type { PartitionAssignment } from '../storage/messages.ts';

export type BillingMode = 'PROVISIONED' | 'PAY_PER_REQUEST';

export interface TableRecord {
  name: string;
  /** Unique per creation, so a re-created table never sees the old one's replicas. */
  tableId: string;
  arn: string;
  keySchema: KeySchemaElement[];
  attributeDefinitions: AttributeDefinition[];
  billingMode: BillingMode;
  readCapacityUnits: number;
  writeCapacityUnits: number;
  /** Seconds since the epoch, as DynamoDB reports it. */
  createdAt: number;
  partitions: PartitionAssignment[];
  /** The next partition id a split may use (ids are never reused within a table). */
  nextPid?: number;
  /** Contributor Insights (UpdateContributorInsights); absent while it was never enabled. */
  contributorInsights?: ContributorInsightsSetting;
  /** Secondary indexes, in the order they were defined (absent: none). */
  indexes?: SecondaryIndex[];
  /** Set on the hidden table that holds a global secondary index: whose index it is. */
  indexOf?: { table: string; index: string };
  /** On-demand maximum request units (OnDemandThroughput), when set. */
  onDemandThroughput?: OnDemandThroughput;
  /** Time to Live (UpdateTimeToLive); absent while it was never enabled. */
  timeToLive?: TimeToLiveSetting;
  /** The table's latest stream (StreamSpecification); absent while it never had one. */
  stream?: StreamSetting;
  /**
   * When the table last became PAY_PER_REQUEST (seconds since the epoch), kept after a switch to
   * PROVISIONED as DynamoDB's BillingModeSummary keeps it; absent while it never was (or, for a
   * table recorded before this was kept, its creation time counts).
   */
  lastUpdateToPayPerRequestAt?: number;
  /** The table's tags (TagResource, CreateTable Tags), sorted by key; absent: none. */
  tags?: Tag[];
  /** DeletionProtectionEnabled: DeleteTable refuses the table while it is true. */
  deletionProtection?: boolean;
  /** TableClass, once one was given (absent: STANDARD, never named). */
  tableClass?: TableClassSetting;
  /** Server-side encryption with a KMS key (SSESpecification Enabled); absent: the AWS owned key. */
  sse?: { kmsMasterKeyArn: string };
}

/** A table's Time to Live: which attribute holds the expiry, whether items expire, since when. */
export interface TimeToLiveSetting {
  attributeName: string;
  enabled: boolean;
  /** When it was last enabled or disabled (ms since the epoch): statuses settle and changes cool down from it. */
  changedAtMs: number;
}

export type StreamViewType = 'KEYS_ONLY' | 'NEW_IMAGE' | 'OLD_IMAGE' | 'NEW_AND_OLD_IMAGES';

/** A table's stream: enabled or not (a disabled one stays readable until its records expire). */
export interface StreamSetting {
  enabled: boolean;
  viewType: StreamViewType;
  /** Unique per stream: names its change records in the partitions' followers' data. */
  name: string;
  /** LatestStreamLabel: when it was enabled, as an ISO 8601 timestamp (DynamoDB's label format). */
  label: string;
}

export interface Tag {
  Key: string;
  Value: string;
}

export type TableClass = 'STANDARD' | 'STANDARD_INFREQUENT_ACCESS';

export interface TableClassSetting {
  tableClass: TableClass;
  /** When UpdateTable last changed it (seconds since the epoch); absent: as created. */
  updatedAt?: number;
}

export type ProjectionType = 'ALL' | 'KEYS_ONLY' | 'INCLUDE';

export interface Projection {
  ProjectionType: ProjectionType;
  /** INCLUDE only: the non-key attributes copied into the index. */
  NonKeyAttributes?: string[];
}

export interface OnDemandThroughput {
  MaxReadRequestUnits?: number;
  MaxWriteRequestUnits?: number;
}

export type IndexStatus = 'CREATING' | 'UPDATING' | 'DELETING' | 'ACTIVE';

/**
 * A secondary index as the catalog keeps it. A local one lives with its table's partitions (its
 * entries are written with the item); a global one is a hidden table of its own (`holder`, named
 * table + '/' + index: '/' is never in a table name) fed from the table's log by the propagator.
 */
export interface SecondaryIndex {
  kind: 'GSI' | 'LSI';
  name: string;
  /** HASH elements first, then RANGE ones (a GSI may have up to 4 of each). */
  keySchema: KeySchemaElement[];
  projection: Projection;
  status: IndexStatus;
  /** A GSI being built from the table's existing items (UpdateTable Create). */
  backfilling?: boolean;
  /** GSI only: its hidden table's name. */
  holder?: string;
  /**
   * GSI only: unique per creation of the index, naming its outbox records, so that records left by
   * a deleted index are never delivered to a new one of the same name.
   */
  uid?: string;
  readCapacityUnits?: number;
  writeCapacityUnits?: number;
  onDemandThroughput?: OnDemandThroughput;
}

/** The name of the hidden table that holds global secondary index `index` of `table`. */
export function indexHolderName(table: string, index: string): string {
  return `${table}/${index}`;
}

/** Whether a catalog name is a hidden index holder rather than a user's table. */
export function isIndexHolder(name: string): boolean {
  return name.includes('/');
}

export type ContributorInsightsMode = 'ACCESSED_AND_THROTTLED_KEYS' | 'THROTTLED_KEYS';

export interface ContributorInsightsSetting {
  enabled: boolean;
  mode: ContributorInsightsMode;
  /** When the status last changed, ms since the epoch (LastUpdateDateTime). */
  updatedAtMs: number;
  /** When it was last enabled, ms since the epoch: the timestamp in DynamoDB's rule names. */
  rulesCreatedAtMs: number;
}

/** The key facts the data-plane operations need, derived once per table. */
export interface KeyInfo {
  partitionKey: string;
  partitionKeyType: 'S' | 'N' | 'B';
  sortKey: string | undefined;
  sortKeyType: 'S' | 'N' | 'B' | undefined;
  /** [partitionKey] or [partitionKey, sortKey]. */
  names: string[];
}

/** Key facts per table record, derived once (every data-plane request asks for them). */
const keyInfos = new WeakMap<TableRecord, KeyInfo>();

export function keyInfoOf(table: TableRecord): KeyInfo {
  let info = keyInfos.get(table);
  if (info === undefined) {
    info = deriveKeyInfo(table);
    keyInfos.set(table, info);
  }
  return info;
}

function deriveKeyInfo(table: TableRecord): KeyInfo {
  const typeOf = (name: string) => table.attributeDefinitions.find((d) => d.AttributeName === name)!.AttributeType;
  const hash = table.keySchema.find((k) => k.KeyType === 'HASH')!.AttributeName;
  const range = table.keySchema.find((k) => k.KeyType === 'RANGE')?.AttributeName;
  return {
    partitionKey: hash,
    partitionKeyType: typeOf(hash),
    sortKey: range,
    sortKeyType: range === undefined ? undefined : typeOf(range),
    names: range === undefined ? [hash] : [hash, range],
  };
}
