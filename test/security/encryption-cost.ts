// Measures what encryption at rest costs: the same puts (group-committed write transactions,
// as a storage node does) and gets against one LMDB environment with and without lmdb-js's
// encryptionKey, in the same run, alternating rounds so both see the same machine state.
// Run: node --import tsx test/security/encryption-cost.ts [items] [rounds]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { open } from 'lmdb';

const items = Number(process.argv[2] ?? 20_000);
const rounds = Number(process.argv[3] ?? 3);
const valueBytes = Number(process.argv[4] ?? 200);
/** Items per write transaction: a storage node commits what it drained from its ring together. */
const batch = 64;

interface Figures {
  putMs: number;
  getMs: number;
}

function runOnce(encryptionKey: string | undefined, sync: boolean): Figures {
  const dir = mkdtempSync(join(tmpdir(), 'monodyne-enc-cost-'));
  // A storage node's environment, opened as its B-tree (lmdb-tree.ts) opens it (synced or not, encrypted or not).
  const root = open({ path: join(dir, 'node'), maxDbs: 16, mapSize: 1 << 30, noSync: !sync, overlappingSync: false, compression: false, cache: false, ...(encryptionKey ? { encryptionKey } : {}) });
  const data = root.openDB<Buffer, Buffer>({ name: 'd:bench', keyEncoding: 'binary', encoding: 'binary' });
  const store = { writeTransaction: (fn: () => void) => root.transactionSync(fn), close: () => root.close() };
  const value = randomBytes(valueBytes);
  const keys = Array.from({ length: items }, (_, i) => Buffer.from(`user#${String(i).padStart(8, '0')}`));
  let t = performance.now();
  for (let i = 0; i < items; i += batch) {
    store.writeTransaction(() => {
      for (let j = i; j < Math.min(items, i + batch); j++) data.putSync(keys[j], value);
    });
  }
  const putMs = performance.now() - t;
  t = performance.now();
  let bytes = 0;
  for (let i = 0; i < items; i++) bytes += data.getBinary(keys[(i * 7919) % items])!.length;
  const getMs = performance.now() - t;
  if (bytes !== items * valueBytes) throw new Error('read back the wrong bytes');
  void store.close();
  rmSync(dir, { recursive: true, force: true });
  return { putMs, getMs };
}

const key = randomBytes(24).toString('base64'); // 32 ASCII characters, as lmdb-js takes it
for (const sync of [false, true]) {
  const plain: Figures[] = [];
  const encrypted: Figures[] = [];
  runOnce(undefined, sync); // warm up
  runOnce(key, sync);
  for (let r = 0; r < rounds; r++) {
    plain.push(runOnce(undefined, sync));
    encrypted.push(runOnce(key, sync));
  }
  const median = (xs: number[]) => xs.slice().sort((a, b) => a - b)[xs.length >> 1];
  const p = { put: median(plain.map((f) => f.putMs)), get: median(plain.map((f) => f.getMs)) };
  const e = { put: median(encrypted.map((f) => f.putMs)), get: median(encrypted.map((f) => f.getMs)) };
  const perOp = (ms: number) => `${((ms * 1000) / items).toFixed(2)} µs`;
  console.log(
    `sync=${sync} items=${items} batch=${batch} value=${valueBytes}B: ` +
      `put ${perOp(p.put)} plain vs ${perOp(e.put)} encrypted (x${(e.put / p.put).toFixed(2)}); ` +
      `get ${perOp(p.get)} plain vs ${perOp(e.get)} encrypted (x${(e.get / p.get).toFixed(2)})`,
  );
}
