// A replica as its node holds it: the overlay of appended but unapplied writes that a leader's
// decisions read belongs to one leadership (finding N7 of ../shared/reviews/replication-correctness-r2.md).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ReplicaMachine, type MachineHost, type Membership } from '../../src/replication/replica-machine.ts';
import { ReplicaState } from '../../src/replication/replica-state.ts';
import { ReplFrameType, type EntriesFrame } from '../../src/replication/frames.ts';
import { encodeLogEntry, type LogEntry } from '../../src/replication/log-entry.ts';
import { ReplicaSlot, type ReadToken, type WriteAnswer } from '../../src/storage/replica-slot.ts';
import { keyText } from '../../src/storage/unapplied-writes.ts';

const config = { self: 1, entriesPerFrameMax: 64, entriesFrameBytesMax: 1 << 20, logEntriesMax: 1000, logRetainedEntries: 100, logTrimStep: 10, probeTicks: 3, awaitSplitTicksMax: 5, installStallTicksMax: 5, uncommittedEntriesMax: 1000 };
const member = (leader: number, epoch: number): Membership => ({ hashStart: 0, hashEnd: 2 ** 32, voters: [0, 1, 2], leader, epoch, version: epoch });
const key = Buffer.from('k');

function put(epoch: number, index: number, value: string): LogEntry {
  return { e: epoch, i: index, m: [{ k: key, b: Buffer.from(value), o: null, d: 1, z: 1 }], w: null, a: null };
}

test("N7: a replica that leads again decides on its log as it is then, not on the overlay of its previous leadership", () => {
  const stored = new Map<number, Uint8Array>();
  const host: MachineHost = { readLog: (_t, _p, from, to) => [...stored].filter(([i]) => i >= from && i <= to).map(([, b]) => b), peerFenced: () => false, nextStreamId: () => 1, counts: { truncations: 0, prevEpochRefusals: 0, installs: 0 } };
  const m = new ReplicaMachine<WriteAnswer, ReadToken>('t', 0, config, host, ReplicaMachine.emptyRecord('t', 0, member(1, 1), ReplicaState.Following, 1), [], 0);
  const slot = new ReplicaSlot(m, {});
  m.fence(2);
  m.assign(member(1, 2));
  assert.ok(m.acceptsWrites());
  // Its own write of k is appended (not yet applied): the overlay shows it.
  const mine = put(2, m.nextIndex(), 'mine');
  m.append(encodeLogEntry(mine), mine);
  slot.overlay()!.addEntry(mine);
  assert.equal(Buffer.from(slot.overlay()!.get(keyText(key))!).toString(), 'mine');
  // A leader of epoch 3 takes over; this replica follows and receives that leader's write of k.
  const theirs = put(3, mine.i, 'theirs');
  const frame: EntriesFrame = { r: ReplFrameType.Entries, t: 't', p: 0, from: 0, e: 3, prev: mine.i - 1, prevEpoch: 2, base: 0, entries: [encodeLogEntry(theirs)], epochs: [3], commit: 0, ack: true };
  m.step(frame);
  assert.equal(m.acceptsWrites(), false);
  assert.equal(slot.overlay(), null, 'a follower decides no writes');
  // Elected again (epoch 4) before the node saw any event: the overlay is rebuilt from the log.
  m.fence(4);
  m.assign(member(1, 4));
  assert.ok(m.acceptsWrites());
  assert.equal(Buffer.from(slot.overlay()!.get(keyText(key))!).toString(), 'theirs', 'a write would be decided on the previous leadership\'s overlay');
});
