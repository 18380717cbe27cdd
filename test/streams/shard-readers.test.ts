// The limits on reading streams, on a clock moved by hand: two readers of a shard are served and a
// third is refused until one of them falls out of the window or reads its closed shard to the end;
// shards are counted apart; memory stays with the shards read lately; DescribeStream takes ten calls
// a second per stream; with throttling off nothing is refused; the defaults are DynamoDB's numbers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ShardReaders } from '../../src/streams/shard-readers.ts';
import { StreamReadLimits, rateExceededMessage, type StreamReadLimitSettings } from '../../src/streams/read-limits.ts';
import type { Clock } from '../../src/control/clock.ts';
import { DynamoError } from '../../src/protocol/errors.ts';
import { describeStreamCallsPerSecondMax, streamShardReadersMax } from '../../src/limits.ts';
import { loadDefaults } from '../../src/server/config.ts';

const windowMs = 1000;

test('shard readers: two are served, a third is refused (and not counted); a reader counted there is always served', () => {
  const readers = new ShardReaders({ readersPerShard: 2, windowMs });
  assert.equal(readers.admit('s', 1, 0), true);
  assert.equal(readers.admit('s', 2, 10), true);
  assert.equal(readers.admit('s', 3, 20), false);
  assert.equal(readers.readingAt('s', 20), 2, 'a refused reader is not reading');
  assert.equal(readers.admit('s', 1, 30), true, 'a reader already counted goes on');
  assert.equal(readers.admit('s', 2, 40), true);
  assert.equal(readers.admit('s', 3, 50), false);
});

test('shard readers: a reader stops counting a window after its last read; one that keeps reading keeps its place', () => {
  const cases: Array<{ name: string; steps: Array<[reader: number, atMs: number, served: boolean]> }> = [
    { name: 'both others idle: served once the first is a window old', steps: [[1, 0, true], [2, 100, true], [3, 999, false], [3, 1000, true], [4, 1099, false], [4, 1100, true]] },
    { name: 'one other still reading: served when the idle one drops', steps: [[1, 0, true], [2, 0, true], [2, 900, true], [3, 999, false], [3, 1000, true], [1, 1000, false], [2, 1899, true], [1, 1999, false], [1, 2000, true]] },
    { name: 'the refused retrying does not push anyone out', steps: [[1, 0, true], [2, 0, true], [3, 300, false], [3, 600, false], [1, 999, true], [2, 999, true], [3, 1000, false], [3, 1998, false], [3, 1999, true]] },
  ];
  for (const c of cases) {
    const readers = new ShardReaders({ readersPerShard: 2, windowMs });
    for (const [reader, atMs, served] of c.steps) assert.equal(readers.admit('s', reader, atMs), served, `${c.name}: reader ${reader} at ${atMs} ms`);
  }
});

test('shard readers: one that read its closed shard to the end makes room at once; shards are counted apart; the number is a setting', () => {
  const readers = new ShardReaders({ readersPerShard: 2, windowMs });
  readers.admit('s', 1, 0);
  readers.admit('s', 2, 0);
  assert.equal(readers.admit('t', 3, 0), true, 'another shard has its own readers');
  assert.equal(readers.admit('s', 3, 1), false);
  readers.finished('s', 1);
  assert.equal(readers.admit('s', 3, 2), true);
  readers.finished('u', 9); // a shard no one read: nothing to do
  for (const readersPerShard of [1, 3, 5]) {
    const r = new ShardReaders({ readersPerShard, windowMs });
    for (let id = 1; id <= readersPerShard; id++) assert.equal(r.admit('s', id, 0), true);
    assert.equal(r.admit('s', readersPerShard + 1, 0), false, `past ${readersPerShard}`);
  }
});

test('shard readers: memory stays with the shards read in the last window, and a shard never holds more than its readers', () => {
  const readers = new ShardReaders({ readersPerShard: 2, windowMs });
  for (let i = 0; i < 10_000; i++) readers.admit(`s${i}`, i, i % windowMs);
  assert.equal(readers.shardsKept(), 10_000);
  readers.admit('last', 1, 2 * windowMs);
  assert.equal(readers.shardsKept(), 1, 'shards no one read for a window are forgotten');
  for (let id = 2; id < 1000; id++) readers.admit('last', id, 2 * windowMs);
  assert.equal(readers.readingAt('last', 2 * windowMs), 2);
});

/** A clock moved by hand; the limits only ask it the time. */
function handClock(): Clock & { t: number } {
  const unused = () => {
    throw new Error('not used by the read limits');
  };
  const clock = { t: 0, now: () => clock.t, after: unused, every: unused, sleep: unused };
  return clock;
}

const settings: StreamReadLimitSettings = { enabled: true, readersPerShard: 2, readerWindowMs: windowMs, describeStreamCallsPerSecond: 10 };

function refused(fn: () => void): boolean {
  try {
    fn();
    return false;
  } catch (err) {
    assert.ok(err instanceof DynamoError);
    assert.equal(err.kind.name, 'LimitExceededException');
    assert.equal(err.kind.status, 400);
    assert.equal(err.message, rateExceededMessage);
    return true;
  }
}

test('stream read limits: GetRecords of a third reader is LimitExceededException until the window passes', () => {
  const clock = handClock();
  const limits = new StreamReadLimits(clock, settings);
  assert.equal(refused(() => limits.readShard('arn1', 'shard', 1)), false);
  assert.equal(refused(() => limits.readShard('arn1', 'shard', 2)), false);
  assert.equal(refused(() => limits.readShard('arn1', 'shard', 3)), true);
  assert.equal(refused(() => limits.readShard('arn2', 'shard', 3)), false, 'the same shard id in another stream is another shard');
  clock.t = windowMs;
  assert.equal(refused(() => limits.readShard('arn1', 'shard', 3)), false);
  limits.shardEnded('arn1', 'shard', 3);
  assert.equal(refused(() => limits.readShard('arn1', 'shard', 4)), false);
});

test('stream read limits: DescribeStream takes ten calls at once per stream, then one each tenth of a second', () => {
  const clock = handClock();
  const limits = new StreamReadLimits(clock, settings);
  for (let i = 0; i < 10; i++) assert.equal(refused(() => limits.describeStream('arn1')), false, `call ${i + 1}`);
  assert.equal(refused(() => limits.describeStream('arn1')), true, 'the eleventh in the same instant');
  assert.equal(refused(() => limits.describeStream('arn2')), false, 'another stream has its own rate');
  clock.t = 99;
  assert.equal(refused(() => limits.describeStream('arn1')), true);
  clock.t = 100;
  assert.equal(refused(() => limits.describeStream('arn1')), false);
  assert.equal(refused(() => limits.describeStream('arn1')), true);
  clock.t = 5000;
  for (let i = 0; i < 10; i++) assert.equal(refused(() => limits.describeStream('arn1')), false, 'a full second again after a pause');
  assert.equal(refused(() => limits.describeStream('arn1')), true);
});

test('stream read limits: with throttling off (capacity.throttling false) nothing is refused', () => {
  const limits = new StreamReadLimits(handClock(), { ...settings, enabled: false });
  for (let reader = 1; reader <= 50; reader++) assert.equal(refused(() => limits.readShard('arn1', 'shard', reader)), false);
  for (let i = 0; i < 50; i++) assert.equal(refused(() => limits.describeStream('arn1')), false);
});

test("stream read limits: the settings' defaults are DynamoDB's numbers", () => {
  const defaults = loadDefaults().streams;
  assert.equal(defaults.readersPerShard, streamShardReadersMax);
  assert.equal(defaults.describeStreamCallsPerSecond, describeStreamCallsPerSecondMax);
  assert.equal(defaults.readerWindowMs, 1000);
});
