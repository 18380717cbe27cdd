// The control plane's and router's clock in the simulation: the scheduler's virtual time.
import type { Clock } from '../../../src/control/clock.ts';
import type { Scheduler } from './scheduler.ts';

export function simClock(scheduler: Scheduler): Clock & { stopAll(): void } {
  const handles: Array<{ cancelled: boolean }> = [];
  return {
    now: () => scheduler.now,
    after(ms, fn) {
      const h = scheduler.timeout(ms, fn);
      handles.push(h);
      return { cancel: () => (h.cancelled = true) };
    },
    every(ms, fn) {
      const handle = { cancelled: false };
      const run = (): void => {
        if (handle.cancelled) return;
        fn();
        scheduler.after(ms, run);
      };
      scheduler.after(ms, run);
      handles.push(handle);
      return { cancel: () => (handle.cancelled = true) };
    },
    sleep: (ms) => scheduler.sleep(ms),
    /** The process this clock served crashed: none of its timers fires again. */
    stopAll() {
      for (const h of handles) h.cancelled = true;
    },
  };
}
