// compareKeys orders keys exactly as Buffer.compare (LMDB's order): short and long keys, shared
// prefixes shorter and longer than the part it compares itself, prefixes of each other.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compareKeys } from '../../src/storage/compare-keys.ts';
import { Random } from '../replication/sim/random.ts';

test('compareKeys has the sign of Buffer.compare', () => {
  const random = new Random(5);
  const keys: Buffer[] = [Buffer.alloc(0)];
  for (let n = 0; n < 400; n++) {
    const base = n > 0 && random.chance(0.5) ? keys[random.int(0, keys.length - 1)] : Buffer.alloc(0);
    // A key alike another for a prefix of any length (0 to 40 bytes), then its own bytes from a small alphabet.
    const shared = base.subarray(0, random.int(0, base.length));
    const own = Buffer.from(Array.from({ length: random.int(0, 40) }, () => random.int(0, 3) * 85));
    keys.push(Buffer.concat([shared, own]));
  }
  for (const a of keys) {
    for (const b of keys) {
      const expected = Buffer.compare(a, b);
      assert.equal(compareKeys(a, b), expected, `${a.toString('hex')} vs ${b.toString('hex')}`);
      assert.equal(compareKeys(new Uint8Array(a), new Uint8Array(b)), expected);
    }
  }
});
