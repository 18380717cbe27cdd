// Which table a ResourceArn names, and DynamoDB's refusals of ARNs that name none.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tableNameOfArn } from '../../src/api/resource-arn.ts';

const arn = 'arn:aws:dynamodb:us-east-1:000000000000:table/Orders';

test('a table ARN names its table', () => {
  assert.equal(tableNameOfArn(arn), 'Orders');
});

const refusals: Array<[unknown, string, string]> = [
  [undefined, 'ValidationException', 'Invalid TableArn'],
  ['Orders', 'ValidationException', "One or more parameter values were invalid: ARNs must start with 'arn:': Orders"],
  ['arn:aws:s3:::bucket/x', 'ValidationException', 'One or more parameter values were invalid: Provided Arn is not a DynamoDB resource arn: arn:aws:s3:::bucket/x'],
  [`${arn}/index/ByDate`, 'ValidationException', `One or more parameter values were invalid: Invalid resource arn provided, only table or stream is accepted. Provided resource arn: ${arn}/index/ByDate`],
  ['arn:aws:dynamodb:us-east-1:000000000000:table/ab', 'ValidationException', 'Invalid TableArn: Invalid ResourceArn provided as input arn:aws:dynamodb:us-east-1:000000000000:table/ab'],
  [`${arn}/stream/2026-01-01T00:00:00.000`, 'ResourceNotFoundException', `Requested resource not found: ResourcArn: ${arn}/stream/2026-01-01T00:00:00.000 not found`],
];
for (const [given, name, message] of refusals) {
  test(`refused: ${String(given)}`, () => {
    assert.throws(() => tableNameOfArn(given), (err: Error & { kind?: { name: string } }) => {
      assert.equal(err.kind?.name, name);
      assert.equal(err.message, message);
      return true;
    });
  });
}
