// Time as the control plane and router see it: the real clock in the server, the simulator's
// virtual clock in test/replication/ (so a simulated run replays exactly from its seed).

export interface TimerHandle {
  cancel(): void;
}

export interface Clock {
  now(): number;
  /** Runs `fn` once after `ms` (never keeps the process alive on its own). */
  after(ms: number, fn: () => void): TimerHandle;
  /** Runs `fn` every `ms` until cancelled (never keeps the process alive on its own). */
  every(ms: number, fn: () => void): TimerHandle;
  sleep(ms: number): Promise<void>;
}

export const realClock: Clock = {
  now: () => Date.now(),
  after(ms, fn) {
    const t = setTimeout(fn, ms);
    t.unref();
    return { cancel: () => clearTimeout(t) };
  },
  every(ms, fn) {
    const t = setInterval(fn, ms);
    t.unref();
    return { cancel: () => clearInterval(t) };
  },
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};
