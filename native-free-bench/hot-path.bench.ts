// The router-side stages of a GetItem, each on its own: request parsing and validation,
// MD5 + partition lookup, and response assembly with the x-amz-crc32 checksum.
import type { Bench } from 'tinybench';
import { checkRequestShape, tableNameShape } from '../src/validation/request-shape.ts';
import { validateKey } from '../src/validation/attribute-values.ts';
import { encodeItemKey, partitionKeyHash32 } from '../src/storage/key-encoding.ts';
import { PartitionMap, splitHashSpace } from '../src/router/partition-map.ts';
import { crc32Of, nextRequestNumber, requestIdBytes } from '../src/protocol/wire.ts';
import type { KeySchemaElement, AttributeDefinition } from '../src/values/types.ts';

const body = Buffer.from(JSON.stringify({ TableName: 'users', Key: { pk: { S: 'user#000123' }, sk: { N: '42' } }, ConsistentRead: true }));
const getItemShape = {
  TableName: tableNameShape,
  Key: { type: 'Map', notNull: true, value: { type: 'AttributeValue' } },
  ConsistentRead: { type: 'Boolean' },
} as const;
const keySchema: KeySchemaElement[] = [
  { AttributeName: 'pk', KeyType: 'HASH' },
  { AttributeName: 'sk', KeyType: 'RANGE' },
];
const definitions: AttributeDefinition[] = [
  { AttributeName: 'pk', AttributeType: 'S' },
  { AttributeName: 'sk', AttributeType: 'N' },
];

const map = new PartitionMap();
map.setTable(
  'users.1',
  splitHashSpace(64).map((r, pid) => ({ table: 'users.1', pid, hashStart: r.hashStart, hashEnd: r.hashEnd, replicas: [pid % 3, (pid + 1) % 3, (pid + 2) % 3], leader: pid % 3, epoch: 1, version: 1 })),
);

const itemJson = JSON.stringify({ pk: { S: 'user#000123' }, sk: { N: '42' }, name: { S: 'Ada Lovelace' }, email: { S: 'ada@example.com' }, balance: { N: '1024.5' }, tags: { SS: ['a', 'b'] } });

export function register(bench: Bench): void {
  let sink = 0;
  bench.add('parse + validate a GetItem request', () => {
    const input = JSON.parse(body.toString('utf8')) as Record<string, unknown>;
    checkRequestShape(input, getItemShape);
    const key = validateKey(input.Key, keySchema, definitions);
    sink += key.pk ? 1 : 0;
  });
  let n = 0;
  bench.add('MD5 partition key hash + partition lookup + storage key', () => {
    const pk = { S: `user#${n++ & 1023}` };
    const hash = partitionKeyHash32(pk);
    const partition = map.find('users.1', hash);
    const key = encodeItemKey(hash, pk, { N: '42' });
    sink += partition.pid + key.length;
  });
  bench.add('response assembly + x-amz-crc32 + request id', () => {
    const payload = Buffer.from(`{"Item":${itemJson}}`);
    sink += crc32Of(payload).length + requestIdBytes(nextRequestNumber()).length;
  });
  if (sink < 0) console.log(sink);
}
