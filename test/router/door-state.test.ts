// A front-door thread's copy of the main thread's state (control/door-state-publisher.ts →
// router/door-state.ts): every change the main thread made before a request is in the copy when
// the thread catches up before reading that request, synchronously, with no turn of the event
// loop in between; what the copy does not know is forwarded, never guessed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MessageChannel } from 'node:worker_threads';
import { DoorStatePublisher } from '../../src/control/door-state-publisher.ts';
import { DoorState, forwardToMain } from '../../src/router/door-state.ts';
import { PartitionMap, splitHashSpace } from '../../src/router/partition-map.ts';
import { Admission } from '../../src/admission/admission.ts';
import { ReadVisibility } from '../../src/storage/read-visibility.ts';
import type { LmdbCatalog } from '../../src/control/catalog.ts';
import type { StorageThreads } from '../../src/control/storage-threads.ts';
import type { TableRecord } from '../../src/control/table-record.ts';
import type { PartitionAssignment } from '../../src/storage/messages.ts';

/** The catalog as the publisher uses it: records by name, told of each change. */
class FakeCatalog {
  readonly tables = new Map<string, TableRecord>();
  onTableChange: ((name: string) => void) | null = null;
  get(name: string) {
    return this.tables.get(name);
  }
  all() {
    return [...this.tables.values()];
  }
  put(table: TableRecord) {
    this.tables.set(table.name, table);
    this.onTableChange?.(table.name);
  }
  delete(name: string) {
    this.tables.delete(name);
    this.onTableChange?.(name);
  }
}

/** The storage threads as the publisher uses them: each node's read view and incarnation. */
class FakeNodes {
  readonly count = 3;
  onReadViewsChange: (() => void) | null = null;
  views: Array<{ dir: string; visibility: ReadVisibility } | null> = [0, 1, 2].map((n) => ({ dir: `/data/node-${n}`, visibility: ReadVisibility.create() }));
  incarnations = [1, 1, 1];
  readView(node: number) {
    return this.views[node];
  }
  incarnationOf(node: number) {
    return this.incarnations[node];
  }
}

function partitions(tableId: string, count: number, version: number): PartitionAssignment[] {
  return splitHashSpace(count).map((range, pid) => ({ table: tableId, pid, ...range, replicas: [0, 1, 2], leader: pid % 3, epoch: 1, version }));
}

function record(name: string, tableId: string, count: number): TableRecord {
  return {
    name,
    tableId,
    arn: `arn:aws:dynamodb:us-east-1:000000000000:table/${name}`,
    keySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
    attributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
    billingMode: 'PAY_PER_REQUEST',
    readCapacityUnits: 0,
    writeCapacityUnits: 0,
    createdAt: 0,
    partitions: partitions(tableId, count, 1),
  };
}

function setUp() {
  const catalog = new FakeCatalog();
  const map = new PartitionMap();
  const nodes = new FakeNodes();
  const admission = new Admission({ burstSeconds: 300, adaptive: true, partitionReadUnitsMax: 3000, partitionWriteUnitsMax: 1000 });
  const seq = new SharedArrayBuffer(4);
  const publisher = new DoorStatePublisher(catalog as unknown as LmdbCatalog, map, nodes as unknown as StorageThreads, admission, seq);
  const channel = new MessageChannel();
  const create = (table: TableRecord) => {
    catalog.put(table);
    map.setTable(table.tableId, table.partitions);
    admission.configure(table);
  };
  return { catalog, map, nodes, admission, seq, publisher, channel, create, close: () => (publisher.close(), channel.port1.close()) };
}

test('a door thread attached after tables exist starts with all of them; later changes are there at the next catch-up, with no await', () => {
  const s = setUp();
  s.create(record('before', 't-before', 3));
  s.publisher.attach(s.channel.port1);
  const door = new DoorState(s.channel.port2, s.seq);
  assert.equal(door.getTable('before').tableId, 't-before');
  assert.equal(door.map.partitions('t-before').length, 3);
  assert.ok(door.metersOf('t-before') !== undefined, 'the table\'s meters are in shared memory');
  assert.equal(door.readView(1)?.dir, '/data/node-1');

  // Each step: a change on the main thread, then (synchronously) the door thread's next request.
  s.create(record('later', 't-later', 2));
  door.catchUp();
  assert.equal(door.getTable('later').tableId, 't-later');
  assert.equal(door.map.find('t-later', 0).pid, 0);

  const split = partitions('t-later', 4, 2);
  s.map.setTable('t-later', split);
  door.catchUp();
  assert.equal(door.map.partitions('t-later').length, 4, 'a split is seen at once');
  assert.equal(door.map.find('t-later', 2 ** 32 - 1).pid, 3);

  s.catalog.delete('later');
  s.map.deleteTable('t-later');
  s.admission.forget('t-later');
  door.catchUp();
  assert.throws(() => door.getTable('later'), (err) => err === forwardToMain, 'a table the thread does not know goes to the main thread');
  assert.throws(() => door.map.find('t-later', 0), (err) => err === forwardToMain);
  assert.equal(door.metersOf('t-later'), undefined);
  s.close();
});

test('a node that fails loses its read view at once; its replacement is a new view, the same one is kept otherwise', () => {
  const s = setUp();
  s.publisher.attach(s.channel.port1);
  const door = new DoorState(s.channel.port2, s.seq);
  const kept = door.readView(2);
  assert.ok(kept !== null);
  s.nodes.views[0] = null;
  s.nodes.onReadViewsChange!();
  door.catchUp();
  assert.equal(door.readView(0), null, 'a node declared dead is not read');
  assert.equal(door.readView(2), kept, 'an unchanged node keeps its view (and the environment opened for it)');
  s.nodes.views[0] = { dir: '/data/node-0-g1', visibility: ReadVisibility.create() };
  s.nodes.incarnations[0] = 2;
  s.nodes.onReadViewsChange!();
  door.catchUp();
  assert.equal(door.readView(0)?.dir, '/data/node-0-g1');
  s.close();
});

test('a catch-up with nothing new reads no message; two door threads each get every change', () => {
  const s = setUp();
  const second = new MessageChannel();
  s.publisher.attach(s.channel.port1);
  s.publisher.attach(second.port1);
  const doors = [new DoorState(s.channel.port2, s.seq), new DoorState(second.port2, s.seq)];
  for (let n = 0; n < 20; n++) {
    s.create(record(`t${n}`, `id${n}`, 1 + (n % 4)));
    for (const door of doors) {
      door.catchUp();
      door.catchUp();
      assert.equal(door.getTable(`t${n}`).tableId, `id${n}`);
      assert.equal(door.map.partitions(`id${n}`).length, 1 + (n % 4));
    }
  }
  second.port1.close();
  s.close();
});
