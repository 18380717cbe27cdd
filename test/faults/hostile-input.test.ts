// The worst shapes a client can send, to every operation monodyne serves: strings of control
// characters, lists of 200,000 NULLs, lists of number sets whose plain text is 67 times their
// size, 5 MB expression values, expressions nested thousands deep, 100 × 400 KB BatchGetItem.
// Every answer must be a 200 or DynamoDB's 4xx; afterwards no storage node has stopped, no
// failover happened, the server process still runs, and the data written before is intact.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import {
  BatchGetItemCommand,
  BatchWriteItemCommand,
  CreateTableCommand,
  DeleteItemCommand,
  DeleteTableCommand,
  DescribeTableCommand,
  GetItemCommand,
  ListTablesCommand,
  PutItemCommand,
  QueryCommand,
  ScanCommand,
  UpdateItemCommand,
  UpdateTableCommand,
  type AttributeValue,
  type DynamoDBClient,
  type QueryCommandInput,
  type ScanCommandInput,
} from '@aws-sdk/client-dynamodb';
import { clientFor, signedFetch, spawnServer, tempDataDir } from '../helpers/server.ts';

type Item = Record<string, AttributeValue>;

const controlString = '\u0001'.repeat(390_000);
/** 204,790 NULLs: 2 bytes each, the item just under 400 KB. */
const nullList: AttributeValue[] = Array.from({ length: 204_790 }, () => ({ NULL: true }));
/**
 * The 99 numbers of 2 bytes whose plain text is longest (132 characters): 1E-130 … 99E-130.
 * A list of sets of them is the item whose JSON is largest for its size (27.5 MB for 400 KB).
 */
const longNumbers = Array.from({ length: 99 }, (_, i) => `${i + 1}E-130`);
const numberSetList: AttributeValue[] = Array.from({ length: 2040 }, () => ({ NS: longNumbers }));
const wideString = 'w'.repeat(400_000);
const fiveMegabytes = 'v'.repeat(5 * 1024 * 1024);

/** What one call answered: its HTTP status and error name (none for a 200). */
interface Answer<T> {
  status: number;
  name: string;
  message: string;
  value: T | undefined;
}

async function call<T>(send: () => Promise<T>): Promise<Answer<T>> {
  try {
    return { status: 200, name: '', message: '', value: await send() };
  } catch (e) {
    const err = e as { name?: string; message?: string; $metadata?: { httpStatusCode?: number } };
    return { status: err.$metadata?.httpStatusCode ?? 0, name: err.name ?? 'Error', message: err.message ?? '', value: undefined };
  }
}

test('hostile input: every operation answers 200 or a 4xx, no node stops, nothing is lost', { timeout: 240_000 }, async () => {
  const dataDir = tempDataDir('monodyne-hostile');
  const server = await spawnServer(['--port', '0', '--data-dir', dataDir], {
    // Per-partition throughput ceilings lifted: 400 KB writes cost 400 units each, and throttling is not what this tests.
    MONODYNE_CAPACITY_PARTITION_WRITE_UNITS_MAX: '1000000000',
    MONODYNE_CAPACITY_PARTITION_READ_UNITS_MAX: '1000000000',
    // GET /_monodyne/partitions unsigned; the SDK still signs its requests.
    MONODYNE_AUTH_ENABLED: 'false',
    // Durability is not under test: unsynced commits keep the 150 MB of writes below quick.
    MONODYNE_STORAGE_SYNC: 'false',
  });
  // No SDK retries: every answer the server gives is seen as it is.
  const client: DynamoDBClient = clientFor(server.endpoint, 1);
  /** Answers that were neither what the case expects nor a 4xx, as "case: status name message". */
  const wrong: string[] = [];

  /** When each case ran, to name the ones under way when a failover was detected. */
  const journal: Array<{ label: string; start: number; end: number }> = [];
  const timed = async <T>(label: string, send: () => Promise<T>): Promise<Answer<T>> => {
    const start = Date.now();
    const a = await call(send);
    journal.push({ label, start, end: Date.now() });
    return a;
  };
  /** The cases under way in the 500 ms before `at` (a failure detector's three missed beats and more). */
  const underWay = (at: number): string[] => [...new Set(journal.filter((j) => j.start <= at && j.end >= at - 500).map((j) => j.label))];

  const ok = async <T>(label: string, send: () => Promise<T>): Promise<T | undefined> => {
    const a = await timed(label, send);
    if (a.status !== 200) wrong.push(`${label}: ${a.status} ${a.name} ${a.message.slice(0, 160)}`);
    return a.value;
  };
  /** Refused with a 4xx of DynamoDB's (its name, and its message when given). */
  const refused = async (label: string, name: string, message: RegExp | null, send: () => Promise<unknown>): Promise<void> => {
    const a = await timed(label, send);
    if (a.status < 400 || a.status >= 500 || a.name !== name || (message !== null && !message.test(a.message))) {
      wrong.push(`${label}: ${a.status} ${a.name} ${a.message.slice(0, 160)}`);
    }
  };
  /** A check on an answer's content, recorded like a wrong answer so that every case runs. */
  const check = (condition: boolean, label: string): void => {
    if (!condition) wrong.push(label);
  };
  /** Either answer is DynamoDB's (the case probes for crashes, not for one exact error). */
  const answered = async (label: string, send: () => Promise<unknown>): Promise<void> => {
    const a = await timed(label, send);
    if (a.status !== 200 && (a.status < 400 || a.status >= 500)) wrong.push(`${label}: ${a.status} ${a.name} ${a.message.slice(0, 160)}`);
  };

  try {
    const keySchema = (sort: boolean) => ({
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' as const }, ...(sort ? [{ AttributeName: 'sk', KeyType: 'RANGE' as const }] : [])],
      AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' as const }, ...(sort ? [{ AttributeName: 'sk', AttributeType: 'S' as const }] : [])],
      BillingMode: 'PAY_PER_REQUEST' as const,
    });
    await ok('CreateTable plain', () => client.send(new CreateTableCommand({ TableName: 'plain', ...keySchema(false) })));
    await ok('CreateTable hostile', () => client.send(new CreateTableCommand({ TableName: 'hostile', ...keySchema(true) })));
    await ok('CreateTable wide', () => client.send(new CreateTableCommand({ TableName: 'wide', ...keySchema(false) })));

    // The data written before, read back at the end.
    const plain: Item[] = Array.from({ length: 50 }, (_, i) => ({ pk: { S: `p${i}` }, n: { N: String(i) }, s: { S: `value ${i}` } }));
    for (const item of plain) await ok('PutItem plain', () => client.send(new PutItemCommand({ TableName: 'plain', Item: item })));

    // ---- items at 400 KB whose encodings are many times their size ----
    const big: Item[] = [];
    for (const sk of ['a', 'b', 'c']) big.push({ pk: { S: 'ctrl' }, sk: { S: sk }, s: { S: controlString } });
    for (const sk of ['a', 'b', 'c']) big.push({ pk: { S: 'nulls' }, sk: { S: sk }, l: { L: nullList } });
    for (const sk of ['a', 'b']) big.push({ pk: { S: 'numbers' }, sk: { S: sk }, l: { L: numberSetList } });
    for (const item of big) await ok(`PutItem ${item.pk.S}/${item.sk.S}`, () => client.send(new PutItemCommand({ TableName: 'hostile', Item: item })));
    const wideKeys: Item[] = Array.from({ length: 100 }, (_, i) => ({ pk: { S: `w${i}` } }));
    for (let i = 0; i < wideKeys.length; i += 10) {
      await Promise.all(wideKeys.slice(i, i + 10).map((key) => ok('PutItem wide', () => client.send(new PutItemCommand({ TableName: 'wide', Item: { ...key, s: { S: wideString } } })))));
    }

    // ---- reads of them: GetItem, Query and Scan pages, both directions ----
    for (const item of big) {
      const got = await ok(`GetItem ${item.pk.S}/${item.sk.S}`, () => client.send(new GetItemCommand({ TableName: 'hostile', Key: { pk: item.pk, sk: item.sk }, ConsistentRead: true })));
      if (got !== undefined) check(sameItem(got.Item, item), `GetItem ${item.pk.S}/${item.sk.S} returned another item`);
    }
    const pageThrough = async (label: string, input: QueryCommandInput | ScanCommandInput, scan: boolean): Promise<Item[]> => {
      const items: Item[] = [];
      let start: Item | undefined;
      for (let page = 0; page < 50; page++) {
        const res = await ok(label, () => client.send(scan ? new ScanCommand({ ...(input as ScanCommandInput), ExclusiveStartKey: start }) : new QueryCommand({ ...(input as QueryCommandInput), ExclusiveStartKey: start })));
        if (res === undefined) break;
        items.push(...(res.Items ?? []));
        start = res.LastEvaluatedKey;
        if (start === undefined) break;
      }
      return items;
    };
    for (const pk of ['ctrl', 'nulls', 'numbers']) {
      const expected = big.filter((i) => i.pk.S === pk);
      for (const forward of [true, false]) {
        const items = await pageThrough(`Query ${pk}`, { TableName: 'hostile', KeyConditionExpression: 'pk = :p', ExpressionAttributeValues: { ':p': { S: pk } }, ScanIndexForward: forward }, false);
        const order = expected.map((i) => i.sk.S!).sort();
        check(JSON.stringify(items.map((i) => i.sk.S)) === JSON.stringify(forward ? order : order.reverse()), `Query ${pk} (forward ${forward}) pages hold each item once, in order`);
        for (const got of items) check(sameItem(got, expected.find((i) => i.sk.S === got.sk.S)!), `Query ${pk} returned another item`);
      }
    }
    const scanned = await pageThrough('Scan hostile', { TableName: 'hostile' }, true);
    check(JSON.stringify(scanned.map((i) => `${i.pk.S}/${i.sk.S}`).sort()) === JSON.stringify(big.map((i) => `${i.pk.S}/${i.sk.S}`).sort()), 'Scan pages hold each item once');

    // ---- writes that answer the largest items back ----
    const numbersA = big.find((i) => i.pk.S === 'numbers' && i.sk.S === 'a')!;
    const old = await ok('PutItem ALL_OLD of the largest JSON', () => client.send(new PutItemCommand({ TableName: 'hostile', Item: numbersA, ReturnValues: 'ALL_OLD' })));
    if (old !== undefined) check(sameItem(old.Attributes, numbersA), 'PutItem ALL_OLD answered another item');
    const updated = await ok('UpdateItem ALL_NEW of the largest JSON', () =>
      client.send(new UpdateItemCommand({ TableName: 'hostile', Key: { pk: { S: 'numbers' }, sk: { S: 'b' } }, UpdateExpression: 'SET z = :z', ExpressionAttributeValues: { ':z': { S: 'z' } }, ReturnValues: 'ALL_NEW' })),
    );
    if (updated !== undefined) check(updated.Attributes?.l.L?.length === numberSetList.length, 'UpdateItem ALL_NEW answered another item');
    await ok('UpdateItem SET a 390 KB control-character value', () =>
      client.send(new UpdateItemCommand({ TableName: 'hostile', Key: { pk: { S: 'set' }, sk: { S: 'a' } }, UpdateExpression: 'SET s = :s', ExpressionAttributeValues: { ':s': { S: controlString } } })),
    );
    await ok('DeleteItem ALL_OLD of a 390 KB item', () => client.send(new DeleteItemCommand({ TableName: 'hostile', Key: { pk: { S: 'set' }, sk: { S: 'a' } }, ReturnValues: 'ALL_OLD' })));

    // ---- what DynamoDB refuses ----
    await refused('PutItem over 400 KB', 'ValidationException', /Item size has exceeded the maximum allowed size/, () =>
      client.send(new PutItemCommand({ TableName: 'hostile', Item: { pk: { S: 'x' }, sk: { S: 'x' }, s: { S: 'x'.repeat(410_000) } } })),
    );
    await refused('PutItem condition with a 5 MB value', 'ValidationException', /maximum allowed size/, () =>
      client.send(new PutItemCommand({ TableName: 'hostile', Item: { pk: { S: 'x' }, sk: { S: 'x' } }, ConditionExpression: '#a = :v', ExpressionAttributeNames: { '#a': 'a' }, ExpressionAttributeValues: { ':v': { S: fiveMegabytes } } })),
    );
    await refused('UpdateItem SET a 5 MB value', 'ValidationException', /maximum allowed size/, () =>
      client.send(new UpdateItemCommand({ TableName: 'hostile', Key: { pk: { S: 'x' }, sk: { S: 'x' } }, UpdateExpression: 'SET a = :v', ExpressionAttributeValues: { ':v': { S: fiveMegabytes } } })),
    );
    await refused('UpdateItem SET a list of 700 000 NULLs', 'ValidationException', /maximum allowed size/, () =>
      client.send(new UpdateItemCommand({ TableName: 'hostile', Key: { pk: { S: 'x' }, sk: { S: 'x' } }, UpdateExpression: 'SET a = :v', ExpressionAttributeValues: { ':v': { L: Array.from({ length: 700_000 }, () => ({ NULL: true })) } } })),
    );
    await refused('UpdateItem growing an item past 400 KB', 'ValidationException', /Item size to update has exceeded the maximum allowed size/, () =>
      client.send(new UpdateItemCommand({ TableName: 'hostile', Key: { pk: { S: 'ctrl' }, sk: { S: 'a' } }, UpdateExpression: 'SET t = :v', ExpressionAttributeValues: { ':v': { S: 'x'.repeat(100_000) } } })),
    );
    await refused('UpdateItem legacy AttributeUpdates of 5 MB', 'ValidationException', /maximum allowed size/, () =>
      client.send(new UpdateItemCommand({ TableName: 'hostile', Key: { pk: { S: 'x' }, sk: { S: 'x' } }, AttributeUpdates: { a: { Action: 'PUT', Value: { S: fiveMegabytes } } } })),
    );
    await refused('DeleteItem legacy Expected of 5 MB', 'ValidationException', /maximum allowed size/, () =>
      client.send(new DeleteItemCommand({ TableName: 'hostile', Key: { pk: { S: 'x' }, sk: { S: 'x' } }, Expected: { a: { Value: { S: fiveMegabytes } } } })),
    );
    await refused('Query filter with a 5 MB value', 'ValidationException', /maximum allowed size/, () =>
      client.send(new QueryCommand({ TableName: 'hostile', KeyConditionExpression: 'pk = :p', FilterExpression: 'a = :v', ExpressionAttributeValues: { ':p': { S: 'ctrl' }, ':v': { S: fiveMegabytes } } })),
    );
    await refused('Query legacy QueryFilter of 5 MB', 'ValidationException', /maximum allowed size/, () =>
      client.send(new QueryCommand({ TableName: 'hostile', KeyConditions: { pk: { ComparisonOperator: 'EQ', AttributeValueList: [{ S: 'ctrl' }] } }, QueryFilter: { a: { ComparisonOperator: 'EQ', AttributeValueList: [{ S: fiveMegabytes }] } } })),
    );
    await refused('Scan filter with a 5 MB value', 'ValidationException', /maximum allowed size/, () =>
      client.send(new ScanCommand({ TableName: 'hostile', FilterExpression: 'a = :v', ExpressionAttributeValues: { ':v': { S: fiveMegabytes } } })),
    );
    await refused('a 5 MB partition key', 'ValidationException', null, () => client.send(new GetItemCommand({ TableName: 'hostile', Key: { pk: { S: fiveMegabytes }, sk: { S: 'x' } } })));
    await refused('attributes nested 40 deep', 'ValidationException', /Nesting Levels/, () => {
      let value: AttributeValue = { S: 'deep' };
      for (let i = 0; i < 40; i++) value = { M: { m: value } };
      return client.send(new PutItemCommand({ TableName: 'hostile', Item: { pk: { S: 'x' }, sk: { S: 'x' }, m: value } }));
    });

    // ---- expressions nested thousands deep, and longer than 4 KB ----
    const conditionShapes = [
      '('.repeat(2040) + 'a = :v' + ')'.repeat(2040),
      'NOT '.repeat(1020) + 'a = :v',
      'a = :v' + ' AND (a = :v'.repeat(300) + ')'.repeat(300),
      'size('.repeat(800) + 'a' + ')'.repeat(800) + ' = :v',
      'a' + '.b'.repeat(2040) + ' = :v',
      'a' + '[0]'.repeat(1300) + ' = :v',
      '('.repeat(20_000),
      'a = :v' + ' OR a = :v'.repeat(2000),
    ];
    for (const shape of conditionShapes) {
      const label = `ConditionExpression ${shape.slice(0, 24)}… (${shape.length} bytes)`;
      await answered(label, () => client.send(new PutItemCommand({ TableName: 'hostile', Item: { pk: { S: 'cond' }, sk: { S: 'x' } }, ConditionExpression: shape, ExpressionAttributeValues: { ':v': { S: 'v' } } })));
      await answered(`Query filter: ${label}`, () =>
        client.send(new QueryCommand({ TableName: 'hostile', KeyConditionExpression: 'pk = :p', FilterExpression: shape, ExpressionAttributeValues: { ':p': { S: 'cond' }, ':v': { S: 'v' } } })),
      );
    }
    const updateShapes = [
      'SET a = ' + 'list_append('.repeat(330) + ':l' + ', :l)'.repeat(330),
      'SET a = ' + 'if_not_exists(a, '.repeat(250) + ':n' + ')'.repeat(250),
      'SET a = :n' + ' + :n'.repeat(700),
      'SET ' + Array.from({ length: 600 }, (_, i) => `a${i} = :n`).join(', '),
      'SET a' + '.b'.repeat(2040) + ' = :n',
    ];
    for (const shape of updateShapes) {
      await answered(`UpdateExpression ${shape.slice(0, 30)}… (${shape.length} bytes)`, () =>
        client.send(new UpdateItemCommand({ TableName: 'hostile', Key: { pk: { S: 'upd' }, sk: { S: 'x' } }, UpdateExpression: shape, ExpressionAttributeValues: shape.includes(':l') ? { ':l': { L: [{ N: '1' }] } } : { ':n': { N: '1' } } })),
      );
    }
    await answered('ProjectionExpression 2000 deep', () => client.send(new GetItemCommand({ TableName: 'hostile', Key: { pk: { S: 'ctrl' }, sk: { S: 'a' } }, ProjectionExpression: 'a' + '.b'.repeat(2040) })));
    await answered('ProjectionExpression of 1000 attributes', () =>
      client.send(new QueryCommand({ TableName: 'hostile', KeyConditionExpression: 'pk = :p', ExpressionAttributeValues: { ':p': { S: 'ctrl' } }, ProjectionExpression: Array.from({ length: 1000 }, (_, i) => `a${i}`).join(',') })),
    );
    await answered('KeyConditionExpression nested', () =>
      client.send(new QueryCommand({ TableName: 'hostile', KeyConditionExpression: '('.repeat(2000) + 'pk = :p' + ')'.repeat(2000), ExpressionAttributeValues: { ':p': { S: 'ctrl' } } })),
    );

    // ---- batches ----
    await refused('BatchGetItem of 101 keys', 'ValidationException', null, () =>
      client.send(new BatchGetItemCommand({ RequestItems: { wide: { Keys: [...wideKeys, { pk: { S: 'w100' } }] } } })),
    );
    const batchGetAll = async (label: string, table: string, keys: Item[]): Promise<Item[]> => {
      const got: Item[] = [];
      let pending: Item[] = keys;
      for (let round = 0; round < 40 && pending.length > 0; round++) {
        const res = await ok(label, () => client.send(new BatchGetItemCommand({ RequestItems: { [table]: { Keys: pending } } })));
        if (res === undefined) break;
        got.push(...(res.Responses?.[table] ?? []));
        pending = (res.UnprocessedKeys?.[table]?.Keys as Item[] | undefined) ?? [];
      }
      return got;
    };
    const wideGot = await batchGetAll('BatchGetItem 100 × 400 KB', 'wide', wideKeys);
    check(new Set(wideGot.map((i) => i.pk.S)).size === 100 && wideGot.length === 100, 'BatchGetItem answers hold every wide item once');
    check(wideGot.every((i) => i.s.S === wideString), 'BatchGetItem answered another wide item');
    const bigGot = await batchGetAll('BatchGetItem of the largest JSON', 'hostile', big.map((i) => ({ pk: i.pk, sk: i.sk })));
    check(bigGot.length === big.length, 'BatchGetItem returns each large item once');
    await ok('BatchWriteItem 5 × 200 000 NULLs', () =>
      client.send(new BatchWriteItemCommand({ RequestItems: { hostile: Array.from({ length: 5 }, (_, i) => ({ PutRequest: { Item: { pk: { S: 'batch' }, sk: { S: `n${i}` }, l: { L: nullList } } } })) } })),
    );

    // ---- the control plane's operations ----
    await refused('CreateTable with a 5 MB name', 'ValidationException', null, () => client.send(new CreateTableCommand({ TableName: fiveMegabytes, ...keySchema(false) })));
    await refused('CreateTable with control characters', 'ValidationException', null, () => client.send(new CreateTableCommand({ TableName: '\u0001'.repeat(300), ...keySchema(false) })));
    await refused('DescribeTable of a 5 MB name', 'ValidationException', null, () => client.send(new DescribeTableCommand({ TableName: fiveMegabytes })));
    await refused('DeleteTable of control characters', 'ValidationException', null, () => client.send(new DeleteTableCommand({ TableName: '\u0001\u0002\u0003' })));
    await refused('UpdateTable with absurd throughput', 'ValidationException', null, () =>
      client.send(new UpdateTableCommand({ TableName: 'plain', BillingMode: 'PROVISIONED', ProvisionedThroughput: { ReadCapacityUnits: 1e300, WriteCapacityUnits: -1 } })),
    );
    await refused('ListTables with a 5 MB start name', 'ValidationException', null, () => client.send(new ListTablesCommand({ ExclusiveStartTableName: fiveMegabytes })));
    for (const [target, body] of [
      ['PutItem', '{"TableName":"hostile","Item":' + '['.repeat(50_000) + ']'.repeat(50_000) + '}'],
      ['Query', '{"TableName":"hostile","KeyConditionExpression":"pk = :p","ExpressionAttributeValues":{":p":{"S":"\\ud800"}}}'],
      ['Scan', '{"TableName":"hostile","Limit":1e400}'],
      ['GetItem', '{"TableName":"hostile","Key":{"pk":{"S":"x"},"sk":{"S":"x"}},"ProjectionExpression":' + JSON.stringify('\u0000'.repeat(5000)) + '}'],
      ['NoSuchOperation', '{}'],
    ] as const) {
      try {
        const res = await signedFetch(server.endpoint, `DynamoDB_20120810.${target}`, body);
        await res.text();
        if (res.status !== 200 && (res.status < 400 || res.status >= 500)) wrong.push(`raw ${target}: ${res.status}`);
      } catch (e) {
        wrong.push(`raw ${target}: ${(e as Error).message}`);
      }
    }

    // ---- afterwards: every node alive, no failover, the process up, the data intact ----
    try {
      const view = (await (await fetch(`${server.endpoint}/_monodyne/partitions`, { signal: AbortSignal.timeout(20_000) })).json()) as { nodes: Array<{ node: number; alive: boolean }>; failovers: unknown[] };
      check(view.nodes.every((n) => n.alive), `a storage node stopped: ${JSON.stringify(view.nodes)}`);
      const failovers = view.failovers as Array<{ detectedAt: number }>;
      check(failovers.length === 0, `failovers happened: ${JSON.stringify(failovers)}; under way when detected: ${failovers.map((f) => underWay(f.detectedAt).join(', ')).join(' | ')}`);
    } catch (e) {
      wrong.push(`GET /_monodyne/partitions: ${(e as Error).message}`);
    }
    check(server.child.exitCode === null, 'the server process exited');
    const stopped = /storage node \d+ stopped[^\n]*|unhandled[^\n]*|uncaught[^\n]*/i.exec(server.output());
    check(stopped === null, `the server logged: ${stopped?.[0]}`);
    for (const item of plain) {
      const got = await ok('GetItem plain', () => client.send(new GetItemCommand({ TableName: 'plain', Key: { pk: item.pk }, ConsistentRead: true })));
      check(got === undefined || JSON.stringify(got.Item) === JSON.stringify(item), `plain ${item.pk.S} changed`);
    }
    for (const item of big) {
      const got = await ok('GetItem at the end', () => client.send(new GetItemCommand({ TableName: 'hostile', Key: { pk: item.pk, sk: item.sk }, ConsistentRead: true })));
      check(got === undefined || sameItem(withoutZ(got.Item), item), `${item.pk.S}/${item.sk.S} changed`);
    }
    if (wrong.length > 0) console.log(`server output:\n${server.output().slice(-6000)}`);
    assert.deepEqual(wrong, [], 'answers that are neither 200 nor the expected 4xx of DynamoDB, or a server that did not stay whole');
  } finally {
    client.destroy();
    server.child.kill('SIGTERM');
    await server.exited;
    rmSync(dataDir, { recursive: true, force: true });
  }
});

/** The attribute UpdateItem added above, which the comparison ignores. */
function withoutZ(item: Item | undefined): Item | undefined {
  if (item === undefined) return undefined;
  const { z: _z, ...rest } = item;
  return rest;
}

/** Whether two items hold the same values; numbers compared by value (DynamoDB answers them in plain notation). */
function sameItem(a: Item | undefined, b: Item | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  const keys = Object.keys(a).sort();
  if (keys.join('\u0000') !== Object.keys(b).sort().join('\u0000')) return false;
  return keys.every((k) => sameValue(a[k], b[k]));
}

function sameValue(a: AttributeValue, b: AttributeValue): boolean {
  if (a.S !== undefined) return a.S === b.S;
  if (a.N !== undefined) return b.N !== undefined && Number(a.N) === Number(b.N);
  if (a.NULL !== undefined) return a.NULL === b.NULL;
  if (a.NS !== undefined) return b.NS !== undefined && a.NS.length === b.NS.length && a.NS.every((n, i) => numberValue(n) === numberValue(b.NS![i]));
  if (a.L !== undefined) return b.L !== undefined && a.L.length === b.L.length && a.L.every((v, i) => sameValue(v, b.L![i]));
  if (a.M !== undefined) return b.M !== undefined && sameItem(a.M, b.M);
  return JSON.stringify(a) === JSON.stringify(b);
}

const plainTexts = new Map<string, string>();

/** The plain text of `kE-e` (as sent) and of a plain decimal (as answered), to compare the two exactly. */
function numberValue(text: string): string {
  let plain = plainTexts.get(text);
  if (plain === undefined) {
    const match = /^(\d+)E-(\d+)$/.exec(text);
    plain = match === null ? text : ('0.' + '0'.repeat(Number(match[2]) - match[1].length) + match[1]).replace(/0+$/, '');
    plainTexts.set(text, plain);
  }
  return plain;
}
