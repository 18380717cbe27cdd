// Tells the native addons' loader which C library this Node.js uses, once, before any thread
// loads one. lmdb, msgpackr-extract and cbor-extract find their prebuilt binary through
// node-gyp-build-optional-packages, which otherwise asks detect-libc in every thread: that
// loads child_process, net and dgram into each of the four threads (about 2 MB of heap and a
// few ms of start-up each). It honours the LIBC environment variable (glibc or musl), which
// worker threads inherit; a value already set is left alone.
import { closeSync, openSync, readSync } from 'node:fs';

/** The ELF interpreter of the running node binary names its C library, as detect-libc reads it first. */
export function libcFamilyOfNode(): 'glibc' | 'musl' | null {
  if (process.platform !== 'linux') return null;
  let fd: number | undefined;
  try {
    fd = openSync('/proc/self/exe', 'r');
    const header = Buffer.alloc(64);
    readSync(fd, header, 0, 64, 0);
    // ELF64, little-endian: the program headers hold PT_INTERP (type 3), the interpreter's path.
    if (header.readUInt32BE(0) !== 0x7f454c46 || header[4] !== 2 || header[5] !== 1) return null;
    const tableOffset = Number(header.readBigUInt64LE(0x20));
    const entryBytes = header.readUInt16LE(0x36);
    const entries = header.readUInt16LE(0x38);
    const table = Buffer.alloc(entryBytes * entries);
    readSync(fd, table, 0, table.length, tableOffset);
    for (let i = 0; i < entries; i++) {
      const entry = i * entryBytes;
      if (table.readUInt32LE(entry) !== 3) continue;
      const path = Buffer.alloc(Math.min(Number(table.readBigUInt64LE(entry + 32)), 256));
      readSync(fd, path, 0, path.length, Number(table.readBigUInt64LE(entry + 8)));
      const interpreter = path.toString('latin1');
      if (interpreter.includes('musl')) return 'musl';
      if (interpreter.includes('ld-linux')) return 'glibc';
      return null;
    }
    return null;
  } catch {
    return null; // leave it to detect-libc
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** Sets LIBC for this process and the threads it starts next, unless it is set or unknown. */
export function presetLibcFamily(): void {
  if (process.env.LIBC !== undefined) return;
  const family = libcFamilyOfNode();
  if (family !== null) process.env.LIBC = family;
}
