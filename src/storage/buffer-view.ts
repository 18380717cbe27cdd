// lmdb-js and Buffer's text codecs take Buffers; ring frames and decoded binary values are
// plain Uint8Arrays. A view over the same memory, never a copy.

export function bufferView(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
