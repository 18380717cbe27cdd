// Linux /proc readings of a server process for the load test: resident memory, and CPU time per
// thread (the main thread is the one whose id is the process id; the rest are the storage
// workers, libuv's pool and V8's helpers).
import { readdirSync, readFileSync } from 'node:fs';

export interface Rss {
  rssMiB: number;
  anonMiB: number;
  fileMiB: number;
}

export function readRss(pid: number): Rss | null {
  let status: string;
  try {
    status = readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return null;
  }
  const kb = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+)`, 'm').exec(status)?.[1] ?? 0);
  return { rssMiB: kb('VmRSS') / 1024, anonMiB: kb('RssAnon') / 1024, fileMiB: (kb('RssFile') + kb('RssShmem')) / 1024 };
}

const ticksPerSecond = 100; // USER_HZ on Linux

/** CPU seconds used so far by each thread of `pid`, keyed by thread id (with its name). */
export function threadCpu(pid: number): Map<number, { name: string; cpuS: number }> {
  const out = new Map<number, { name: string; cpuS: number }>();
  let tids: string[];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return out;
  }
  for (const tid of tids) {
    try {
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      const close = stat.lastIndexOf(')');
      const name = stat.slice(stat.indexOf('(') + 1, close);
      const fields = stat.slice(close + 2).split(' ');
      // Fields after the name: state(0) ... utime(11) stime(12).
      out.set(Number(tid), { name, cpuS: (Number(fields[11]) + Number(fields[12])) / ticksPerSecond });
    } catch {
      // The thread ended between readdir and read.
    }
  }
  return out;
}

export interface CpuSplit {
  /** Share of one core used by the main thread over the interval (1 = a whole core). */
  mainCores: number;
  /** Cores used by the other front-door threads together (their ids given to cpuSplit). */
  doorCores: number;
  /** Cores used by the other threads together, and the busiest few by name. */
  otherCores: number;
  busiest: Array<{ tid: number; name: string; cores: number }>;
}

export function cpuSplit(pid: number, before: Map<number, { name: string; cpuS: number }>, after: Map<number, { name: string; cpuS: number }>, seconds: number, doorTids: readonly number[] = []): CpuSplit {
  let mainCores = 0;
  let doorCores = 0;
  let otherCores = 0;
  const busiest: Array<{ tid: number; name: string; cores: number }> = [];
  for (const [tid, a] of after) {
    const used = (a.cpuS - (before.get(tid)?.cpuS ?? 0)) / seconds;
    if (tid === pid) mainCores = used;
    else if (doorTids.includes(tid)) {
      doorCores += used;
      busiest.push({ tid, name: 'front door', cores: used });
    } else {
      otherCores += used;
      if (used >= 0.02) busiest.push({ tid, name: a.name, cores: used });
    }
  }
  busiest.sort((x, y) => y.cores - x.cores);
  return { mainCores, doorCores, otherCores, busiest: busiest.slice(0, 6) };
}
