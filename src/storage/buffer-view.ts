// lmdb-js and Buffer's text codecs take Buffers; ring frames and decoded binary values are
// plain Uint8Arrays. A Buffer over the same bytes, read and never written through.

/**
 * V8 keeps a typed array of up to 64 bytes made by `new Uint8Array(n)` or `slice` (keys, range
 * bounds) inside its heap; asking for its `.buffer`, as a view must, first moves it out: about
 * 770 ns, where copying 40 bytes into node's pool takes about 80 (measured on this machine).
 * Such short arrays are copied; longer ones are viewed.
 */
const copiedBytesMax = 64;

export function bufferView(bytes: Uint8Array): Buffer {
  if (Buffer.isBuffer(bytes)) return bytes;
  if (bytes.byteLength <= copiedBytesMax) return Buffer.from(bytes);
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
