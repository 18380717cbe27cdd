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
