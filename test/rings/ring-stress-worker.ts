// One side of the ring stress test, run in a worker thread (loaded through tsx, inherited
// from the parent's execArgv). Posts one StressResult and exits.
import { parentPort, workerData } from 'node:worker_threads';
import { performance } from 'node:perf_hooks';
import { SpscRing } from '../../src/rings/ring.ts';
import { Doorbell } from '../../src/rings/doorbell.ts';
import { Outbox } from '../../src/rings/outbox.ts';
import { checkFrame, fillFrame, frameSize } from './stress-frames.ts';

export interface StressJob {
  role: 'produce' | 'consume' | 'produce-outbox';
  ringSab: SharedArrayBuffer;
  /** Doorbell of the thread that reads the ring. */
  consumerBellSab: SharedArrayBuffer;
  /** Doorbell of the thread that writes the ring; rung by the consumer when it frees space. */
  producerBellSab: SharedArrayBuffer;
  frames: number;
  waitTimeoutMs: number;
}

export interface StressResult {
  role: StressJob['role'];
  frames: number;
  error: string | null;
  /** Waits on this thread's doorbell. */
  sleeps: number;
  /** Waits that ran to their timeout: a lost wake-up unless the peer was stalled that long. */
  timedOutWaits: number;
}

const job = workerData as StressJob;
const ring = new SpscRing(job.ringSab);
const consumerBell = new Doorbell(job.consumerBellSab);
const producerBell = new Doorbell(job.producerBellSab);
const result: StressResult = { role: job.role, frames: 0, error: null, sleeps: 0, timedOutWaits: 0 };

/** Sleeps on `bell` (already prepared), counting sleeps and waits that hit the timeout. */
function sleepOn(bell: Doorbell): void {
  const startedMs = performance.now();
  bell.waitSync(job.waitTimeoutMs);
  result.sleeps++;
  if (performance.now() - startedMs >= job.waitTimeoutMs * 0.95) result.timedOutWaits++;
}

function produce(): void {
  const scratch = new Uint8Array(ring.maxFrameBytes);
  for (let seq = 0; seq < job.frames; seq++) {
    const frame = fillFrame(scratch, seq, ring.maxFrameBytes);
    while (!ring.tryWrite(frame)) {
      // Full: sleep until the consumer frees space, re-checking after announcing the sleep.
      producerBell.prepareSleep();
      if (ring.tryWrite(frame)) {
        producerBell.cancelSleep();
        break;
      }
      sleepOn(producerBell);
    }
    consumerBell.ring();
    result.frames++;
  }
}

function consume(): void {
  while (result.frames < job.frames) {
    const frame = ring.tryRead();
    if (frame !== null) {
      const error = checkFrame(frame, result.frames, ring.maxFrameBytes);
      if (error !== null) {
        result.error = error;
        return;
      }
      result.frames++;
      producerBell.ring();
      continue;
    }
    consumerBell.prepareSleep();
    if (!ring.isEmpty()) {
      consumerBell.cancelSleep();
      continue;
    }
    sleepOn(consumerBell);
  }
  if (ring.tryRead() !== null) result.error = 'frames beyond the last one';
}

/** Sends bursts through an Outbox, idling between some bursts so the consumer falls asleep. */
function produceThroughOutbox(): void {
  const outbox = new Outbox(ring, consumerBell);
  const idle = new Int32Array(new SharedArrayBuffer(4));
  let seq = 0;
  for (let burstIndex = 0; seq < job.frames; burstIndex++) {
    // Mostly short bursts, sometimes a backlog several rings deep.
    const burst = burstIndex % 17 === 0 ? 3000 : 1 + ((burstIndex * 7919) % 200);
    for (let i = 0; i < burst && seq < job.frames; i++, seq++) {
      // The Outbox keeps queued payloads by reference, so each frame gets its own buffer.
      const target = new Uint8Array(frameSize(seq, ring.maxFrameBytes));
      outbox.send(fillFrame(target, seq, ring.maxFrameBytes));
    }
    while (!outbox.flush()) {
      producerBell.prepareSleep();
      if (outbox.flush()) {
        producerBell.cancelSleep();
        break;
      }
      sleepOn(producerBell);
    }
    if (burstIndex % 4 === 0) Atomics.wait(idle, 0, 0, 1);
  }
  result.frames = seq;
}

try {
  if (job.role === 'produce') produce();
  else if (job.role === 'consume') consume();
  else produceThroughOutbox();
} catch (error) {
  result.error = String((error as Error).stack ?? error);
}
parentPort!.postMessage(result);
