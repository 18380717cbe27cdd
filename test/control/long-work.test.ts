// Long work (splits, repairs) is logged only once it lasts more than a second, one line per
// step from then on, and listed for a minute after it ends.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Clock } from '../../src/control/clock.ts';
import { LongWorkBoard } from '../../src/control/long-work.ts';
import { setLogLevel } from '../../src/server/logger.ts';

/** A clock moved by hand: timers fire when `advance` passes their time. */
function manualClock(): Clock & { advance(ms: number): void } {
  let now = 0;
  const timers: Array<{ at: number; fn: () => void; cancelled: boolean }> = [];
  return {
    now: () => now,
    after(ms, fn) {
      const timer = { at: now + ms, fn, cancelled: false };
      timers.push(timer);
      return { cancel: () => (timer.cancelled = true) };
    },
    every() {
      throw new Error('not used');
    },
    sleep() {
      throw new Error('not used');
    },
    advance(ms) {
      now += ms;
      for (const t of timers.splice(0)) {
        if (t.cancelled) continue;
        if (t.at <= now) t.fn();
        else timers.push(t);
      }
    },
  };
}

/** Runs `fn` and returns the lines the server's logger printed meanwhile. */
function logged(fn: () => void): string[] {
  const lines: string[] = [];
  const original = console.log;
  console.log = (...args: unknown[]) => lines.push(args.join(' '));
  setLogLevel('info');
  try {
    fn();
  } finally {
    console.log = original;
    setLogLevel('warn');
  }
  return lines;
}

test('work shorter than a second is listed but not logged', () => {
  const clock = manualClock();
  const board = new LongWorkBoard(clock);
  const lines = logged(() => {
    const work = board.start('split', 'Music', 0, 'appending the split entry');
    clock.advance(400);
    work.step('publishing partitions 3 and 4');
    clock.advance(400);
    work.finish(true, 'children published');
    clock.advance(5000);
  });
  assert.deepEqual(lines, []);
  assert.equal(board.list().length, 1);
  assert.equal(board.list()[0].ok, true);
  clock.advance(60_000);
  assert.equal(board.list().length, 0, 'finished work is listed for a minute');
});

test('work longer than a second logs its step at one second, then each step and the end', () => {
  const clock = manualClock();
  const board = new LongWorkBoard(clock);
  const lines = logged(() => {
    const work = board.start('repair', 'Music', 2, 'copying a snapshot from node 0', 1);
    clock.advance(1000);
    clock.advance(1500);
    work.step('catching up');
    clock.advance(500);
    work.finish(true, 'installed');
  });
  assert.deepEqual(lines, [
    '[monodyne] repair Music/2 on node 1: copying a snapshot from node 0 (1.0 s)',
    '[monodyne] repair Music/2 on node 1: catching up (2.5 s)',
    '[monodyne] repair Music/2 on node 1: installed (3.0 s)',
  ]);
  assert.equal(board.list()[0].done, true);
});
