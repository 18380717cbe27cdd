// A table's settings beyond keys, capacity and indexes, as CreateTable and UpdateTable take them:
// Tags, DeletionProtectionEnabled, TableClass, SSESpecification, StreamSpecification, and the
// parameters monodyne does not serve yet, which are refused by name rather than dropped. Pure.
// Messages are DynamoDB's (as third-party probes of DynamoDB record them).
import { validationError, type DynamoError } from '../protocol/errors.ts';
import type { Shape } from '../validation/request-shape.ts';
import type { StreamSetting, StreamViewType, TableClass, TableRecord } from '../control/table-record.ts';
import { randomUUID } from 'node:crypto';
import { accountId } from '../auth/policy.ts';

const invalid = 'One or more parameter values were invalid: ';
const tableClasses: readonly TableClass[] = ['STANDARD', 'STANDARD_INFREQUENT_ACCESS'];

// TableClass has no enum here: DynamoDB answers an unknown class with its own message.
export const tableClassShape: Shape = { type: 'String' };
export const deletionProtectionShape: Shape = { type: 'Boolean' };
/** Key and Value are checked by validation/tags.ts, with DynamoDB's tag messages. */
export const tagsShape: Shape = { type: 'List', member: { type: 'Structure', members: { Key: { type: 'String' }, Value: { type: 'String' } } } };
export const sseSpecificationShape: Shape = {
  type: 'Structure',
  members: { Enabled: { type: 'Boolean' }, SSEType: { type: 'String', enum: ['AES256', 'KMS'] }, KMSMasterKeyId: { type: 'String' } },
};
export const streamSpecificationShape: Shape = {
  type: 'Structure',
  members: { StreamEnabled: { type: 'Boolean', notNull: true }, StreamViewType: { type: 'String', enum: ['NEW_IMAGE', 'OLD_IMAGE', 'NEW_AND_OLD_IMAGES', 'KEYS_ONLY'] } },
};

export interface SseSpecificationInput {
  Enabled?: boolean | null;
  SSEType?: string | null;
  KMSMasterKeyId?: string | null;
}

export interface StreamSpecificationInput {
  StreamEnabled: boolean;
  StreamViewType?: string | null;
}

/** A parameter of DynamoDB's API that monodyne does not serve: refused by name, never ignored. */
export function notSupported(name: string): DynamoError {
  return validationError(`${name} is not supported by this server yet`);
}

/** Refuses every parameter of `names` that the request carries. */
export function refuseUnsupported(input: Record<string, unknown>, names: readonly string[]): void {
  for (const name of names) if (input[name] != null) throw notSupported(name);
}

/** A global index's WarmThroughput (CreateTable, UpdateTable Create/Update): an empty one names nothing, as in DynamoDB. */
export function refuseIndexWarmThroughput(entries: readonly unknown[] | undefined): void {
  for (const entry of entries ?? []) {
    const warm = (entry as { WarmThroughput?: Record<string, unknown> | null } | null)?.WarmThroughput;
    if (warm != null && Object.values(warm).some((v) => v != null)) throw notSupported('WarmThroughput');
  }
}

export function parseTableClass(value: unknown): TableClass {
  if (!tableClasses.includes(value as TableClass)) {
    throw validationError(`Invalid table-class parameter provided. Please try again with a valid table-class value: [${tableClasses.join(', ')}].`);
  }
  return value as TableClass;
}

/**
 * The KMS key an SSESpecification asks for, as an ARN, or null for the AWS owned key (Enabled
 * false or absent). Without a KMS service, an alias or key id is turned into its ARN as written
 * (DynamoDB would resolve an alias to its key); with none given, the AWS managed key's alias.
 */
export function parseSseSpecification(spec: SseSpecificationInput, region: string): string | null {
  if (spec.Enabled !== true) {
    if (spec.SSEType != null) throw validationError(`${invalid}SSEType can not be specified if Enabled is false`);
    if (spec.KMSMasterKeyId != null) throw validationError(`${invalid}KMSMasterKeyId can not be specified if Enabled is false`);
    return null;
  }
  if (spec.SSEType === 'AES256') throw validationError(`${invalid}SSEType AES256 is not supported`);
  const key = spec.KMSMasterKeyId;
  if (key == null) return `arn:aws:kms:${region}:${accountId}:alias/aws/dynamodb`;
  if (spec.SSEType !== 'KMS') throw validationError(`${invalid}SSEType KMS is required if KMSMasterKeyId is specified`);
  if (key.startsWith('arn:')) return key;
  return key.startsWith('alias/') ? `arn:aws:kms:${region}:${accountId}:${key}` : `arn:aws:kms:${region}:${accountId}:key/${key}`;
}

/** UpdateTable's SSESpecification: the table's new key (null: back to the AWS owned key); a change that changes nothing is refused. */
export function sseChange(table: TableRecord, spec: SseSpecificationInput, region: string): { kmsMasterKeyArn: string } | null {
  const arn = parseSseSpecification(spec, region);
  if (arn === null) {
    if (table.sse === undefined) throw validationError(`${invalid}Table is already encrypted by default`);
    return null;
  }
  if (table.sse?.kmsMasterKeyArn === arn) {
    throw validationError(`${invalid}Table is already encrypted with given KMSMasterKeyId. Use KMSMasterKeyId parameter if you want to change Master Key`);
  }
  return { kmsMasterKeyArn: arn };
}

/** A new stream of `viewType`: its unique name and its label (when it was enabled, DynamoDB's label format). */
export function newStream(viewType: StreamViewType, nowMs: number): StreamSetting {
  return { enabled: true, viewType, name: randomUUID().replace(/-/g, '').slice(0, 16), label: new Date(nowMs).toISOString().replace(/Z$/, '') };
}

/** CreateTable's StreamSpecification: a disabled stream is no stream; an enabled one needs its view type. */
export function createStreamSpecification(spec: StreamSpecificationInput, nowMs: number): StreamSetting | undefined {
  if (spec.StreamEnabled) {
    if (spec.StreamViewType == null) throw validationError(`${invalid}Table is being created with a stream enabled, UpdateViewType is required`);
    return newStream(spec.StreamViewType as StreamViewType, nowMs);
  }
  if (spec.StreamViewType != null) throw validationError(`${invalid}Table is being created with a stream disabled, UpdateViewType should not be specified`);
  return undefined;
}

/**
 * UpdateTable's StreamSpecification, as DynamoDB takes it: enabling needs a view type and a table
 * whose stream is not enabled (the view type changes through a disable); disabling needs an
 * enabled stream and no view type. Enabling again makes a new stream (a new label and ARN).
 */
export function updateStreamSpecification(spec: StreamSpecificationInput, table: TableRecord, nowMs: number): StreamSetting {
  const enabled = table.stream?.enabled === true;
  if (spec.StreamEnabled) {
    if (spec.StreamViewType == null) throw validationError(`${invalid}If stream is being enabled then UpdateViewType is required`);
    if (enabled) throw validationError(`Table already has an enabled stream: TableName: ${table.name}`);
    return newStream(spec.StreamViewType as StreamViewType, nowMs);
  }
  if (spec.StreamViewType != null) throw validationError(`${invalid}If stream is being disabled, then UpdateViewType must not be specified`);
  if (!enabled) throw validationError(`Table has no stream to disable: TableName: ${table.name}`);
  return { ...table.stream!, enabled: false };
}
