// The front door's set of requests still receiving their body, threaded through the requests'
// own fields: it must hold exactly what a Set would, through any order of adds and removes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LinkedSet, type Linked } from '../../src/protocol/linked-set.ts';

class Member implements Linked<Member> {
  linkPrev: Member | null = null;
  linkNext: Member | null = null;
  linked = false;
  constructor(readonly id: number) {}
}

function ids(set: LinkedSet<Member>): number[] {
  return set.toArray().map((m) => m.id).sort((a, b) => a - b);
}

test('adds and removes as a Set does, newest first, each member once', () => {
  const set = new LinkedSet<Member>();
  const [a, b, c] = [new Member(1), new Member(2), new Member(3)];
  set.add(a);
  set.add(b);
  set.add(c);
  set.add(b); // already in: nothing changes
  assert.equal(set.size, 3);
  assert.deepEqual(set.toArray().map((m) => m.id), [3, 2, 1]);
  set.delete(b); // the middle
  assert.deepEqual(set.toArray().map((m) => m.id), [3, 1]);
  set.delete(b); // not in: nothing changes
  set.delete(c); // the head
  set.delete(a); // the last
  assert.equal(set.size, 0);
  assert.deepEqual(set.toArray(), []);
  assert.ok(!a.linked && a.linkPrev === null && a.linkNext === null, 'a removed member keeps no links');
  set.add(a); // and may come back
  assert.deepEqual(ids(set), [1]);
});

test('members may be removed while the array of them is walked', () => {
  const set = new LinkedSet<Member>();
  const members = Array.from({ length: 10 }, (_, i) => new Member(i));
  for (const m of members) set.add(m);
  for (const m of set.toArray()) {
    set.delete(m);
    if (m.id === 5) set.delete(members[2]); // another one too
  }
  assert.equal(set.size, 0);
  assert.deepEqual(set.toArray(), []);
});

test('a seeded run of adds and removes leaves what a Set leaves', () => {
  let seed = 440001;
  const random = (): number => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return seed / 2 ** 32;
  };
  const members = Array.from({ length: 50 }, (_, i) => new Member(i));
  const set = new LinkedSet<Member>();
  const reference = new Set<number>();
  for (let step = 0; step < 20_000; step++) {
    const m = members[Math.floor(random() * members.length)];
    if (random() < 0.5) {
      set.add(m);
      reference.add(m.id);
    } else {
      set.delete(m);
      reference.delete(m.id);
    }
    assert.equal(set.size, reference.size, `step ${step}`);
    assert.equal(m.linked, reference.has(m.id), `step ${step}`);
  }
  assert.deepEqual(ids(set), [...reference].sort((a, b) => a - b));
});
