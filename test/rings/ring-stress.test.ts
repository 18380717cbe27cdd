// Producer and consumer on different threads, through a small ring: every frame arrives
// once, in order, byte for byte, across wrap-arounds, full-ring waits and sleeps.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Worker } from 'node:worker_threads';
import { performance } from 'node:perf_hooks';
import { SpscRing } from '../../src/rings/ring.ts';
import { Doorbell } from '../../src/rings/doorbell.ts';
import { checkFrame } from './stress-frames.ts';
import type { StressJob, StressResult } from './ring-stress-worker.ts';

const WAIT_TIMEOUT_MS = 3000;
// A deadlock fails the test instead of hanging the run.
const TEST_TIMEOUT_MS = 60_000;

const workerBootUrl = new URL('./ts-worker-boot.mjs', import.meta.url);
const workerModuleUrl = new URL('./ring-stress-worker.ts', import.meta.url);

function startWorker(job: StressJob): { worker: Worker; result: Promise<StressResult> } {
  const worker = new Worker(workerBootUrl, { argv: [workerModuleUrl.href], workerData: job });
  const result = new Promise<StressResult>((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
    worker.once('exit', (code) => reject(new Error(`stress worker (${job.role}) exited with code ${code} before reporting`)));
  });
  return { worker, result };
}

function assertClean(result: StressResult, frames: number): void {
  assert.equal(result.error, null, `${result.role}: ${result.error}`);
  assert.equal(result.frames, frames, `${result.role} handled ${result.frames} of ${frames} frames`);
  assert.equal(result.timedOutWaits, 0, `${result.role}: ${result.timedOutWaits} waits ran to the timeout (lost wake-up?)`);
}

describe('ring stress across threads', () => {
  it('a worker inherits --import tsx but, on Node 20, not its hooks: .ts workers need ts-worker-boot.mjs', async () => {
    assert.ok(process.execArgv.some((arg) => arg.includes('tsx')), `execArgv ${process.execArgv.join(' ')} lacks tsx`);
    const direct = new Worker(workerModuleUrl, { workerData: null });
    const outcome = await new Promise<string>((resolve) => {
      direct.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
      direct.once('exit', () => resolve('loaded'));
    });
    await direct.terminate();
    const major = Number(process.versions.node.split('.')[0]);
    if (major < 22) assert.equal(outcome, 'ERR_UNKNOWN_FILE_EXTENSION');
  });

  it('moves 1,000,000 frames of varied sizes through a 4 KiB ring, worker to worker', { timeout: TEST_TIMEOUT_MS }, async () => {
    const frames = 1_000_000;
    const ring = SpscRing.create(4096);
    const job = {
      ringSab: ring.sab,
      consumerBellSab: Doorbell.create().sab,
      producerBellSab: Doorbell.create().sab,
      frames,
      waitTimeoutMs: WAIT_TIMEOUT_MS,
    };
    const startedMs = performance.now();
    const consumer = startWorker({ ...job, role: 'consume' });
    const producer = startWorker({ ...job, role: 'produce' });
    try {
      const [consumed, produced] = await Promise.all([consumer.result, producer.result]);
      assertClean(produced, frames);
      assertClean(consumed, frames);
      assert.equal(ring.isEmpty(), true);
      console.log(
        `# 1M frames in ${Math.round(performance.now() - startedMs)} ms; ` +
          `producer slept ${produced.sleeps} times on a full ring, consumer slept ${consumed.sleeps} times`,
      );
    } finally {
      await Promise.all([consumer.worker.terminate(), producer.worker.terminate()]);
    }
  });

  it('moves 300,000 frames through Outbox and Doorbell to a main-thread consumer that sleeps between bursts', { timeout: TEST_TIMEOUT_MS }, async () => {
    const frames = 300_000;
    const ring = SpscRing.create(8192);
    const consumerBell = Doorbell.create();
    const producerBell = Doorbell.create();
    const startedMs = performance.now();
    const producer = startWorker({
      role: 'produce-outbox',
      ringSab: ring.sab,
      consumerBellSab: consumerBell.sab,
      producerBellSab: producerBell.sab,
      frames,
      waitTimeoutMs: WAIT_TIMEOUT_MS,
    });
    try {
      // The main thread consumes as the router will: drain, announce sleep, re-check, waitAsync.
      let received = 0;
      let sleeps = 0;
      let timedOutWaits = 0;
      const failure = producer.result.then((result) => (result.error !== null ? result : null));
      while (received < frames) {
        for (let frame = ring.tryRead(); frame !== null; frame = ring.tryRead()) {
          const error = checkFrame(frame, received, ring.maxFrameBytes);
          assert.equal(error, null);
          received++;
          producerBell.ring();
        }
        if (received === frames) break;
        consumerBell.prepareSleep();
        if (!ring.isEmpty()) {
          consumerBell.cancelSleep();
          continue;
        }
        const sleptAtMs = performance.now();
        const woke = await Promise.race([consumerBell.waitAsync(WAIT_TIMEOUT_MS), failure]);
        if (woke) assert.fail(`producer failed: ${woke.error}`);
        sleeps++;
        if (performance.now() - sleptAtMs >= WAIT_TIMEOUT_MS * 0.95) timedOutWaits++;
      }
      assert.equal(ring.tryRead(), null);
      assert.equal(timedOutWaits, 0, `${timedOutWaits} consumer waits ran to the timeout (lost wake-up?)`);
      assert.ok(sleeps > 0, 'the consumer never slept, so the wake-up path was not exercised');
      const produced = await producer.result;
      assertClean(produced, frames);
      console.log(
        `# 300k frames via Outbox in ${Math.round(performance.now() - startedMs)} ms; ` +
          `consumer slept ${sleeps} times, producer slept ${produced.sleeps} times`,
      );
    } finally {
      await producer.worker.terminate();
    }
  });
});
