// The stream store and shard iterators on their own: a change taken twice is appended once,
// records come in sequence order after a position, trimming past the retention removes records
// (and remembers how far, for TrimmedDataAccessException) and closed shards left empty; an
// iterator past 15 minutes is ExpiredIteratorException, an altered one (its reader too) a ValidationException.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StreamStore, normalSequence, previousSequence, sequenceNumber } from '../../src/streams/stream-store.ts';
import { decodeShardIterator, encodeShardIterator, newReader, streamArnOfIterator } from '../../src/streams/shard-iterator.ts';
import { shardIteratorLifetimeMs } from '../../src/limits.ts';
import { DynamoError } from '../../src/protocol/errors.ts';

const arn = 'arn:aws:dynamodb:us-east-1:000000000000:table/t/stream/2026-12-07T00:00:00.000';

test('stream store: a change taken twice is appended once; records in order after a position; trimming remembers its horizon', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'monodyne-streams-'));
  const store = StreamStore.open(dir, false);
  try {
    await store.putStream({ arn, label: 'l', tableName: 't', tableId: 't.1', viewType: 'KEYS_ONLY', keySchema: [{ AttributeName: 'id', KeyType: 'HASH' }], enabled: true, createdAtMs: 0 });
    await store.putShard(arn, { shardId: 'shardId-a', pid: 0, startSeq: store.peekSequence(), openedAtMs: 0, endSeq: undefined });
    for (let i = 0; i < 5; i++) assert.equal(store.append(arn, 'shardId-a', `stamp${i}`, { eventName: 'INSERT', atMs: i * 1000, keys: { id: { S: `k${i}` } } }), true);
    await store.flushed();
    assert.equal(store.append(arn, 'shardId-a', 'stamp2', { eventName: 'INSERT', atMs: 9999, keys: { id: { S: 'again' } } }), false, 'a stamp seen is left out');
    await store.flushed();
    const all = store.records(arn, 'shardId-a', null, 100);
    assert.deepEqual(all.map((r) => (r.keys.id as { S: string }).S), ['k0', 'k1', 'k2', 'k3', 'k4']);
    assert.deepEqual(store.records(arn, 'shardId-a', all[1].seq, 2).map((r) => (r.keys.id as { S: string }).S), ['k2', 'k3']);
    assert.equal(store.newestRecord(arn, 'shardId-a'), all[4].seq);
    assert.equal(await store.trim(2500), 3);
    assert.deepEqual(store.records(arn, 'shardId-a', null, 100).map((r) => (r.keys.id as { S: string }).S), ['k3', 'k4']);
    assert.equal(store.shard(arn, 'shardId-a')!.trimmedThrough, all[2].seq);
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('sequence numbers: fixed width, so text order is number order; a client may leave out the leading zeros', () => {
  assert.equal(sequenceNumber(42), '000000000000000000042');
  assert.equal(normalSequence('42'), sequenceNumber(42));
  assert.equal(normalSequence('x1'), null);
  assert.equal(normalSequence('1'.repeat(22)), null);
  assert.equal(previousSequence(sequenceNumber(42)), sequenceNumber(41));
  assert.equal(previousSequence(sequenceNumber(1)), null);
});

test('shard iterators: a position and its reader round-trip; past 15 minutes ExpiredIteratorException; altered (its reader too), ValidationException', () => {
  const position = { arn, shardId: 'shardId-a', after: sequenceNumber(7), reader: newReader() };
  assert.notEqual(newReader(), position.reader, 'each GetShardIterator starts another reader');
  const iterator = encodeShardIterator(position, 1000);
  assert.deepEqual(decodeShardIterator(iterator, 1000 + shardIteratorLifetimeMs), position);
  assert.equal(streamArnOfIterator(iterator), arn);
  assert.throws(() => decodeShardIterator(iterator, 1001 + shardIteratorLifetimeMs), (err: unknown) => err instanceof DynamoError && err.kind.name === 'ExpiredIteratorException');
  const altered = encodeShardIterator({ ...position, after: sequenceNumber(1) }, 1000).split('.')[0] + '.' + iterator.split('.')[1];
  assert.throws(() => decodeShardIterator(altered, 1000), (err: unknown) => err instanceof DynamoError && err.kind.name === 'ValidationException');
  const otherReader = encodeShardIterator({ ...position, reader: position.reader + 1 }, 1000).split('.')[0] + '.' + iterator.split('.')[1];
  assert.throws(() => decodeShardIterator(otherReader, 1000), (err: unknown) => err instanceof DynamoError && err.kind.name === 'ValidationException');
});
