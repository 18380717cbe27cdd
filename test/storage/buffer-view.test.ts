import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bufferView } from '../../src/storage/buffer-view.ts';

test('bufferView: a Buffer as it is, the same bytes for short arrays, a view of longer ones', () => {
  const buffer = Buffer.from('a key');
  assert.equal(bufferView(buffer), buffer);
  for (const length of [0, 1, 40, 64, 65, 300]) {
    const bytes = Uint8Array.from({ length }, (_, i) => (i * 7) & 0xff);
    const made = bufferView(bytes);
    assert.ok(Buffer.isBuffer(made));
    assert.deepEqual([...made], [...bytes], `${length} bytes`);
  }
  // Past 64 bytes it is a view: no copy of a ring frame or a page.
  const frame = new Uint8Array(new ArrayBuffer(1000), 100, 500);
  const view = bufferView(frame);
  frame[0] = 42;
  assert.equal(view[0], 42);
  assert.equal(view.buffer, frame.buffer);
});
