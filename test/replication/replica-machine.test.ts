// The replication state machine alone, driven event by event: log matching, who may lead,
// which copies count toward W = 2, the read barrier, fencing, snapshot streams and the
// invariants that stop a replica instead of letting it corrupt data. Each case names the
// review finding it guards (../shared/reviews/replication-correctness.md).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ReplicaMachine, type MachineConfig, type MachineHost, type Membership, type ReplicaRecord, type SealToken } from '../../src/replication/replica-machine.ts';
import { ReplicaState } from '../../src/replication/replica-state.ts';
import { ReplFrameType, type AckFrame, type EntriesFrame, type ReplFrame, type SnapshotChunkFrame } from '../../src/replication/frames.ts';
import { decodeLogEntry, encodeLogEntry, type LogEntry } from '../../src/replication/log-entry.ts';
import { InvariantError } from '../../src/replication/invariants.ts';
import { EpochRuns } from '../../src/replication/epoch-runs.ts';

const config: Omit<MachineConfig, 'self'> = {
  entriesPerFrameMax: 64,
  entriesFrameBytesMax: 1 << 20,
  logEntriesMax: 1000,
  logRetainedEntries: 100,
  logTrimStep: 10,
  probeTicks: 3,
  awaitSplitTicksMax: 5,
  installStallTicksMax: 5,
  uncommittedEntriesMax: 1000,
};

/** What one ready asked for, copied (a ready is reused by the machine). */
interface Taken {
  truncateFrom: number;
  truncated: LogEntry[];
  appends: number[];
  committed: number[];
  split: number | null;
  installs: Array<{ clear: boolean; index: number | null }>;
  messages: ReplFrame[];
}

/** One replica with an in-memory "disk" that makes each sealed batch durable when asked: the node's part. */
class Replica {
  readonly m: ReplicaMachine<string, string>;
  readonly stored = new Map<number, Uint8Array>();
  readonly counts = { truncations: 0, prevEpochRefusals: 0, installs: 0 };
  readonly fenced = new Set<number>();
  sent: ReplFrame[] = [];
  readonly done: string[] = [];
  readonly unknown: string[] = [];
  readonly readsReady: string[] = [];
  readonly events: string[] = [];

  constructor(self: number, membership: Membership, record?: Partial<ReplicaRecord>, stored?: Map<number, Uint8Array>) {
    const full: ReplicaRecord = { ...ReplicaMachine.emptyRecord('t', 0, membership, ReplicaState.Following, membership.epoch), ...record };
    const epochs: Array<[number, number]> = [];
    let last = 0;
    for (const [i, bytes] of stored ?? []) {
      this.stored.set(i, bytes);
      const e = decodeLogEntry(bytes).e;
      if (epochs.length === 0 || epochs[epochs.length - 1][1] !== e) epochs.push([i, e]);
      last = Math.max(last, i);
    }
    let sid = self * 1000;
    const host: MachineHost = { readLog: (_t, _p, from, to) => this.read(from, to), peerFenced: (n) => this.fenced.has(n), nextStreamId: () => ++sid, counts: this.counts };
    this.m = new ReplicaMachine<string, string>('t', 0, { ...config, self }, host, full, epochs, last);
  }

  private read(from: number, to: number): Uint8Array[] {
    const out: Uint8Array[] = [];
    for (let i = from; i <= to && this.stored.has(i); i++) out.push(this.stored.get(i)!);
    return out;
  }

  /** Takes the machine's ready and carries out its persist part (not durable yet); returns its seal. */
  private take(): { taken: Taken; seal: SealToken | null } {
    const m = this.m;
    const rd = m.ready();
    if (rd.truncateFrom >= 0) for (const i of [...this.stored.keys()]) if (i >= rd.truncateFrom) this.stored.delete(i);
    for (const a of rd.appends) this.stored.set(a.index, a.bytes);
    const taken: Taken = {
      truncateFrom: rd.truncateFrom,
      truncated: rd.truncated.slice(),
      appends: rd.appends.map((a) => a.index),
      committed: rd.committed.map((e) => e.i),
      split: rd.split?.index ?? null,
      installs: rd.installs.map((i) => ({ clear: i.clear, index: i.index })),
      messages: rd.messages.map((o) => o.frame),
    };
    this.sent.push(...taken.messages);
    this.done.push(...rd.writesDone);
    this.unknown.push(...rd.writesUnknown);
    this.readsReady.push(...rd.readsReady);
    this.events.push(...rd.events.map((e) => e.event));
    const advanced = m.advance(rd);
    if (advanced.trimThrough >= 0) for (const i of [...this.stored.keys()]) if (i <= advanced.trimThrough) this.stored.delete(i);
    return { taken, seal: advanced.seal };
  }

  /** One ready carried out, its batch not durable (yet). */
  pending(): Taken {
    const { taken, seal } = this.take();
    if (seal !== null) this.unsynced.push(seal);
    return taken;
  }

  private readonly unsynced: SealToken[] = [];

  /** Everything asked for carried out and made durable, until the machine has nothing more to do. */
  persist(): Taken[] {
    const all: Taken[] = [];
    for (const seal of this.unsynced.splice(0)) this.m.persisted(seal);
    for (let round = 0; round < 4; round++) {
      const { taken, seal } = this.take();
      all.push(taken);
      if (seal !== null) this.m.persisted(seal);
    }
    return all;
  }

  takeSent<F extends ReplFrame>(type: F['r']): F[] {
    const out = this.sent.filter((f) => f.r === type) as F[];
    this.sent = this.sent.filter((f) => f.r !== type);
    return out;
  }
}

const voters = [0, 1, 2];
const member = (leader: number, epoch: number, v = voters): Membership => ({ hashStart: 0, hashEnd: 2 ** 32, voters: v.slice(), leader, epoch, version: epoch });

function write(leader: Replica, key: string): number {
  const m = leader.m;
  const entry: LogEntry = { e: m.epoch, i: m.nextIndex(), m: [{ k: Buffer.from(key), b: Buffer.from('v'), o: null, d: 1, z: 1 }], w: null, a: null };
  m.append(encodeLogEntry(entry), entry);
  m.awaitCommit(entry.i, key);
  return entry.i;
}

function entriesFrame(from: number, epoch: number, prev: number, prevEpoch: number, entries: LogEntry[], commit: number): EntriesFrame {
  return { r: ReplFrameType.Entries, t: 't', p: 0, from, e: epoch, prev, prevEpoch, base: 0, entries: entries.map(encodeLogEntry), epochs: entries.map((e) => e.e), commit, ack: true };
}

function ack(from: number, epoch: number, i: number): AckFrame {
  return { r: ReplFrameType.Ack, t: 't', p: 0, from, e: epoch, ok: true, i, applied: 0 };
}

test('F1: a follower truncates a diverging suffix and takes the leader entry (log matching by index and epoch)', () => {
  const f = new Replica(1, member(0, 1));
  f.m.assign(member(0, 1));
  // Entries 1..3 of epoch 1, committed through 1 only.
  const old = [1, 2, 3].map((i): LogEntry => ({ e: 1, i, m: [], w: `old${i}`, a: null }));
  f.m.step(entriesFrame(0, 1, 0, 0, old, 1));
  f.persist();
  assert.equal(f.m.last, 3);
  // A new leader of epoch 2 never had entries 2 and 3: its entry 2 differs.
  f.m.fence(2);
  const fresh: LogEntry = { e: 2, i: 2, m: [], w: 'new2', a: null };
  f.m.step(entriesFrame(2, 2, 1, 1, [fresh], 2));
  const cut = f.pending();
  assert.equal(cut.truncateFrom, 2, 'the diverging suffix is cut');
  assert.deepEqual(cut.truncated.map((e) => e.w), ['old2', 'old3'], 'the removed entries are reported (their write ids are forgotten)');
  assert.equal(f.counts.truncations, 1);
  f.persist();
  assert.equal(f.m.last, 2);
  assert.equal(f.m.epochAt(2), 2);
  assert.equal(f.m.entryAt(2).w, 'new2');
});

test('F1: an entry already held with the same epoch is kept, not appended twice', () => {
  const f = new Replica(1, member(0, 1));
  f.m.assign(member(0, 1));
  const e1: LogEntry = { e: 1, i: 1, m: [], w: 'a', a: null };
  f.m.step(entriesFrame(0, 1, 0, 0, [e1], 0));
  f.persist();
  f.m.step(entriesFrame(0, 1, 0, 0, [e1], 1)); // a resend overlapping what it has
  const again = f.pending();
  assert.deepEqual(again.appends, []);
  assert.equal(again.truncateFrom, -1);
});

test('F1: a follower that lacks the entry before the new ones refuses them and says where to resume', () => {
  const f = new Replica(1, member(0, 1));
  f.m.assign(member(0, 1));
  f.m.step(entriesFrame(0, 1, 5, 1, [{ e: 1, i: 6, m: [], w: null, a: null }], 0));
  f.persist();
  const [nack] = f.takeSent<AckFrame>(ReplFrameType.Ack);
  assert.equal(nack.ok, false);
  assert.equal(nack.i, 0);
});

test('F1: a restarted replica never leads again in an epoch it may have written in; only an election (fence) or a hand-off gives it a new one', () => {
  const restored = new Replica(0, member(0, 3), { epoch: 3 });
  restored.m.assign(member(0, 3));
  assert.equal(restored.m.isLeader(), false, 'its old assignment does not make it lead');
  restored.m.fence(4);
  restored.m.assign(member(0, 4));
  assert.equal(restored.m.isLeader(), true);
  assert.equal(restored.m.last, 1, 'a new leader appends an entry of its own epoch first');
  assert.equal(restored.m.epochAt(1), 4);
  const handedOff = new Replica(1, member(0, 5), { epoch: 5 });
  handedOff.m.assign(member(1, 6));
  assert.equal(handedOff.m.isLeader(), true, 'a hand-off raises the epoch');
});

test('a hand-off target leads although a follower that switched first acknowledged to it (no stale ack reaches a leader-to-be)', () => {
  // Node 0 leads epoch 1; node 2 follows and owes node 0 an ack when the hand-off to node 1
  // (epoch 2) reaches it first. That ack is not for node 1: sent there, its epoch 2 would make
  // node 1 step aside before its own assignment arrives, and then refuse to lead in an epoch it
  // already knew, leaving the partition without a leader.
  const target = new Replica(1, member(0, 1));
  const other = new Replica(2, member(0, 1));
  for (const r of [target, other]) r.m.assign(member(0, 1));
  other.m.step(entriesFrame(0, 1, 0, 0, [{ e: 1, i: 1, m: [], w: null, a: null }], 0));
  other.m.assign(member(1, 2));
  other.persist();
  for (const a of other.takeSent<AckFrame>(ReplFrameType.Ack)) target.m.step(a);
  target.m.assign(member(1, 2));
  assert.equal(target.m.isLeader(), true, 'the hand-off target leads epoch 2');
});

test('F2: a learner (a replica being rebuilt) does not count toward W = 2; a voter does', () => {
  const l = new Replica(0, member(0, 1, [0, 1]));
  l.m.fence(1);
  l.m.assign(member(0, 1, [0, 1]));
  l.persist();
  // Node 2 asks for a snapshot: it is a learner until the control plane makes it a voter.
  l.m.step({ r: ReplFrameType.SnapshotRequest, t: 't', p: 0, from: 2, e: 1, sid: 7 });
  l.m.snapshotStarted(2, 7, l.m.applied);
  const index = write(l, 'k');
  l.persist();
  l.m.step(ack(2, 1, index));
  l.persist();
  assert.equal(l.m.committed < index, true, "the learner's copy is not counted");
  assert.deepEqual(l.done, []);
  l.m.step(ack(1, 1, index));
  l.persist();
  assert.equal(l.m.committed, index);
  assert.deepEqual(l.done, ['k']);
});

test("F5: a consistent read waits until every write committed before it is applied (ReadIndex), and never sees a write that is not on two copies", () => {
  const l = new Replica(0, member(0, 1));
  l.m.fence(1);
  l.m.assign(member(0, 1));
  l.persist();
  l.m.step(ack(1, 1, 1));
  l.persist();
  assert.equal(l.m.readBarrier('r0'), true, 'nothing pending: answered at once');
  const index = write(l, 'k');
  l.persist();
  // The write is durable here only: a read now must not wait for it (it is not committed), and
  // it must not see it either (the data holds committed entries only).
  assert.equal(l.m.readBarrier('r1'), true);
  assert.equal(l.m.applied < index, true);
  l.m.step(ack(1, 1, index));
  assert.equal(l.m.committed, index);
  // Committed, not yet applied: a read arriving now waits for the apply.
  assert.equal(l.m.readBarrier('r2'), false);
  l.persist();
  assert.equal(l.m.applied, index);
  assert.deepEqual(l.readsReady, ['r2']);
});

test("a new leader serves no read before an entry of its own epoch commits (it may not know what its predecessor committed)", () => {
  const l = new Replica(0, member(1, 1));
  l.m.fence(2);
  l.m.assign(member(0, 2));
  assert.equal(l.m.readBarrier('r'), false);
  l.persist();
  l.m.step(ack(1, 2, l.m.last));
  l.persist();
  assert.deepEqual(l.readsReady, ['r']);
});

test('F10: a replica that believes it leads steps down when a leader of a newer epoch speaks', () => {
  const o = new Replica(0, member(0, 1));
  o.m.fence(1);
  o.m.assign(member(0, 1));
  write(o, 'pending');
  o.persist();
  o.m.step(entriesFrame(1, 2, 1, 1, [], 0));
  assert.equal(o.m.isLeader(), false);
  assert.equal(o.m.leader, 1);
  assert.equal(o.m.epoch, 2);
  o.persist();
  assert.deepEqual(o.unknown, ['pending'], 'its waiting write has an unknown outcome (the router retries it)');
});

test('F10: an ack from a replica that knows a newer epoch deposes a stale leader', () => {
  const o = new Replica(0, member(0, 1));
  o.m.fence(1);
  o.m.assign(member(0, 1));
  o.m.step(ack(1, 3, 0));
  assert.equal(o.m.isLeader(), false);
  assert.equal(o.m.epoch, 3);
});

test('F8: an installing replica takes chunks of the stream it asked for only, restarts on a lost chunk, and is no election candidate meanwhile', () => {
  const f = new Replica(1, member(0, 1));
  f.m.adoptLeader(0);
  f.m.startInstall();
  f.persist();
  const [request] = f.takeSent(ReplFrameType.SnapshotRequest) as Array<{ sid: number }>;
  assert.equal(f.m.fence(1).candidate, false, 'an installing replica reports that it cannot lead');
  const chunk = (sid: number, seq: number, done: boolean): SnapshotChunkFrame => ({ r: ReplFrameType.SnapshotChunk, t: 't', p: 0, from: 0, e: 1, sid, seq, kv: [Buffer.from('k'), Buffer.from('v')], fkv: [], ids: [], done, index: 10, indexEpoch: 1, items: 1, bytes: 1 });
  f.m.step(chunk(request.sid + 99, 0, false));
  assert.deepEqual(f.pending().installs, [], 'another stream is ignored');
  f.m.step(chunk(request.sid, 0, false));
  assert.deepEqual(f.pending().installs, [{ clear: true, index: null }], 'the first chunk wipes what the replica held');
  f.m.step(chunk(request.sid, 2, true));
  assert.equal(f.m.state, ReplicaState.Installing, 'a gap does not complete the install');
  f.persist();
  assert.equal(f.takeSent(ReplFrameType.SnapshotRequest).length, 1, 'it asks again, with a new stream');
});

test('invariants: entries out of order, a truncation below committed, an epoch going down each stop the replica', () => {
  const l = new Replica(0, member(0, 1));
  l.m.fence(1);
  l.m.assign(member(0, 1));
  const bad: LogEntry = { e: 1, i: l.m.last + 2, m: [], w: null, a: null };
  assert.throws(() => l.m.append(encodeLogEntry(bad), bad), InvariantError);
  const f = new Replica(1, member(0, 1));
  f.m.assign(member(0, 1));
  f.m.step(entriesFrame(0, 1, 0, 0, [{ e: 1, i: 1, m: [], w: null, a: null }], 1));
  f.persist();
  assert.equal(f.m.committed, 1);
  f.m.fence(2);
  assert.throws(() => f.m.step(entriesFrame(2, 2, 0, 0, [{ e: 2, i: 1, m: [], w: null, a: null }], 1)), InvariantError);
  const runs = new EpochRuns();
  runs.append(1, 3);
  assert.throws(() => runs.append(2, 2), InvariantError, 'epochs never go down along the log');
});

test('N4: a restarted follower truncates a durable, unapplied, diverging suffix (it reads the stored entries to forget their write ids)', () => {
  const stored = new Map<number, Uint8Array>();
  for (const i of [1, 2, 3]) stored.set(i, encodeLogEntry({ e: 1, i, m: [], w: `old${i}`, a: null }));
  // As the node rebuilds it after a restart: applied 1, entries 2 and 3 durable but not known committed.
  const f = new Replica(1, member(0, 1), { applied: 1, epoch: 1 }, stored);
  f.m.fence(2);
  const fresh: LogEntry = { e: 2, i: 2, m: [], w: 'new2', a: null };
  f.m.step(entriesFrame(2, 2, 1, 1, [fresh], 2));
  const cut = f.pending();
  assert.equal(cut.truncateFrom, 2);
  assert.deepEqual(cut.truncated.map((e) => e.w), ['old2', 'old3']);
  f.persist();
  assert.equal(f.m.last, 2);
  assert.equal(f.m.entryAt(2).w, 'new2');
});

test('N8: once a follower is declared dead, what it acknowledged before no longer counts toward W = 2', () => {
  const l = new Replica(0, member(0, 1));
  l.m.fence(1);
  l.m.assign(member(0, 1));
  l.persist();
  l.m.step(ack(1, 1, l.m.last));
  l.persist();
  // Follower 2 acknowledges the next entry before the leader's own copy is durable; then it dies.
  const index = write(l, 'k');
  l.pending();
  l.m.step(ack(2, 1, index));
  l.fenced.add(2);
  l.persist();
  assert.ok(l.m.committed < index, 'committed on a copy whose node was declared dead');
  assert.deepEqual(l.done, []);
  l.m.step(ack(1, 1, index));
  l.persist();
  assert.equal(l.m.committed, index);
  assert.deepEqual(l.done, ['k']);
});

test("Raft 5.4.2: a new leader counts copies only of its own epoch's entries; an older entry commits with its first one", () => {
  const old: LogEntry = { e: 1, i: 1, m: [], w: 'old', a: null };
  const l = new Replica(0, member(1, 1), { epoch: 1 }, new Map([[1, encodeLogEntry(old)]]));
  l.m.fence(2);
  l.m.assign(member(0, 2));
  assert.equal(l.m.last, 2, 'the new leader appended its no-op after the old entry');
  l.pending();
  // A follower has the old entry only: two copies of it, none of the no-op.
  l.m.step(ack(1, 2, 1));
  l.persist();
  assert.equal(l.m.committed, 0, 'an older epoch entry is not committed by counting copies');
  l.m.step(ack(1, 2, 2));
  l.persist();
  assert.equal(l.m.committed, 2, 'committed with the first entry of the new epoch');
});

test('a split entry is applied alone, once everything before it is applied and durable; the replica retires at it (a leader as the retired leader)', () => {
  const l = new Replica(0, member(0, 1));
  l.m.fence(1);
  l.m.assign(member(0, 1));
  l.persist();
  l.m.step(ack(1, 1, l.m.last));
  l.persist();
  const before = write(l, 'a');
  l.persist();
  assert.equal(l.m.beginSplit({ at: 2 ** 31, lowPid: 1, highPid: 2, version: 5 }), true);
  const split: LogEntry = { e: 1, i: l.m.nextIndex(), m: [], w: null, a: null, split: { at: 2 ** 31, lowPid: 1, highPid: 2, version: 5 } };
  l.m.append(encodeLogEntry(split), split);
  l.persist();
  l.m.step(ack(1, 1, split.i));
  // The write before the split is handed out first; the split only after that batch is durable.
  const first = l.pending();
  assert.deepEqual(first.committed, [before]);
  assert.equal(first.split, null);
  assert.equal(l.m.state, ReplicaState.Splitting);
  const rest = l.persist();
  assert.deepEqual(rest.map((t) => t.split).filter((x) => x !== null), [split.i]);
  assert.equal(l.m.state, ReplicaState.RetiredLeader);
  assert.equal(l.m.splitIndex, split.i);
  assert.ok(l.events.includes('splitApplied'));
});

test('a follower that applied a split stays retired (the evidence of the split for an election) and tells the leader it applied it', () => {
  const f = new Replica(1, member(0, 1));
  f.m.assign(member(0, 1));
  const split: LogEntry = { e: 1, i: 1, m: [], w: null, a: null, split: { at: 2 ** 31, lowPid: 1, highPid: 2, version: 5 } };
  f.m.step(entriesFrame(0, 1, 0, 0, [split], 1));
  const taken = f.persist();
  assert.deepEqual(taken.map((t) => t.split).filter((x) => x !== null), [1]);
  assert.equal(f.m.state, ReplicaState.Retired);
  const report = f.m.fence(1);
  assert.equal(report.state, ReplicaState.Retired);
  assert.equal(report.splitIndex, 1);
  assert.equal(report.candidate, false);
  f.takeSent(ReplFrameType.Ack);
  // A probe from the leader: the retired follower answers with its applied index (the split's).
  f.m.step({ ...entriesFrame(0, 1, 1, 1, [], 1), ack: true });
  f.persist();
  const [answer] = f.takeSent<AckFrame>(ReplFrameType.Ack);
  assert.equal(answer.ok, true);
  assert.equal(answer.applied, 1);
});

test('N3: right after the last snapshot chunk, a replica serves no eventually consistent read until the install is durable', () => {
  const f = new Replica(1, member(0, 1));
  f.m.adoptLeader(0);
  f.m.startInstall();
  f.persist();
  const [request] = f.takeSent(ReplFrameType.SnapshotRequest) as Array<{ sid: number }>;
  const chunk: SnapshotChunkFrame = { r: ReplFrameType.SnapshotChunk, t: 't', p: 0, from: 0, e: 1, sid: request.sid, seq: 0, kv: [Buffer.from('k'), Buffer.from('v')], fkv: [], ids: [], done: true, index: 10, indexEpoch: 1, items: 1, bytes: 1 };
  f.m.step(chunk);
  assert.equal(f.m.state, ReplicaState.Following);
  assert.equal(f.m.servesEventualReads(), false, 'its chunks are not in its store yet');
  assert.deepEqual(f.pending().installs, [{ clear: true, index: 10 }]);
  assert.equal(f.m.servesEventualReads(), false, 'written, not durable');
  f.persist();
  assert.equal(f.m.servesEventualReads(), true);
  assert.ok(f.events.includes('installed'));
});

test('invariants: an illegal state change stops the replica (it is an InvariantError, as every broken invariant)', () => {
  const f = new Replica(1, member(0, 1));
  f.m.assign(member(0, 1));
  assert.throws(() => f.m.fillFromSplit(member(0, 1), 1, 0, 0), InvariantError);
  assert.throws(() => f.m.append(encodeLogEntry({ e: 1, i: 1, m: [], w: null, a: null }), { e: 1, i: 1, m: [], w: null, a: null }), InvariantError, 'a follower does not append client writes');
});
