// Maps X-Amz-Target to an operation, parses the JSON body, and runs the operation.
import { DynamoError } from '../protocol/errors.ts';
import { operationOf, type ResponseBody } from '../protocol/wire.ts';
import type { RequestHandler } from '../protocol/front-door.ts';
import { parseBody, requestFacts, type DispatchedRequest } from './request-body.ts';
import type { ApiContext, Operation } from './context.ts';
import { createTable } from './create-table.ts';
import { describeTable } from './describe-table.ts';
import { deleteTable } from './delete-table.ts';
import { updateTable } from './update-table.ts';
import { listTables } from './list-tables.ts';
import { putItem } from './put-item.ts';
import { getItem } from './get-item.ts';
import { deleteItem } from './delete-item.ts';
import { updateItem } from './update-item.ts';
import { query } from './query.ts';
import { scan } from './scan.ts';
import { batchGetItem } from './batch-get-item.ts';
import { batchWriteItem } from './batch-write-item.ts';
import { transactWriteItems } from './transact-write-items.ts';
import { transactGetItems } from './transact-get-items.ts';
import { updateContributorInsights } from './update-contributor-insights.ts';
import { describeContributorInsights } from './describe-contributor-insights.ts';
import { listContributorInsights } from './list-contributor-insights.ts';
import { describeTimeToLive } from './describe-time-to-live.ts';
import { updateTimeToLive } from './update-time-to-live.ts';
import { listStreams } from './list-streams.ts';
import { describeStream } from './describe-stream.ts';
import { getShardIterator } from './get-shard-iterator.ts';
import { getRecords } from './get-records.ts';
import { executeStatement } from './execute-statement.ts';
import { batchExecuteStatement } from './batch-execute-statement.ts';
import { executeTransaction } from './execute-transaction.ts';
import { tagResource } from './tag-resource.ts';
import { untagResource } from './untag-resource.ts';
import { listTagsOfResource } from './list-tags-of-resource.ts';
import { describeEndpoints } from './describe-endpoints.ts';
import { describeLimits } from './describe-limits.ts';
import { contributorsOf } from '../control/contributors.ts';

/** Every operation monodyne serves, by its X-Amz-Target name. */
export const operations: Record<string, Operation> = {
  CreateTable: createTable,
  DescribeTable: describeTable,
  DeleteTable: deleteTable,
  UpdateTable: updateTable,
  ListTables: listTables,
  PutItem: putItem,
  GetItem: getItem,
  DeleteItem: deleteItem,
  UpdateItem: updateItem,
  Query: query,
  Scan: scan,
  BatchGetItem: batchGetItem,
  BatchWriteItem: batchWriteItem,
  TransactWriteItems: transactWriteItems,
  TransactGetItems: transactGetItems,
  UpdateContributorInsights: updateContributorInsights,
  DescribeContributorInsights: describeContributorInsights,
  ListContributorInsights: listContributorInsights,
  DescribeTimeToLive: describeTimeToLive,
  UpdateTimeToLive: updateTimeToLive,
  ListStreams: listStreams,
  DescribeStream: describeStream,
  GetShardIterator: getShardIterator,
  GetRecords: getRecords,
  ExecuteStatement: executeStatement,
  BatchExecuteStatement: batchExecuteStatement,
  ExecuteTransaction: executeTransaction,
  TagResource: tagResource,
  UntagResource: untagResource,
  ListTagsOfResource: listTagsOfResource,
  DescribeEndpoints: describeEndpoints,
  DescribeLimits: describeLimits,
};

export class Dispatcher implements RequestHandler {
  private readonly ctx: ApiContext;

  /** Without `contributors`, the counters of `control`'s server (those the admin endpoints read). */
  constructor(ctx: Omit<ApiContext, 'contributors' | 'address'> & Partial<Pick<ApiContext, 'contributors'>>) {
    this.ctx = { ...ctx, contributors: ctx.contributors ?? contributorsOf(ctx.control), address: '' };
  }

  /** Where the server listens (host:port), once it does: the port may be chosen by the system. */
  listeningAt(address: string): void {
    this.ctx.address = address;
  }

  async handle(request: DispatchedRequest): Promise<ResponseBody> {
    const target = request.target;
    const name = operationOf(target);
    // Own properties only: "constructor" or "__proto__" must not resolve to Object's members.
    const operation = Object.hasOwn(operations, name) ? operations[name] : undefined;
    if (operation === undefined) throw new DynamoError('UnknownOperationException', '');
    const input = parseBody(request.body!);
    return operation(this.ctx, input, requestFacts(request));
  }
}
