// A commit's records as the log writer receives them: whatever record makes the batch's buffer
// grow comes out whole, and so do the records before it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { WalBatchBuilder, batchRecords, batchSequence, decodeChange } from '../../../src/storage/wal/wal-payloads.ts';
import { WalRecordType } from '../../../src/storage/wal/wal-format.ts';
import { ReplicaMachine } from '../../../src/replication/replica-machine.ts';
import { ReplicaState } from '../../../src/replication/replica-state.ts';

const membership = { hashStart: 0, hashEnd: 2 ** 32, voters: [0, 1, 2], leader: 0, epoch: 3, version: 7 };
const record = ReplicaMachine.emptyRecord('orders', 2, membership, ReplicaState.Leading, 3);
const positions = { stream: 41, index: 40 };

for (const [label, add] of [
  ['a replica record', (b: WalBatchBuilder) => b.replicaRecord(record)],
  ['followers’ positions', (b: WalBatchBuilder) => b.followerPositions('orders', 2, positions)],
  ['a log entry', (b: WalBatchBuilder) => b.logAppend('orders', 2, 9, 3, new Uint8Array(300).fill(9))],
] as const) {
  test(`${label} that makes the batch's buffer grow is written whole, after the records before it`, () => {
    const builder = new WalBatchBuilder();
    // Each size leaves the first buffer (64 KiB) a few bytes short of the next record, at some point.
    for (let filler = 65_400; filler <= 65_530; filler += 7) {
      const entry = new Uint8Array(filler).fill(5);
      builder.logAppend('orders', 2, 8, 3, entry);
      add(builder);
      const records = [...batchRecords(builder.take(11))];
      assert.equal(records.length, 2);
      const first = decodeChange(records[0].type, records[0].payload);
      assert.equal(first.type, WalRecordType.LogAppend);
      assert.ok(first.type === WalRecordType.LogAppend && Buffer.from(first.entry).equals(entry), 'the entry before it, whole');
      const second = decodeChange(records[1].type, records[1].payload);
      if (second.type === WalRecordType.ReplicaRecord) assert.deepEqual(second.record, record);
      else if (second.type === WalRecordType.FollowerPositions) assert.deepEqual(second.positions, positions);
      else assert.deepEqual(second.type === WalRecordType.LogAppend && [...second.entry], new Array(300).fill(9));
    }
  });
}

test('a batch starts with its sequence number', () => {
  const builder = new WalBatchBuilder();
  builder.replicaRemove('orders', 2);
  assert.equal(batchSequence(builder.take(42)), 42);
});
