// Requests waiting for their answer, by id (the storage transport's, a front door's): whatever the ids and their order, the table
// holds exactly what a Map would, including requests that outlive many newer ones.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PendingById } from '../../src/protocol/pending-by-id.ts';

interface Entry {
  readonly id: number;
  readonly node: number;
}

test('a request outliving a slot\'s worth of newer ones is still found, and only once', () => {
  const table = new PendingById<Entry>();
  const old: Entry = { id: 1, node: 0 };
  table.add(old);
  // Thousands pass through while the first waits (its slot is reused many times over).
  for (let id = 2; id < 5000; id++) {
    table.add({ id, node: 1 });
    assert.equal(table.take(id)?.id, id);
  }
  assert.equal(table.size, 1);
  assert.equal(table.take(1), old);
  assert.equal(table.take(1), undefined, 'taken once');
  assert.equal(table.size, 0);
  assert.throws(() => {
    table.add({ id: 7, node: 0 });
    table.add({ id: 7, node: 0 });
  }, /already pending/);
});

test('takeWhere takes what it picks from the slots and from the displaced', () => {
  const table = new PendingById<Entry>();
  table.add({ id: 3, node: 2 }); // displaced below by 3 + 256
  table.add({ id: 3 + 256, node: 1 });
  for (let id = 10; id < 20; id++) table.add({ id, node: id % 3 });
  const taken = table.takeWhere((e) => e.node === 2);
  assert.deepEqual(taken.map((e) => e.id).sort((a, b) => a - b), [3, 11, 14, 17]);
  assert.equal(table.size, 8);
  assert.equal(table.take(3), undefined);
  assert.equal(table.take(3 + 256)?.node, 1);
});

test('a seeded run of sends, answers and sweeps leaves what a Map leaves', () => {
  let seed = 440101;
  const random = (): number => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return seed / 2 ** 32;
  };
  const table = new PendingById<Entry>();
  const reference = new Map<number, Entry>();
  let nextId = 1;
  for (let step = 0; step < 50_000; step++) {
    const r = random();
    if (r < 0.5 || reference.size === 0) {
      // Ids in sequence, as the transport hands them out; now and then a long jump (many answered elsewhere meanwhile).
      nextId += random() < 0.01 ? 1 + Math.floor(random() * 3000) : 1;
      const entry = { id: nextId, node: Math.floor(random() * 3) };
      table.add(entry);
      reference.set(entry.id, entry);
    } else if (r < 0.98) {
      // An answer: mostly a recent request, sometimes an unknown id.
      const ids = [...reference.keys()];
      const id = random() < 0.9 ? ids[Math.floor(random() * ids.length)] : nextId + 1 + Math.floor(random() * 10);
      assert.equal(table.take(id), reference.get(id), `step ${step}: take ${id}`);
      reference.delete(id);
    } else {
      const node = Math.floor(random() * 3);
      const taken = table.takeWhere((e) => e.node === node).map((e) => e.id).sort((a, b) => a - b);
      const expected = [...reference.values()].filter((e) => e.node === node).map((e) => e.id).sort((a, b) => a - b);
      assert.deepEqual(taken, expected, `step ${step}: takeWhere node ${node}`);
      for (const id of expected) reference.delete(id);
    }
    assert.equal(table.size, reference.size, `step ${step}`);
  }
  const rest = table.takeWhere(() => true).map((e) => e.id).sort((a, b) => a - b);
  assert.deepEqual(rest, [...reference.keys()].sort((a, b) => a - b));
});
