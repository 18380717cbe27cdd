// Crash images (issue 17): while clients write, the server records every write, fdatasync,
// create and retire of its write-ahead log's segments and copies each storage node's B-tree during
// and after its checkpoints (src/storage/crash-trace.ts). After a SIGKILL, data directories are
// built as a crash at chosen moments T would have left them: the log as of T (a process crash:
// every write done by T; a power loss: everything up to the last completed fdatasync, plus a
// seeded prefix of what followed, its last write possibly torn, or a seeded choice of the pages
// it wrote, as the kernel may write them back in any order), each node's B-tree as its last
// copy finished by T, and the catalog as it was before the load. A server started on each image
// must start, its replicas agree, and consistent reads find every write acknowledged before T
// with its value (or a newer one), and nothing that was sent only after T, or never.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { closeSync, copyFileSync, ftruncateSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { join, relative } from 'node:path';
import { BatchGetItemCommand, CreateTableCommand, DescribeTableCommand, PutItemCommand, ScanCommand, UpdateItemCommand, type AttributeValue, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { clientFor, killChildServers, spawnServer, tempDataDir } from '../helpers/server.ts';
import { itemsIn, replicasAgree } from '../helpers/digests.ts';
import { Random } from '../replication/sim/random.ts';
import { TraceOp, traceHeaderBytes } from '../../src/storage/crash-trace.ts';
import { segmentFileName } from '../../src/storage/wal/wal-format.ts';
import { walRecordBytesMax } from '../../src/limits-relations.ts';
import { LmdbCatalog, nodeDir } from '../../src/control/catalog.ts';

const seed = Number(process.env.CRASH_IMAGE_SEED ?? 17_004_017);
/** Keep the data directory, the trace and the images (for a failure's post-mortem). */
const keep = process.env.CRASH_IMAGE_KEEP === '1';
const table = 'crashimages';
/**
 * Clients write while the trace records for at least loadMinMs, and on until a retired segment
 * has been reused (the log must go round: about two segments of it), at most loadMaxMs.
 */
const loadMinMs = 8_000;
const loadMaxMs = 40_000;
const uniqueWriters = 4;
/** Writers of large items over a few keys each: they fill the log (segments made and reused) while the B-trees stay small. */
const bigWriters = 4;
const bigKeysPerWriter = 8;
const bigValueBytes = 64 * 1024;
const counterKeys = ['counter-0', 'counter-1'];
/** The smallest segment the limits allow (the largest record must fit in one), in whole MiB. */
const segmentBytes = Math.ceil((walRecordBytesMax + 4096) / 2 ** 20) * 2 ** 20;
const serverEnv: NodeJS.ProcessEnv = {
  MONODYNE_FAULTS_ENABLED: 'true',
  MONODYNE_LOG_LEVEL: 'warn',
  MONODYNE_STORAGE_WAL_SEGMENT_BYTES: String(segmentBytes),
  // Its own minimum is the largest log entry; checkpoints come from the interval.
  MONODYNE_STORAGE_MEMTABLE_BYTES_MAX: String(segmentBytes),
  MONODYNE_STORAGE_CHECKPOINT_INTERVAL_MS: '500',
  // Few log entries kept per replica: the B-trees (copied at every checkpoint) stay small.
  MONODYNE_FAILOVER_LOG_ENTRIES_MAX: '64',
  // The catalog must not change under the load (a split would make the copy taken before it stale).
  MONODYNE_SPLITS_ENABLED: 'false',
  // Large items cost many write units: no throttling (on-demand partitions are held to 1000 units a second).
  MONODYNE_CAPACITY_PARTITION_WRITE_UNITS_MAX: '1000000000',
};
/** Bounds on waiting, so a server that stops making progress fails the test instead of hanging it. */
const startTimeoutMs = 60_000;
const convergeTimeoutMs = 30_000;

/** One write sent: when (process.hrtime, the trace's clock), and when its answer came (null: never). */
interface Sent {
  key: string;
  /** The write's own number: a large item's version, a counter's operation. */
  n: number;
  sent: bigint;
  acked: bigint | null;
}

/** What clients sent and what the server acknowledged. */
class Ledger {
  readonly unique: Sent[] = [];
  /** Per large-item key, and per counter: its writes in the order sent (one writer per key). */
  readonly big = new Map<string, Sent[]>();
  readonly counters = new Map<string, Sent[]>(counterKeys.map((k) => [k, []]));
  errors = 0;
  firstError = '';

  error(err: unknown): void {
    if (this.errors++ === 0) this.firstError = String(err);
  }

  get acked(): number {
    let n = this.unique.filter((s) => s.acked !== null).length;
    for (const list of [...this.big.values(), ...this.counters.values()]) n += list.filter((s) => s.acked !== null).length;
    return n;
  }
}

/** One operation of a log's trace. */
interface TraceEntry {
  op: number;
  t: bigint;
  segment: number;
  offset: number;
  payload: Buffer;
}

interface TreeCopy {
  node: number;
  generation: number;
  kind: 'during' | 'durable';
  coveredLsn: number;
  path: string;
  started: bigint;
  finished: bigint;
}

interface LogTrace {
  /** The log's directory, relative to the data directory. */
  dir: string;
  ops: TraceEntry[];
}

/** A power loss keeps a prefix of the unsynced writes, or any of their pages ("pages"). */
type ImageKind = 'process crash' | 'power loss' | 'power loss, pages';

interface Cut {
  t: bigint;
  kind: ImageKind;
  /** Why this moment was chosen. */
  why: string;
}

test('crash images: data directories cut at moments of a traced load start with every acknowledged write and agreeing replicas', { timeout: 300_000 }, async () => {
  const random = new Random(seed);
  const root = tempDataDir('monodyne-crash-images');
  const dataDir = join(root, 'data');
  const traceDir = join(root, 'trace');
  const catalogCopy = join(root, 'catalog-copy');
  mkdirSync(traceDir);
  const ledger = new Ledger();
  const timings: string[] = [];
  /** Images that failed, kept (the rest of the directory goes) for a post-mortem. */
  const failed: string[] = [];
  try {
    // ---- the traced load ------------------------------------------------------------------
    let started = Date.now();
    const server = await spawnServer(['--port', '0', '--data-dir', dataDir], { ...serverEnv, MONODYNE_CRASH_TRACE: traceDir }, startTimeoutMs);
    const client = clientFor(server.endpoint, 1);
    await client.send(new CreateTableCommand({ TableName: table, KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }], AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }], BillingMode: 'PAY_PER_REQUEST' }));
    await waitUntil(async () => (await client.send(new DescribeTableCommand({ TableName: table }))).Table?.TableStatus === 'ACTIVE', 30_000, 'the table to be ACTIVE');
    // The catalog as the images get it: copied while the server is idle, before the load.
    mkdirSync(catalogCopy);
    copyFileSync(join(dataDir, 'catalog', 'data.mdb'), join(catalogCopy, 'data.mdb'));
    const catalogBefore = readCatalog(catalogCopy);
    assert.ok(catalogBefore.tables.includes(table), `the catalog copy holds the table: ${JSON.stringify(catalogBefore)}`);

    const loadStart = process.hrtime.bigint();
    let stop = false;
    const loops = [
      ...Array.from({ length: uniqueWriters }, async (_, w) => {
        for (let seq = 0; !stop; seq++) {
          const s: Sent = { key: `u${w}-${seq}`, n: seq, sent: process.hrtime.bigint(), acked: null };
          ledger.unique.push(s);
          try {
            await client.send(new PutItemCommand({ TableName: table, Item: { pk: { S: s.key }, v: { S: s.key } } }));
            s.acked = process.hrtime.bigint();
          } catch (err) {
            if (!stop) ledger.error(err);
          }
        }
      }),
      ...Array.from({ length: bigWriters }, async (_, w) => {
        for (let seq = 0; !stop; seq++) {
          const key = `big${w}-${seq % bigKeysPerWriter}`;
          const s: Sent = { key, n: seq, sent: process.hrtime.bigint(), acked: null };
          let list = ledger.big.get(key);
          if (list === undefined) ledger.big.set(key, (list = []));
          list.push(s);
          try {
            await client.send(new PutItemCommand({ TableName: table, Item: { pk: { S: key }, n: { N: String(seq) }, pad: { S: bigPad(key, seq) } } }));
            s.acked = process.hrtime.bigint();
          } catch (err) {
            if (!stop) ledger.error(err);
          }
        }
      }),
      ...counterKeys.map(async (key) => {
        for (let seq = 0; !stop; seq++) {
          const s: Sent = { key, n: seq, sent: process.hrtime.bigint(), acked: null };
          ledger.counters.get(key)!.push(s);
          try {
            await client.send(new UpdateItemCommand({ TableName: table, Key: { pk: { S: key } }, UpdateExpression: 'ADD n :one, ops :op', ExpressionAttributeValues: { ':one': { N: '1' }, ':op': { SS: [String(seq)] } } }));
            s.acked = process.hrtime.bigint();
          } catch (err) {
            if (!stop) ledger.error(err);
          }
        }
      }),
    ];
    const loading = Date.now();
    const spares = new Set<string>();
    let reused = false;
    while (Date.now() - loading < loadMaxMs && !(reused && Date.now() - loading >= loadMinMs)) {
      await new Promise((r) => setTimeout(r, 100));
      const names = readdirSync(join(dataDir, 'wal'));
      for (const name of spares) if (!names.includes(name)) reused = true;
      for (const name of names) if (name.startsWith('spare-')) spares.add(name);
    }
    const loadEnd = process.hrtime.bigint();
    stop = true;
    server.child.kill('SIGKILL');
    assert.equal((await server.exited).signal, 'SIGKILL');
    await Promise.all(loops);
    client.destroy();
    timings.push(`load ${Date.now() - started} ms (${ledger.acked} writes acknowledged, ${ledger.errors} errors${ledger.errors > 0 ? `, the first: ${ledger.firstError}` : ''})`);

    // The catalog did not change under the load: the copy is what a crash at any T would have left.
    const catalogAfter = readCatalog(join(dataDir, 'catalog'));
    assert.deepEqual(catalogAfter.generations, catalogBefore.generations, 'no storage node was replaced during the load (the images assume generation 0)');
    const catalogChanged = JSON.stringify(catalogAfter) !== JSON.stringify(catalogBefore);

    // ---- the trace ----------------------------------------------------------------------------
    started = Date.now();
    const logs: LogTrace[] = readFileSync(join(traceDir, 'logs.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { dir: string; trace: string })
      .map((l) => ({ dir: relative(dataDir, l.dir), ops: readTrace(join(traceDir, l.trace)) }));
    const copies: TreeCopy[] = readFileSync(join(traceDir, 'trees.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((line) => {
        const c = JSON.parse(line) as Omit<TreeCopy, 'started' | 'finished'> & { started: string; finished: string };
        return { ...c, started: BigInt(c.started), finished: BigInt(c.finished) };
      });
    const allOps = logs.flatMap((l) => l.ops);
    const count = (op: number) => allOps.filter((o) => o.op === op).length;
    const fromSpare = allOps.filter((o) => o.op === TraceOp.Create && o.payload.length > 0 && o.t > loadStart);
    const retires = allOps.filter((o) => o.op === TraceOp.Retire && o.t > loadStart);
    const durableCopies = copies.filter((c) => c.kind === 'durable' && c.finished > loadStart && c.finished < loadEnd);
    const duringCopies = copies.filter((c) => c.kind === 'during' && c.finished > loadStart && c.finished < loadEnd);
    const syncs = allOps.filter((o) => o.op === TraceOp.Sync && o.t > loadStart && o.t < loadEnd);
    const traceSummary =
      `${logs.length} log(s); ${count(TraceOp.Write)} writes (${allOps.reduce((n, o) => n + (o.op === TraceOp.Write ? o.payload.length : 0), 0) >> 20} MiB), ${count(TraceOp.Sync)} syncs, ` +
      `${count(TraceOp.Create)} segments made (${fromSpare.length} from spares), ${retires.length} retired; ${durableCopies.length} durable and ${duringCopies.length} mid-checkpoint B-tree copies in the load`;
    // The trace covers what the test is about: checkpoints, and segments retired and reused.
    assert.ok(durableCopies.length >= 3 * 3, `several checkpoints per node: ${traceSummary}`);
    assert.ok(fromSpare.length >= 1, `a segment was made from a spare: ${traceSummary}`);

    // ---- the cuts ---------------------------------------------------------------------------
    const inLoad = (t: bigint) => (t <= loadStart ? loadStart + 1n : t >= loadEnd ? loadEnd - 1n : t);
    const cuts: Cut[] = [];
    const anyKind = (): ImageKind => {
      const r = random.next();
      return r < 0.4 ? 'process crash' : r < 0.8 ? 'power loss' : 'power loss, pages';
    };
    const add = (t: bigint, why: string, kind?: ImageKind) => cuts.push({ t: inLoad(t), why, kind: kind ?? anyKind() });
    const within = (a: bigint, b: bigint) => a + BigInt(Math.floor(random.next() * Number(b - a)));
    for (let i = 0; i < 3; i++) add(within(loadStart, loadEnd), 'a moment of the load');
    for (let i = 0; i < 3; i++) {
      const c = random.pick(durableCopies);
      add(c.finished + BigInt(random.int(0, 200_000)), `just after node ${c.node}'s durable copy covering LSN ${c.coveredLsn}`);
    }
    for (let i = 0; i < 2; i++) {
      const c = random.pick(durableCopies);
      add(within(c.started, c.finished), `while node ${c.node}'s checkpoint to LSN ${c.coveredLsn} was durable but not yet copied`);
    }
    for (let i = 0; i < Math.min(2, duringCopies.length); i++) {
      const c = random.pick(duringCopies);
      add(within(c.finished, c.finished + 2_000_000n), `in the middle of node ${c.node}'s checkpoint`);
    }
    // A segment is retired once every node's checkpoint past it is durable and copied: a cut just after must find those copies.
    for (const r of retires.slice(0, 3)) add(r.t + BigInt(random.int(0, 100_000)), `just after segment ${r.segment} was retired`);
    for (const c of fromSpare.slice(-2)) add(c.t + BigInt(random.int(0, 2_000_000)), `just after segment ${c.segment} was made from ${c.payload.toString()}`, 'power loss');
    // A node whose first checkpoint was copied only during the load: before that, its B-tree is empty.
    for (let node = 0; node < 3; node++) {
      const first = copies.find((c) => c.node === node);
      if (first !== undefined && first.finished > loadStart) add(first.finished - 1n, `just before node ${node}'s first B-tree copy`);
    }
    for (const kind of ['process crash', 'power loss', 'power loss, pages'] as const) add(random.pick(syncs).t - 1n, 'just before an fdatasync returned', kind);
    // The last synced groups hold this write (its leader's copy and a follower's): none may be lost.
    const acks = [...ledger.unique, ...[...ledger.big.values(), ...ledger.counters.values()].flat()].filter((s) => s.acked !== null && s.acked > loadStart && s.acked < loadEnd);
    for (let i = 0; i < 2; i++) {
      const s = random.pick(acks);
      add(s.acked! + BigInt(random.int(0, 50_000)), `just after ${s.key}${ledger.unique.includes(s) ? '' : ` (${s.n})`} was acknowledged`, i === 0 ? 'process crash' : 'power loss');
    }
    add(loadEnd, 'the SIGKILL', 'process crash');
    timings.push(`trace read in ${Date.now() - started} ms: ${traceSummary}`);

    // ---- each image ---------------------------------------------------------------------------
    const failures: string[] = [];
    for (const [i, cut] of cuts.entries()) {
      const building = Date.now();
      const image = join(root, `image-${i}`);
      const built = buildImage(image, cut, random, { logs, copies, catalogCopy, generations: catalogBefore.generations, workers: 3 });
      const what = `image ${i} (${cut.kind} ${Number(cut.t - loadStart) / 1e6} ms into the load, ${cut.why}; ${built})`;
      try {
        const starting = Date.now();
        const s = await spawnServer(['--port', '0', '--data-dir', image], serverEnv, startTimeoutMs);
        const checking = Date.now();
        const c = clientFor(s.endpoint, 3);
        try {
          const agreement = await replicasAgree(s.endpoint, table, convergeTimeoutMs);
          const checked = await checkImage(c, ledger, cut.t);
          assert.equal(checked.items, itemsIn(agreement), `a consistent Scan sees ${checked.items} items, the replicas hold ${itemsIn(agreement)}`);
          timings.push(`${what}: built in ${starting - building} ms, started in ${checking - starting} ms, checked in ${Date.now() - checking} ms; ${checked.summary}`);
        } finally {
          c.destroy();
          s.child.kill('SIGKILL');
          await s.exited;
        }
        if (!keep) rmSync(image, { recursive: true, force: true });
      } catch (err) {
        failures.push(`${what}: ${(err as Error).message}`);
        failed.push(image);
        timings.push(`${what}: FAILED`);
      }
    }
    console.log(
      `seed ${seed} (CRASH_IMAGE_SEED=${seed}; CRASH_IMAGE_KEEP=1 keeps ${root}): ${cuts.length} images, ${cuts.filter((c) => c.kind === 'process crash').length} process crashes, ${cuts.filter((c) => c.kind === 'power loss').length} power losses keeping a prefix, ${cuts.filter((c) => c.kind === 'power loss, pages').length} keeping some pages; ` +
        `the catalog ${catalogChanged ? 'CHANGED' : 'did not change'} during the load\n  ` +
        timings.join('\n  '),
    );
    assert.deepEqual(failures, [], 'every image starts with every acknowledged write');
  } finally {
    await killChildServers();
    if (!keep && failed.length === 0) rmSync(root, { recursive: true, force: true });
    else if (!keep) {
      // The failed images stand alone (a data directory each); the trace and the rest are gigabytes.
      for (const name of readdirSync(root)) if (!failed.includes(join(root, name))) rmSync(join(root, name), { recursive: true, force: true });
      console.log(`failed images kept: ${failed.join(' ')}`);
    }
  }
});

/** A large item's padding, its version written all through it (a torn or mixed value shows). */
function bigPad(key: string, seq: number): string {
  const unit = `${key}@${seq};`;
  return unit.repeat(Math.ceil(bigValueBytes / unit.length)).slice(0, bigValueBytes);
}

async function waitUntil(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function readCatalog(dir: string): { tables: string[]; records: string; mapVersion: number; generations: number[] } {
  const catalog = LmdbCatalog.open(dir, false);
  try {
    return { tables: catalog.names(), records: JSON.stringify(catalog.all()), mapVersion: catalog.mapVersion, generations: catalog.nodeGenerations.slice() };
  } finally {
    void catalog.close();
  }
}

function readTrace(file: string): TraceEntry[] {
  const buf = readFileSync(file);
  const ops: TraceEntry[] = [];
  for (let at = 0; at < buf.length; ) {
    assert.ok(at + traceHeaderBytes <= buf.length, `${file}: a torn operation at ${at}`);
    const length = buf.readUInt32BE(at + 17);
    ops.push({ op: buf[at], t: buf.readBigUInt64BE(at + 1), segment: buf.readUInt32BE(at + 9), offset: buf.readUInt32BE(at + 13), payload: buf.subarray(at + traceHeaderBytes, at + traceHeaderBytes + length) });
    at += traceHeaderBytes + length;
  }
  return ops;
}

interface ImageSources {
  logs: LogTrace[];
  copies: TreeCopy[];
  catalogCopy: string;
  generations: number[];
  workers: number;
}

/**
 * Builds in `dir` the data directory a crash at `cut.t` leaves: the catalog copy, each log's
 * segment files as the trace has them then, each node's last B-tree copy. Returns what it took.
 */
function buildImage(dir: string, cut: Cut, random: Random, sources: ImageSources): string {
  mkdirSync(join(dir, 'catalog'), { recursive: true });
  copyFileSync(join(sources.catalogCopy, 'data.mdb'), join(dir, 'catalog', 'data.mdb'));
  const said: string[] = [];
  for (const log of sources.logs) {
    const { files, tail } = logAt(log.ops, cut, random);
    mkdirSync(join(dir, log.dir), { recursive: true });
    for (const [name, bytes] of files) writeSparse(join(dir, log.dir, name), bytes);
    said.push(`log ${log.dir}: ${[...files.keys()].sort().map(shortName).join(' ')}${tail}`);
  }
  for (let node = 0; node < sources.workers; node++) {
    const generation = sources.generations[node] ?? 0;
    let copy: TreeCopy | null = null;
    for (const c of sources.copies) if (c.node === node && c.generation === generation && c.finished <= cut.t && (copy === null || c.finished > copy.finished)) copy = c;
    if (copy === null) {
      said.push(`node ${node}: no B-tree yet`);
      continue;
    }
    const into = nodeDir(dir, sources.generations, node);
    mkdirSync(into, { recursive: true });
    copyFileSync(join(copy.path, 'data.mdb'), join(into, 'data.mdb'));
    said.push(`node ${node}: ${copy.kind} copy${copy.kind === 'durable' ? ` to LSN ${copy.coveredLsn}` : ''}`);
  }
  return said.join('; ');
}

/**
 * The log's files at `cut.t`: every operation up to the last fdatasync before it in full; of the
 * operations after it, all (a process crash: the page cache survives), or a seeded prefix whose
 * last write may be cut anywhere (a power loss), or each page (4 KiB of the file) of their writes
 * kept or not (a power loss, pages). Creates and retires are durable when they return (the file
 * and the directory are synced). A segment made from a spare starts with the spare's bytes.
 */
/** What the kernel writes back at a time: a power loss keeps each page of an unsynced write, or not. */
const pageBytes = 4096;

function logAt(ops: TraceEntry[], cut: Cut, random: Random): { files: Map<string, Buffer>; tail: string } {
  let end = 0;
  while (end < ops.length && ops[end].t <= cut.t) end++;
  let synced = end;
  while (synced > 0 && ops[synced - 1].op !== TraceOp.Sync) synced--;
  const files = new Map<string, Buffer>();
  for (let i = 0; i < synced; i++) apply(files, ops[i], Infinity);
  const after = ops.slice(synced, end);
  const tailBytes = after.reduce((n, o) => n + (o.op === TraceOp.Write ? o.payload.length : 0), 0);
  let budget = tailBytes;
  if (cut.kind === 'power loss') {
    const r = random.next();
    budget = r < 0.2 ? 0 : r < 0.3 ? tailBytes : random.int(0, tailBytes);
  }
  if (cut.kind === 'power loss, pages') {
    let pages = 0;
    let keptPages = 0;
    for (const op of after) {
      if (op.op !== TraceOp.Write) {
        apply(files, op, Infinity);
        continue;
      }
      const bytes = files.get(segmentFileName(op.segment))!;
      const writeEnd = op.offset + op.payload.length;
      for (let at = op.offset; at < writeEnd; ) {
        const pageEnd = Math.min(writeEnd, (Math.floor(at / pageBytes) + 1) * pageBytes);
        pages++;
        if (random.chance(0.5)) {
          op.payload.copy(bytes, at, at - op.offset, pageEnd - op.offset);
          keptPages++;
        }
        at = pageEnd;
      }
    }
    return { files, tail: pages === 0 ? '' : `, ${keptPages} of ${pages} unsynced pages kept` };
  }
  let kept = 0;
  for (const op of after) {
    if (op.op === TraceOp.Write && budget - kept === 0 && op.payload.length > 0) break;
    kept += apply(files, op, budget - kept);
  }
  return { files, tail: tailBytes === 0 ? '' : `, ${kept} of ${tailBytes} unsynced bytes kept` };
}

/** Applies one traced operation to the files (a write only its first `budget` bytes); returns the bytes written. */
function apply(files: Map<string, Buffer>, op: TraceEntry, budget: number): number {
  const name = segmentFileName(op.segment);
  switch (op.op) {
    case TraceOp.Create: {
      const spare = op.payload.toString();
      if (spare === '') {
        files.set(name, Buffer.alloc(op.offset));
      } else {
        const bytes = files.get(spare);
        assert.ok(bytes !== undefined, `segment ${op.segment} made from ${spare}, which the trace never made`);
        files.delete(spare);
        files.set(name, bytes);
      }
      return 0;
    }
    case TraceOp.Write: {
      const bytes = files.get(name);
      assert.ok(bytes !== undefined, `a write to segment ${op.segment}, which does not exist`);
      const n = Math.min(budget, op.payload.length);
      op.payload.copy(bytes, op.offset, 0, n);
      return n;
    }
    case TraceOp.Retire: {
      const bytes = files.get(name);
      assert.ok(bytes !== undefined, `segment ${op.segment} retired, but it does not exist`);
      files.delete(name);
      files.set(`spare-${name}`, bytes);
      return 0;
    }
    default:
      return 0;
  }
}

/** A segment file's name as people read it: 0000000000000002.wal is 2.wal. */
function shortName(name: string): string {
  return name.replace(/0*([0-9a-f]+)\.wal$/, '$1.wal');
}

const zeroChunk = Buffer.alloc(1 << 20);

/** Writes `bytes` to a new file, leaving holes where whole MiB are zero (a fresh segment's rest). */
function writeSparse(path: string, bytes: Buffer): void {
  const fd = openSync(path, 'w');
  try {
    ftruncateSync(fd, bytes.length);
    for (let at = 0; at < bytes.length; at += zeroChunk.length) {
      const n = Math.min(zeroChunk.length, bytes.length - at);
      if (bytes.compare(zeroChunk, 0, n, at, at + n) === 0) continue;
      for (let done = 0; done < n; ) done += writeSync(fd, bytes, at + done, n - done, at + done);
    }
  } finally {
    closeSync(fd);
  }
}

/**
 * With the replicas in agreement: every write acknowledged before `t` is there (a consistent
 * read of its key), with its value or, for a key written again, a later one; every item there was
 * sent before `t`, with the value it was sent with; counters hold each ADD once or not at all.
 * Returns the items a consistent Scan sees.
 */
async function checkImage(client: DynamoDBClient, ledger: Ledger, t: bigint): Promise<{ items: number; summary: string }> {
  const ackedBefore = (s: Sent) => s.acked !== null && s.acked < t;
  // Every acknowledged key, by consistent reads of the keys themselves.
  const mustHave = [...ledger.unique.filter(ackedBefore).map((s) => s.key)];
  for (const [key, list] of [...ledger.big, ...ledger.counters]) if (list.some(ackedBefore)) mustHave.push(key);
  const got = new Map<string, Record<string, AttributeValue>>();
  for (let i = 0; i < mustHave.length; i += 100) {
    let request: Record<string, { Keys: Array<Record<string, AttributeValue>>; ConsistentRead: boolean }> | undefined = {
      [table]: { Keys: mustHave.slice(i, i + 100).map((pk) => ({ pk: { S: pk } })), ConsistentRead: true },
    };
    while (request !== undefined && Object.keys(request).length > 0) {
      const answer = await client.send(new BatchGetItemCommand({ RequestItems: request }));
      for (const item of answer.Responses?.[table] ?? []) got.set(item.pk.S!, item);
      request = answer.UnprocessedKeys as typeof request;
    }
  }
  const missing = mustHave.filter((k) => !got.has(k));
  assert.deepEqual(missing.slice(0, 10), [], `${missing.length} of ${mustHave.length} keys acknowledged before the cut are missing`);

  // Everything there, by a consistent Scan: sent before the cut, with its own value.
  const items = new Map<string, Record<string, AttributeValue>>();
  let esk: Record<string, AttributeValue> | undefined;
  do {
    const page = await client.send(new ScanCommand({ TableName: table, ConsistentRead: true, ExclusiveStartKey: esk }));
    for (const item of page.Items ?? []) items.set(item.pk.S!, item);
    esk = page.LastEvaluatedKey;
  } while (esk !== undefined);
  const unique = new Map(ledger.unique.map((s) => [s.key, s]));
  let ackedWrites = ledger.unique.filter(ackedBefore).length;
  let unacknowledgedSeen = 0;
  for (const [pk, item] of items) {
    const s = unique.get(pk);
    if (s !== undefined) {
      assert.ok(s.sent < t, `item ${pk} was sent ${Number(s.sent - t) / 1e6} ms after the cut`);
      assert.equal(item.v?.S, pk, `item ${pk} holds ${JSON.stringify(item)}`);
      if (!ackedBefore(s)) unacknowledgedSeen++;
      continue;
    }
    const big = ledger.big.get(pk);
    if (big !== undefined) {
      const n = Number(item.n?.N);
      const w = big.find((b) => b.n === n);
      assert.ok(w !== undefined && w.sent < t, `${pk} holds version ${item.n?.N}, ${w === undefined ? 'never sent' : `sent ${Number(w.sent - t) / 1e6} ms after the cut`}`);
      assert.ok(item.pad?.S === bigPad(pk, n), `${pk} version ${n}: its padding is not what was sent`);
      const lastAcked = big.filter(ackedBefore).at(-1);
      assert.ok(lastAcked === undefined || n >= lastAcked.n, `${pk} holds version ${n}, older than version ${lastAcked?.n} acknowledged before the cut`);
      if (lastAcked === undefined || n > lastAcked.n) unacknowledgedSeen++;
      continue;
    }
    const counter = ledger.counters.get(pk);
    assert.ok(counter !== undefined, `item ${pk} was never written`);
    const ops = new Set(item.ops?.SS ?? []);
    // Each ADD adds 1 and its own id together: n equal to the ids' count means none applied twice or in part.
    assert.equal(Number(item.n?.N ?? 0), ops.size, `${pk} is ${item.n?.N} after ${ops.size} distinct ADDs`);
    const lost = counter.filter((s) => ackedBefore(s) && !ops.has(String(s.n))).map((s) => s.n);
    assert.deepEqual(lost, [], `acknowledged ADDs to ${pk} lost`);
    const sentBefore = new Set(counter.filter((s) => s.sent < t).map((s) => String(s.n)));
    const late = [...ops].filter((op) => !sentBefore.has(op));
    assert.deepEqual(late, [], `ADDs to ${pk} sent after the cut, or never`);
    unacknowledgedSeen += counter.filter((s) => ops.has(String(s.n)) && !ackedBefore(s)).length;
  }
  for (const list of [...ledger.big.values(), ...ledger.counters.values()]) ackedWrites += list.filter(ackedBefore).length;
  return { items: items.size, summary: `${ackedWrites} writes acknowledged before the cut, all there; ${items.size} items; ${unacknowledgedSeen} writes not acknowledged before the cut there too` };
}
