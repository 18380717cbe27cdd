// CreateTable: validates the definition as DynamoDB does, then has the control plane place
// the table's partitions. The table is servable when the response is sent, so it reports ACTIVE.
import { checkRequestShape, tableNameShape, type Shape } from '../validation/request-shape.ts';
import { validationError } from '../protocol/errors.ts';
import type { ApiContext, RequestFacts } from './context.ts';
import { tableDescription } from './table-description.ts';
import type { AttributeDefinition, KeySchemaElement } from '../values/types.ts';
import type { BillingMode } from '../control/table-record.ts';
import { provisionedUnitsMax } from '../limits.ts';
import {
  attributeDefinitionShape,
  checkSingleAttributeKeySchema,
  globalSecondaryIndexesShape,
  localSecondaryIndexesShape,
  onDemandThroughputShape,
  parseCreateTableIndexes,
  parseTableOnDemandThroughput,
  provisionedThroughputShape,
} from './index-definitions.ts';
import {
  createStreamSpecification,
  deletionProtectionShape,
  parseSseSpecification,
  parseTableClass,
  refuseIndexWarmThroughput,
  refuseUnsupported,
  sseSpecificationShape,
  streamSpecificationShape,
  tableClassShape,
  tagsShape,
  type SseSpecificationInput,
  type StreamSpecificationInput,
} from './table-settings.ts';
import { withTags, type TagInput } from '../validation/tags.ts';

const keySchemaShape: Shape = {
  type: 'List',
  notNull: true,
  minLength: 1,
  maxLength: 2,
  member: {
    type: 'Structure',
    notNull: true,
    members: {
      AttributeName: { type: 'String', notNull: true, minLength: 1, maxLength: 255 },
      KeyType: { type: 'String', notNull: true, enum: ['HASH', 'RANGE'] },
    },
  },
};

const createTableShape: Record<string, Shape> = {
  AttributeDefinitions: { type: 'List', notNull: true, member: attributeDefinitionShape },
  TableName: tableNameShape,
  KeySchema: keySchemaShape,
  LocalSecondaryIndexes: localSecondaryIndexesShape,
  GlobalSecondaryIndexes: globalSecondaryIndexesShape,
  BillingMode: { type: 'String', enum: ['PROVISIONED', 'PAY_PER_REQUEST'] },
  ProvisionedThroughput: provisionedThroughputShape,
  OnDemandThroughput: onDemandThroughputShape,
  Tags: tagsShape,
  DeletionProtectionEnabled: deletionProtectionShape,
  TableClass: tableClassShape,
  SSESpecification: sseSpecificationShape,
  StreamSpecification: streamSpecificationShape,
};

/** CreateTable parameters monodyne does not serve yet (refused by name, never dropped). */
const unsupported = ['ResourcePolicy', 'WarmThroughput'];

const invalid = 'One or more parameter values were invalid: ';

export async function createTable(ctx: ApiContext, input: Record<string, unknown>, facts: RequestFacts): Promise<string> {
  checkRequestShape(input, createTableShape);
  refuseUnsupported(input, unsupported);
  const name = input.TableName as string;
  const keySchema = input.KeySchema as KeySchemaElement[];
  const definitions = input.AttributeDefinitions as AttributeDefinition[];
  const billingMode = (input.BillingMode as BillingMode | undefined) ?? 'PROVISIONED';
  const throughput = input.ProvisionedThroughput as { ReadCapacityUnits: number; WriteCapacityUnits: number } | undefined;

  if (billingMode === 'PAY_PER_REQUEST') {
    if (throughput !== undefined) {
      throw validationError(`${invalid}Neither ReadCapacityUnits nor WriteCapacityUnits can be specified when BillingMode is PAY_PER_REQUEST`);
    }
  } else {
    if (throughput === undefined) {
      throw validationError(`${invalid}ReadCapacityUnits and WriteCapacityUnits must both be specified when BillingMode is PROVISIONED`);
    }
    for (const field of ['ReadCapacityUnits', 'WriteCapacityUnits'] as const) {
      if (throughput[field] > provisionedUnitsMax) throw validationError(`Given value ${throughput[field]} for ${field} is out of bounds`);
    }
  }
  const defined = definitions.map((d) => d.AttributeName);
  const keys = keySchema.map((k) => k.AttributeName);
  if (keys.length > defined.length) throw validationError('Invalid KeySchema: Some index key attribute have no definition');
  if (keys.some((k) => !defined.includes(k))) {
    throw validationError(`${invalid}Some index key attributes are not defined in AttributeDefinitions. Keys: [${keys.join(', ')}], AttributeDefinitions: [${defined.join(', ')}]`);
  }
  checkSingleAttributeKeySchema(keySchema);
  if (new Set(defined).size !== defined.length) throw validationError(`${invalid}Duplicate AttributeName in AttributeDefinitions`);
  // Also checks that AttributeDefinitions name no attribute that no key schema uses.
  const indexes = parseCreateTableIndexes(input, keySchema, definitions, billingMode, ctx.control.globalSecondaryIndexesMax);
  const onDemandThroughput = parseTableOnDemandThroughput(input, billingMode);
  refuseIndexWarmThroughput(input.GlobalSecondaryIndexes as unknown[] | undefined);
  const tags = withTags([], (input.Tags as TagInput[] | undefined) ?? [], true);
  const stream = input.StreamSpecification != null ? createStreamSpecification(input.StreamSpecification as StreamSpecificationInput, Date.now()) : undefined;
  const tableClass = input.TableClass != null ? parseTableClass(input.TableClass) : undefined;
  const kmsMasterKeyArn = input.SSESpecification != null ? parseSseSpecification(input.SSESpecification as SseSpecificationInput, facts.region) : null;

  const table = await ctx.control.createTable({
    name,
    region: facts.region,
    keySchema: keySchema.map((k) => ({ AttributeName: k.AttributeName, KeyType: k.KeyType })),
    attributeDefinitions: definitions.map((d) => ({ AttributeName: d.AttributeName, AttributeType: d.AttributeType })),
    billingMode,
    readCapacityUnits: throughput?.ReadCapacityUnits ?? 0,
    writeCapacityUnits: throughput?.WriteCapacityUnits ?? 0,
    ...(indexes.length > 0 ? { indexes } : {}),
    ...(onDemandThroughput !== undefined ? { onDemandThroughput } : {}),
    tags,
    deletionProtection: input.DeletionProtectionEnabled === true,
    ...(tableClass !== undefined ? { tableClass: { tableClass } } : {}),
    ...(kmsMasterKeyArn !== null ? { sse: { kmsMasterKeyArn } } : {}),
    ...(stream !== undefined ? { stream } : {}),
  });
  // The stream is listed, described and readable at once (its shards opened).
  if (stream !== undefined) await ctx.control.streams?.collectAll();
  return JSON.stringify({ TableDescription: tableDescription(table, 'ACTIVE') });
}
