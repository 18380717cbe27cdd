// Request shape checks (checkRequestShape) on the three hot operations' real shapes, and the
// front door's answer assembly (x-amz-crc32, request id).
import type { Bench } from 'tinybench';
import { checkRequestShape } from '../src/validation/request-shape.ts';
// The shapes the operations themselves check (these modules load no native addon).
import { getItemShape } from '../src/api/get-item.ts';
import { putItemShape } from '../src/api/put-item.ts';
import { queryShape } from '../src/api/query.ts';
import { crc32Of, nextRequestNumber, requestIdBytes } from '../src/protocol/wire.ts';

const getBody = { TableName: 'lt_items', Key: { pk: { S: 'item#0012345' } } };
const putBody = {
  TableName: 'lt_items',
  Item: {
    pk: { S: 'item#0012345' },
    name: { S: 'user 12345' },
    count: { N: '345' },
    updated: { S: '2024-06-10T12:00:00Z' },
    data: { S: 'x'.repeat(125) },
  },
};
const queryBody = {
  TableName: 'lt_sorted',
  KeyConditionExpression: 'pk = :p AND sk > :v',
  ExpressionAttributeValues: { ':p': { S: 'part#0042' }, ':v': { N: '17' } },
  Limit: 10,
};
const itemJson = JSON.stringify({ Item: putBody.Item });

export function register(bench: Bench): void {
  let sink = 0;
  bench
    .add('checkRequestShape GetItem', () => {
      checkRequestShape(getBody, getItemShape);
    })
    .add('checkRequestShape PutItem (5 attributes)', () => {
      checkRequestShape(putBody, putItemShape);
    })
    .add('checkRequestShape Query (KeyConditionExpression, 2 values, Limit)', () => {
      checkRequestShape(queryBody, queryShape);
    })
    .add(`answer bytes + x-amz-crc32, Buffer.from then crc32 (${itemJson.length} chars)`, () => {
      sink += crc32Of(Buffer.from(itemJson)).length;
    })
    .add(`x-amz-crc32 straight from the string (${itemJson.length} chars)`, () => {
      sink += crc32Of(itemJson).length;
    })
    .add('request id bytes', () => {
      sink += requestIdBytes(nextRequestNumber()).length;
    });
  bench.addEventListener('complete', () => {
    if (sink === -1) console.log(sink);
  });
}
