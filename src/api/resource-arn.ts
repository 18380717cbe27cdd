// The table a ResourceArn names (TagResource, UntagResource, ListTagsOfResource), refused with
// DynamoDB's messages: a malformed ARN, one of another service, an index's ARN (DynamoDB tags
// tables only), and an ARN of no table (ResourceNotFoundException, "ResourcArn" as DynamoDB spells it).
import { DynamoError, validationError } from '../protocol/errors.ts';
import type { TableRecord } from '../control/table-record.ts';
import { isIndexHolder } from '../control/table-record.ts';
import { tableNameLengthMin, tableNameLengthMax, tableNamePattern } from '../limits.ts';
import type { ApiContext } from './context.ts';

const invalid = 'One or more parameter values were invalid: ';

/** The table name in a well-formed DynamoDB table ARN; throws DynamoDB's refusal otherwise. Pure. */
export function tableNameOfArn(arn: unknown): string {
  if (typeof arn !== 'string' || arn.length === 0) throw validationError('Invalid TableArn');
  if (!arn.startsWith('arn:')) throw validationError(`${invalid}ARNs must start with 'arn:': ${arn}`);
  // arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE, the resource keeping any further colons.
  const parts = arn.split(':');
  if (parts.length < 6 || parts[2] !== 'dynamodb') throw validationError(`${invalid}Provided Arn is not a DynamoDB resource arn: ${arn}`);
  const resource = parts.slice(5).join(':');
  const path = resource.split('/');
  // A stream's ARN is a resource DynamoDB tags; monodyne has no streams yet, so none exists.
  if (path[0] === 'table' && path.length === 4 && path[2] === 'stream') throw notFound(arn);
  if (path[0] !== 'table' || path.length !== 2) {
    throw validationError(`${invalid}Invalid resource arn provided, only table or stream is accepted. Provided resource arn: ${arn}`);
  }
  const name = path[1];
  if (name.length < tableNameLengthMin || name.length > tableNameLengthMax || !tableNamePattern.test(name)) {
    throw validationError(`Invalid TableArn: Invalid ResourceArn provided as input ${arn}`);
  }
  return name;
}

/** The user's table whose ARN is exactly `arn` (region and account included). */
export function tableOfArn(ctx: ApiContext, arn: unknown): TableRecord {
  const name = tableNameOfArn(arn);
  const table = isIndexHolder(name) ? undefined : ctx.control.getTable(name);
  if (table === undefined || table.arn !== arn) throw notFound(arn as string);
  return table;
}

function notFound(arn: string): DynamoError {
  return new DynamoError('ResourceNotFoundException', `Requested resource not found: ResourcArn: ${arn} not found`);
}
