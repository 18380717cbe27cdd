// Worker side of attached-admission-threads.test.ts: waits at the start line, then admits and
// charges `operations` requests through an AttachedAdmission and reports what it did.
import { parentPort, workerData } from 'node:worker_threads';
import { AttachedAdmission } from '../../src/admission/attached-admission.ts';
import type { AdmissionSharedState, Direction, MeterDirectory } from '../../src/admission/admission.ts';

export interface HammerJob {
  state: AdmissionSharedState;
  dir: MeterDirectory;
  /** Int32Array over it: [0] the start line (0 wait, 1 go). */
  startSab: SharedArrayBuffer;
  operations: number;
  pids: number[];
  direction: Direction;
  units: number;
  now: number;
}

export interface HammerResult {
  admitted: number;
  throttled: number;
  unknown: number;
  chargedUnits: number;
}

export function hammer(attached: AttachedAdmission, job: Omit<HammerJob, 'state' | 'startSab'>): HammerResult {
  const result: HammerResult = { admitted: 0, throttled: 0, unknown: 0, chargedUnits: 0 };
  for (let i = 0; i < job.operations; i++) {
    const pid = job.pids[i % job.pids.length];
    // Charged a little more than admitted every other time: the difference settles in charge().
    const consumed = i % 2 === 0 ? job.units : job.units * 2;
    try {
      if (!attached.admit(job.dir, pid, job.direction, job.units, job.now)) {
        result.unknown++;
        continue;
      }
    } catch {
      result.throttled++;
      continue;
    }
    if (!attached.charge(job.dir, pid, job.direction, consumed, job.units, job.now)) result.unknown++;
    result.admitted++;
    result.chargedUnits += consumed;
  }
  return result;
}

if (parentPort !== null && workerData !== null) {
  const job = workerData as HammerJob;
  const start = new Int32Array(job.startSab);
  const attached = new AttachedAdmission(job.state);
  parentPort.postMessage('ready');
  Atomics.wait(start, 0, 0);
  parentPort.postMessage(hammer(attached, job));
}
