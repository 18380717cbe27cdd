// The failure detector's decision, case by case (issue 16, point 5: slow is not dead). Each case
// gives the nodes' liveness over time, runs the checks every 100 ms as the auto-admin does, and
// lists the failovers (when, which node, why) and the hangs held back that must come out of it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FailureDetector, type FailureDetectorOptions, type NodeLiveness } from '../../src/control/failure-detector.ts';

const options: FailureDetectorOptions = { checkIntervalMs: 100, hungNodeMs: 1000, diskStallMaxMs: 5000, replicationFactor: 3 };

/** A node's liveness at time t (ms), over the defaults (still, work waiting, no disk); null: not live. */
type Node = (t: number) => Partial<NodeLiveness> | null;

interface Case {
  name: string;
  nodes: Node[];
  /** Every partition's replicas (default: one partition on nodes 0, 1, 2). */
  partitions?: number[][];
  /** Check times (default: every 100 ms up to `until`). */
  checks?: number[];
  until?: number;
  /** [time, node, reason] of each failover, in order. */
  failed: Array<[number, number, RegExp]>;
  held?: Array<[number, number, RegExp]>;
}

const working: Node = (t) => ({ progress: Math.floor(t / 20) });
const frozen: Node = () => ({});
const idleFrozen: Node = () => ({ workWaiting: false });
/** Declared dead (or being failed over): not live. */
const gone: Node = () => null;

const cases: Case[] = [
  { name: 'a node that moves is never failed over', nodes: [working, working, working], until: 20_000, failed: [] },
  { name: 'a still node with no work waiting for it (idle, starved) is not hung', nodes: [idleFrozen, working, working], until: 20_000, failed: [] },
  {
    name: 'a node starved of CPU moves now and then: 900 ms without progress is not hung',
    nodes: [(t) => ({ progress: Math.floor(t / 900) }), working, working],
    until: 20_000,
    failed: [],
  },
  {
    name: 'work waits on a node that does not move for hungNodeMs: hung',
    nodes: [frozen, working, working],
    until: 5000,
    failed: [[1000, 0, /^made no progress for 1000 ms with work waiting$/]],
  },
  {
    name: 'the clock runs only while work waits: idle stretches reset it',
    nodes: [(t) => ({ workWaiting: Math.floor(t / 800) % 2 === 0 }), working, working],
    until: 10_000,
    failed: [],
  },
  {
    name: 'a node blocked in a disk call is waiting on the disk, not hung: failed over only at the disk bound',
    nodes: [() => ({ inDiskCall: true }), working, working],
    until: 10_000,
    failed: [[5000, 0, /^its disk made no progress for 5000 ms$/]],
  },
  {
    name: 'disk calls that return (slowly) are progress',
    nodes: [(t) => ({ inDiskCall: true, progress: Math.floor(t / 900) }), working, working],
    until: 20_000,
    failed: [],
  },
  {
    name: 'a node that turns its loop while its batches never become durable (a disk that stopped): the disk bound',
    nodes: [(t) => ({ progress: t, batchesOnDisk: 2 }), working, working],
    until: 10_000,
    failed: [[5000, 0, /^its disk made no progress for 5000 ms$/]],
  },
  {
    name: 'a slow disk that makes a batch durable every 2 s is slow, not dead',
    nodes: [(t) => ({ progress: t, batchesOnDisk: 3, durable: Math.floor(t / 2000) }), working, working],
    until: 30_000,
    failed: [],
  },
  {
    name: 'a thread hung outside the disk while batches wait on it: hung at hungNodeMs, not the disk bound',
    nodes: [() => ({ batchesOnDisk: 1 }), working, working],
    until: 5000,
    failed: [[1000, 0, /^made no progress for 1000 ms with work waiting$/]],
  },
  {
    name: 'a node that left its disk call and then stopped: the hung clock starts when it left',
    nodes: [(t) => (t < 3000 ? { inDiskCall: true } : { progress: 1 }), working, working],
    until: 8000,
    failed: [[4000, 0, /^made no progress for 1000 ms with work waiting$/]],
  },
  {
    name: 'a long step it announced (quiet beats) extends the bound by that many intervals',
    nodes: [() => ({ quietBeats: 5 }), working, working],
    until: 5000,
    failed: [[1500, 0, /^made no progress for 1500 ms with work waiting$/]],
  },
  {
    name: 'a batch of tens of megabytes announced (quiet beats) extends the disk bound too',
    nodes: [() => ({ inDiskCall: true, quietBeats: 20 }), working, working],
    until: 10_000,
    failed: [[7000, 0, /^its disk made no progress for 7000 ms$/]],
  },
  {
    name: 'checks that run late (a stalled main thread) count one interval each, never their whole gap',
    nodes: [frozen, working, working],
    checks: [0, 3000, 6000, 9000, 9100, 9200, 9300, 9400, 9500, 9600, 9700, 9800, 9900, 10_000],
    failed: [[9700, 0, /^made no progress for 1000 ms with work waiting$/]],
  },
  {
    name: 'two replicas of one partition hung together: one is failed over, the other waits the long bound',
    nodes: [frozen, frozen, working],
    until: 8000,
    failed: [
      [1000, 0, /^made no progress for 1000 ms with work waiting$/],
      [5000, 1, /^made no progress for 5000 ms with work waiting \(a partition it holds is short of replicas\)$/],
    ],
    held: [[1000, 1, /^made no progress for 1000 ms with work waiting; not failed over: a partition it holds is short of sound replicas \(it is given 5000 ms\)$/]],
  },
  {
    name: 'a partition short of replicas (being repaired) holds back a hung node until the long bound',
    nodes: [frozen, working, gone],
    partitions: [[0, 1]],
    until: 8000,
    failed: [[5000, 0, /short of replicas/]],
    held: [[1000, 0, /short of sound replicas/]],
  },
  {
    name: 'the last sound replica of a partition is never failed over for silence (F13)',
    nodes: [frozen, gone, gone],
    until: 20_000,
    failed: [],
    held: [[1000, 0, /^made no progress for 1000 ms with work waiting; not failed over: it holds the last sound replica of a partition$/]],
  },
  {
    name: 'a follower seen lagging behind the commit index is no copy: the only whole copy is never failed over for silence (seed 110750)',
    // Node 0 was failed over; node 2 is alive but was cut off from node 1 while 0 and 1 committed,
    // so the partition's whole copies (ReplicaLag) are node 1's alone.
    nodes: [gone, () => ({ inDiskCall: true }), working],
    partitions: [[1]],
    until: 20_000,
    failed: [],
    held: [[5000, 1, /^its disk made no progress for 5000 ms; not failed over: it holds the last sound replica of a partition$/]],
  },
  {
    name: 'a hung node whose partitions live on other nodes is failed over without waiting',
    nodes: [working, working, working, frozen],
    partitions: [
      [0, 1, 2],
      [1, 2, 3],
    ],
    until: 3000,
    failed: [[1000, 3, /with work waiting$/]],
  },
  {
    name: 'replicas on a hung node and on a node being failed over: held (never two at once for silence)',
    nodes: [(t) => (t < 500 ? { progress: t } : null), frozen, working],
    until: 3000,
    failed: [],
    held: [[1000, 1, /short of sound replicas/]],
  },
];

for (const c of cases) {
  test(`failure detector: ${c.name}`, () => {
    const detector = new FailureDetector(options);
    const partitions = c.partitions ?? [[0, 1, 2]];
    const times = c.checks ?? Array.from({ length: Math.floor((c.until ?? 0) / 100) + 1 }, (_, i) => i * 100);
    const failed: Array<[number, number, string]> = [];
    const held: Array<[number, number, string]> = [];
    const failedOver = new Set<number>();
    for (const t of times) {
      const nodes = c.nodes.map((n, i) => {
        const s = failedOver.has(i) ? null : n(t);
        return s === null ? null : { progress: 0, quietBeats: 0, inDiskCall: false, batchesOnDisk: 0, durable: 0, workWaiting: true, ...s };
      });
      const result = detector.check(t, nodes, () => partitions);
      for (const v of result.failed) {
        failed.push([t, v.node, v.reason]);
        failedOver.add(v.node); // being failed over: not live from the next check on
      }
      for (const v of result.held) held.push([t, v.node, v.reason]);
    }
    assert.deepEqual(
      failed.map(([t, n]) => [t, n]),
      c.failed.map(([t, n]) => [t, n]),
      `failovers: ${JSON.stringify(failed)}`,
    );
    for (let i = 0; i < c.failed.length; i++) assert.match(failed[i][2], c.failed[i][2]);
    assert.deepEqual(
      held.map(([t, n]) => [t, n]),
      (c.held ?? []).map(([t, n]) => [t, n]),
      `held: ${JSON.stringify(held)}`,
    );
    for (let i = 0; i < (c.held ?? []).length; i++) assert.match(held[i][2], c.held![i][2]);
  });
}

test('failure detector: a node failed over starts afresh in its next incarnation (forget), and reports its stillness', () => {
  const detector = new FailureDetector(options);
  const live = (progress: number, workWaiting = true): NodeLiveness => ({ progress, quietBeats: 0, inDiskCall: false, batchesOnDisk: 0, durable: 0, workWaiting });
  const partitions = () => [[0, 1, 2]];
  for (let t = 0; t <= 1000; t += 100) assert.deepEqual(detector.check(t, [live(7), live(t), live(t)], partitions).failed, t < 1000 ? [] : [{ node: 0, reason: 'made no progress for 1000 ms with work waiting' }]);
  assert.deepEqual(detector.stillness(0), { stillMs: 1000, diskStillMs: 0, stillMsMax: 1000, diskStillMsMax: 0 });
  detector.forget(0);
  // The replacement counts from 0 again and has not moved yet: its clock starts from its first look.
  for (let t = 1100; t <= 2000; t += 100) assert.deepEqual(detector.check(t, [live(0), live(t), live(t)], partitions).failed, []);
  assert.equal(detector.stillness(0).stillMs, 900);
  assert.equal(detector.stillness(0).stillMsMax, 1000, 'the longest stillness is kept');
});
