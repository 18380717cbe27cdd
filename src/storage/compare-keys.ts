// Byte order of storage keys, as LMDB sorts them. Keys start with a 4-byte hash of the partition
// key, so two keys nearly always differ in their first bytes: a JavaScript loop over those is
// about 3× cheaper than Buffer.compare, a native call; keys alike past the first 16 bytes (one
// partition key's items) are left to Buffer.compare, which is faster over long runs.
const prefixBytes = 16;

export function compareKeys(a: Uint8Array, b: Uint8Array): number {
  const n = a.length < b.length ? a.length : b.length;
  const m = n < prefixBytes ? n : prefixBytes;
  for (let i = 0; i < m; i++) {
    const d = a[i] - b[i];
    if (d !== 0) return d < 0 ? -1 : 1;
  }
  if (m === n) return a.length === b.length ? 0 : a.length < b.length ? -1 : 1;
  return Buffer.compare(a, b);
}
