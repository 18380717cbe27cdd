// The bounds of src/limits-relations.ts hold for the worst items monodyne accepts, encoded by
// the real codecs; the default configuration satisfies every relation; a ring too small for a
// useful page, or a body limit too small for the largest item, is refused naming the setting
// to change.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  walRecordBytesMax,
  encodedBytesPerItemByteMax,
  frameBytesMax,
  itemAnswerFrameBytesMax,
  itemEncodedBytesMax,
  itemJsonBytesMax,
  keyItemEncodedBytesMax,
  largestItemBodyBytesMin,
  limitRelationsProblem,
  logEntryBytesMax,
  pageAnswerFrameBytesMax,
  pageJsonBudgetFor,
  pageJsonBytesMax,
  readRequestFrameBytesMax,
  replicationBatchBytesMax,
  replicationFrameBytesMax,
  ringCapacityBytesFor,
  ringFrameBytesMax,
  replicationBatchBudgetFor,
  snapshotChunkBudgetBytes,
  snapshotChunkBudgetFor,
  snapshotChunkFrameBytesMax,
  writeRequestFrameBytesMax,
  type LimitSettings,
} from '../src/limits-relations.ts';
import { expressionBytesMax, itemSizeBytesMax, substitutionBytesMax } from '../src/limits.ts';
import { ConfigError, loadDefaults, resolveConfig } from '../src/server/config.ts';
import { SpscRing } from '../src/rings/ring.ts';
import { encodeFrame } from '../src/rings/frame-codec.ts';
import { encodeLogEntry } from '../src/replication/log-entry.ts';
import { encodeReplFrame } from '../src/replication/repl-frame-codec.ts';
import { encodeRequest, encodeResponse } from '../src/storage/message-codec.ts';
import { encodeStoredItem } from '../src/storage/stored-item.ts';
import { storageKeyBytesMax } from '../src/storage/key-encoding.ts';
import { itemSizeBytes, normalizeItem } from '../src/validation/attribute-values.ts';
import { Op, ReturnValues, Status, WriteKind } from '../src/storage/messages.ts';
import { ReplFrameType } from '../src/replication/frames.ts';
import type { AttributeValue, Item } from '../src/values/types.ts';

/** Fills a list attribute with copies of `element` (of `elementBytes` in a list) up to the 400 KB limit. */
function listItem(element: AttributeValue, elementBytes: number): Item {
  const count = Math.floor((itemSizeBytesMax - 8) / elementBytes);
  return normalizeItem({ pk: { S: 'p' }, l: { L: Array.from({ length: count }, () => element) } }, 'Item');
}

const longNumbers = Array.from({ length: 99 }, (_, i) => `${i + 1}E-130`);
/** The worst item: a list of number sets of the 99 numbers of 2 bytes with the longest plain text. */
const worst = listItem({ NS: longNumbers }, 1 + 2 * 99);
const worstJson = JSON.stringify(worst);

const shapes: Record<string, Item> = {
  'list of number sets (the worst)': worst,
  'list of N 1E-130': listItem({ N: '1E-130' }, 3),
  'list of N -1E-130': listItem({ N: '-1E-130' }, 4),
  'list of NULLs': listItem({ NULL: true }, 2),
  'list of BOOL false': listItem({ BOOL: false }, 2),
  'list of empty strings': listItem({ S: '' }, 1),
  'list of empty binaries': listItem({ B: '' }, 1),
  'list of empty lists': listItem({ L: [] }, 4),
  'list of empty maps': listItem({ M: {} }, 4),
  'list of string sets with the empty string': listItem({ SS: [''] }, 1),
  'string of control characters': normalizeItem({ pk: { S: 'p' }, s: { S: '\u0001'.repeat(itemSizeBytesMax - 4) } }, 'Item'),
  'string of lone surrogates': normalizeItem({ pk: { S: 'p' }, s: { S: '\ud800'.repeat(Math.floor((itemSizeBytesMax - 4) / 3)) } }, 'Item'),
  'map of control-character names': normalizeItem(
    { pk: { S: 'p' }, m: { M: Object.fromEntries(Array.from({ length: 60_000 }, (_, i) => [String.fromCharCode(1 + (i % 31)) + i.toString(36), { NULL: true }])) } },
    'Item',
  ),
};

test('every worst shape at 400 KB stays within the encoded-item bound, as JSON, as stored and in a frame', () => {
  for (const [name, item] of Object.entries(shapes)) {
    const size = itemSizeBytes(item);
    assert.ok(size <= itemSizeBytesMax, `${name}: ${size} bytes is over the item limit`);
    assert.ok(size > itemSizeBytesMax * 0.9, `${name}: ${size} bytes does not test the limit`);
    const json = Buffer.byteLength(JSON.stringify(item), 'utf8');
    const stored = encodeStoredItem(item, size).length;
    const frame = encodeFrame(item).length;
    for (const [encoding, bytes] of [['JSON', json], ['stored', stored], ['frame', frame]] as const) {
      assert.ok(bytes <= itemEncodedBytesMax, `${name} ${encoding}: ${bytes} > ${itemEncodedBytesMax}`);
      assert.ok(bytes <= size * encodedBytesPerItemByteMax + 64, `${name} ${encoding}: ${(bytes / size).toFixed(2)} bytes per byte`);
    }
  }
  // The bound is tight: the worst shape reaches 99 % of it, so it is not a guess with room to spare.
  assert.ok(Buffer.byteLength(worstJson) > 0.99 * itemJsonBytesMax, `${Buffer.byteLength(worstJson)} vs ${itemJsonBytesMax}`);
});

test('frames built by the real codecs from the worst inputs stay within their bounds', () => {
  const key = new Uint8Array(storageKeyBytesMax).fill(0xff);
  const ctrl = (n: number) => '\u0001'.repeat(n);
  const worstKeyItem: Item = { [ctrl(255)]: { S: ctrl(2048) }, [ctrl(254) + 'x']: { S: ctrl(1024) } };
  assert.ok(Buffer.byteLength(JSON.stringify(worstKeyItem)) <= keyItemEncodedBytesMax);
  const expression = 'a = :v AND ' + 'b'.repeat(expressionBytesMax - 20);
  // Substitution variables of nearly 2 MB as frame bytes (the validation's measure).
  const values: Item = { ':v': { S: 'v'.repeat(substitutionBytesMax - 100) } };
  const write = encodeRequest({
    id: 1, op: Op.Write, t: 'x'.repeat(292), p: 1, v: 1, wid: 'w'.repeat(40), k: key, w: WriteKind.Put,
    item: worst, sz: itemSizeBytes(worst), key: worstKeyItem,
    x: { ConditionExpression: expression, UpdateExpression: expression, ExpressionAttributeNames: { '#a': 'a' }, ExpressionAttributeValues: values },
    rv: ReturnValues.ALL_OLD, rvf: true,
  });
  assert.ok(write.length <= writeRequestFrameBytesMax, `write ${write.length} > ${writeRequestFrameBytesMax}`);
  const read = encodeRequest({
    id: 1, op: Op.Query, t: 'x'.repeat(292), p: 1, v: 1, lo: key, loInc: true, hi: key, hiInc: true, pre: key, rev: false,
    lim: 0, max: 1 << 20, jm: pageJsonBytesMax, c: true, kn: [ctrl(255), ctrl(255)],
    x: { KeyConditionExpression: expression, FilterExpression: expression, ProjectionExpression: expression, ExpressionAttributeValues: values }, cnt: false,
  });
  assert.ok(read.length <= readRequestFrameBytesMax, `read ${read.length} > ${readRequestFrameBytesMax}`);
  const answer = encodeResponse({ id: 1, s: Status.Ok, item: worstJson, n: 409_600 });
  assert.ok(answer.length <= itemAnswerFrameBytesMax);
  assert.ok(encodeResponse({ id: 1, s: Status.Ok, json: Buffer.from(worstJson), n: 409_600 }).length <= itemAnswerFrameBytesMax);
  const failed = encodeResponse({ id: 1, s: Status.ClientError, err: 'ConditionalCheckFailedException', msg: 'x'.repeat(8000), item: worstJson, n: 409_600 });
  assert.ok(failed.length <= itemAnswerFrameBytesMax, `failed condition ${failed.length} > ${itemAnswerFrameBytesMax}`);
  const page = encodeResponse({ id: 1, s: Status.Ok, items: Buffer.from(worstJson), count: 1, scanned: 1, last: worstKeyItem, n: 409_600, he: 2 ** 32 });
  assert.ok(page.length <= pageAnswerFrameBytesMax, `page ${page.length} > ${pageAnswerFrameBytesMax}`);
  const worstStored = encodeStoredItem(worst, 409_600);
  const entry = encodeLogEntry({ e: 2 ** 31, i: 2 ** 40, m: [{ k: key, b: worstStored, o: worstStored, d: 1, z: 409_600 }], w: 'w'.repeat(40), a: worstJson, split: { at: 2 ** 32 - 1, lowPid: 2 ** 31, highPid: 2 ** 31, version: 2 ** 40 } });
  assert.ok(entry.length <= logEntryBytesMax, `log entry ${entry.length} > ${logEntryBytesMax}`);
  // Small entries just under the batch budget, then the largest one; likewise for a snapshot chunk.
  const small = encodeLogEntry({ e: 1, i: 1, m: [{ k: new Uint8Array(6), b: new Uint8Array(5), o: null, d: 1, z: 5 }], w: null, a: null });
  const entries = Array.from({ length: Math.min(255, Math.floor((replicationBatchBytesMax - 1) / small.length)) }, () => small);
  const all = [...entries, entry];
  const frame = encodeReplFrame({ r: ReplFrameType.Entries, t: 'x'.repeat(292), p: 1, from: 1, e: 2 ** 31, prev: 2 ** 40, prevEpoch: 2 ** 31, base: 2 ** 40, entries: all, epochs: all.map(() => 2 ** 31), commit: 2 ** 40, ack: true });
  assert.ok(frame.length <= replicationFrameBytesMax, `replication frame ${frame.length} > ${replicationFrameBytesMax}`);
  const pairs: Uint8Array[] = [];
  for (let bytes = 0; bytes < snapshotChunkBudgetBytes - 11; bytes += 11) pairs.push(new Uint8Array(6), new Uint8Array(5));
  const chunk = encodeFrame({ r: ReplFrameType.SnapshotChunk, t: 'x'.repeat(292), p: 1, from: 1, e: 2 ** 31, sid: 2 ** 31, seq: 2 ** 31, kv: [...pairs, key, encodeStoredItem(worst, 409_600)], ids: [], done: true, index: 2 ** 40, indexEpoch: 2 ** 31, items: 2 ** 40, bytes: 2 ** 40 });
  assert.ok(chunk.length <= snapshotChunkFrameBytesMax, `snapshot chunk ${chunk.length} > ${snapshotChunkFrameBytesMax}`);
});

test('a ring\'s largest frame is what SpscRing computes; ringCapacityBytesFor finds the smallest ring that fits', () => {
  for (const capacity of [4096, 1 << 21, 1 << 23, 1 << 27]) assert.equal(ringFrameBytesMax(capacity), SpscRing.create(capacity).maxFrameBytes);
  for (const frame of [1, 4092, 4093, 1_000_000, frameBytesMax]) {
    const capacity = ringCapacityBytesFor(frame);
    assert.ok(ringFrameBytesMax(capacity) >= frame && (capacity === 4096 || ringFrameBytesMax(capacity / 2) < frame), `${frame} → ${capacity}`);
  }
});

test('the page JSON budget a node may grant: the whole budget on the default ring, less on small rings', () => {
  assert.equal(pageJsonBudgetFor(loadDefaults().rings.capacityBytes), pageJsonBytesMax);
  assert.ok(pageJsonBudgetFor(1 << 22) < ringFrameBytesMax(1 << 22));
});

const settings = (capacityBytes: number, requestBodyBytesMax = 16 * 1024 * 1024, inFlightBodyBytesMax = 256 * 1024 * 1024, failover: LimitSettings['failover'] = loadDefaults().failover, storage: LimitSettings['storage'] = loadDefaults().storage): LimitSettings => ({
  rings: { capacityBytes },
  limits: { requestBodyBytesMax, inFlightBodyBytesMax },
  failover,
  storage,
});

test('the default configuration satisfies every relation', () => {
  assert.equal(limitRelationsProblem(loadDefaults()), null);
  assert.doesNotThrow(() => resolveConfig({}));
});

test('messages of any size travel, but a ring too small to hold a useful page in one frame is refused, naming the setting and the size it needs', () => {
  // The default ring and the smallest the schema allows both carry every message (fragments).
  assert.equal(limitRelationsProblem(settings(8 * 1024 * 1024)), null);
  assert.equal(limitRelationsProblem(settings(2 * 1024 * 1024)), null);
  const tooSmall = 256 * 1024;
  assert.match(limitRelationsProblem(settings(tooSmall)) ?? '', new RegExp(`^rings\\.capacityBytes ${tooSmall} is too small: a Query or Scan page could hold only \\d+ bytes of JSON in one frame; set rings\\.capacityBytes to at least \\d+$`));
  // The budgets follow the ring: a frame of pages, entries or snapshot chunks always fits one ring frame.
  for (const capacity of [1 << 21, 1 << 23]) {
    assert.ok(pageJsonBudgetFor(capacity) + keyItemEncodedBytesMax <= ringFrameBytesMax(capacity));
    assert.ok(replicationBatchBudgetFor(capacity) * 2 <= ringFrameBytesMax(capacity));
    assert.ok(snapshotChunkBudgetFor(capacity) * 4 <= ringFrameBytesMax(capacity));
  }
});

test('a body limit too small for the largest item, or larger than all bodies held at once, is refused', () => {
  assert.match(limitRelationsProblem(settings(1 << 27, 100_000)) ?? '', /^limits\.requestBodyBytesMax 100000 is too small: a PutItem of a 409600-byte item needs a body of \d+ bytes/);
  assert.equal(limitRelationsProblem(settings(1 << 27, largestItemBodyBytesMin)), null);
  assert.match(limitRelationsProblem(settings(1 << 27, 16 * 1024 * 1024, 1024 * 1024)) ?? '', /^limits\.inFlightBodyBytesMax 1048576 is smaller than limits\.requestBodyBytesMax 16777216/);
  assert.throws(() => resolveConfig({ env: { MONODYNE_LIMITS_REQUEST_BODY_BYTES_MAX: '65536' } }), /limits\.requestBodyBytesMax 65536 is too small/);
});

test('failure detection: a node is judged over at least two checks, and its disk is given longer than its thread', () => {
  const failover = (heartbeatIntervalMs: number, hungNodeMs: number, commitStallMaxMs: number) => settings(1 << 23, undefined, undefined, { heartbeatIntervalMs, hungNodeMs, commitStallMaxMs });
  assert.equal(limitRelationsProblem(failover(100, 200, 201)), null);
  assert.match(limitRelationsProblem(failover(100, 150, 30_000)) ?? '', /^failover\.hungNodeMs 150 is shorter than 2 liveness checks \(failover\.heartbeatIntervalMs 100\): set it to at least 200$/);
  assert.match(limitRelationsProblem(failover(100, 3000, 3000)) ?? '', /^failover\.commitStallMaxMs 3000 must be longer than failover\.hungNodeMs 3000/);
  assert.throws(() => resolveConfig({ env: { MONODYNE_FAILOVER_HUNG_NODE_MS: '60000' } }), /failover\.commitStallMaxMs 30000 must be longer than failover\.hungNodeMs 60000/);
});

test('a write-ahead log segment holds the largest log record, and the memtable the largest entry; a configuration that cannot is refused naming the setting', () => {
  const defaults = loadDefaults();
  assert.equal(limitRelationsProblem(settings(defaults.rings.capacityBytes)), null);
  assert.ok(defaults.storage.walSegmentBytes >= walRecordBytesMax + 4096);
  assert.match(limitRelationsProblem(settings(defaults.rings.capacityBytes, undefined, undefined, undefined, { ...defaults.storage, walSegmentBytes: 32 * 1024 * 1024 })) ?? '', /storage\.walSegmentBytes/);
  assert.match(limitRelationsProblem(settings(defaults.rings.capacityBytes, undefined, undefined, undefined, { ...defaults.storage, memtableBytesMax: 16 * 1024 * 1024 })) ?? '', /storage\.memtableBytesMax/);
});
