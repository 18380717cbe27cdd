// The front door's bounds are the server's: two front-door threads' counters over one shared
// memory see each other's connections and request bytes, and refuse past the bound together.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DoorCounters } from '../../src/protocol/door-counters.ts';

test('connections and body bytes are counted across every front-door thread', () => {
  const main = new DoorCounters();
  const other = new DoorCounters(main.sab);
  assert.equal(main.addConnections(3), 3);
  assert.equal(other.addConnections(2), 5, 'the other thread sees the main thread\'s connections');
  assert.equal(other.addConnections(-1), 4);
  assert.equal(main.connections, 4);

  const max = 1000;
  assert.ok(main.tryAddBodyBytes(600, max));
  assert.ok(!other.tryAddBodyBytes(500, max), 'the bound holds across the threads');
  assert.ok(other.tryAddBodyBytes(400, max));
  main.subtractBodyBytes(600);
  assert.ok(other.tryAddBodyBytes(600, max));
  // Past 2^31 bytes too (the bound may be up to 2^40).
  const big = 2 ** 33;
  assert.ok(main.tryAddBodyBytes(big, 2 ** 40));
  main.subtractBodyBytes(big);
  other.subtractBodyBytes(1000);
});

test('giving back bytes never counted is refused: the bound would drift', () => {
  const counters = new DoorCounters();
  assert.throws(() => counters.subtractBodyBytes(1), /below zero/);
});
