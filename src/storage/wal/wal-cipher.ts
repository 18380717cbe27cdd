// Encryption at rest of the write-ahead log's payloads, alike the B-tree's pages (lmdb-js's
// encryptionKey): ChaCha20-Poly1305, keyed from the configured key, with the record's LSN as the
// nonce (an LSN is never reused: segment numbers only grow). The header stays clear (the reader
// needs it to find records); the payload carries its authentication tag.
import { createCipheriv, createDecipheriv, createHash } from 'node:crypto';

const tagBytes = 16;

export class WalCipher {
  readonly overheadBytes = tagBytes;
  private readonly key: Buffer;

  /** `secret`: the key the B-tree is encrypted with; the log's key is derived from it. */
  constructor(secret: string) {
    this.key = createHash('sha256').update('monodyne write-ahead log\0').update(secret).digest();
  }

  seal(lsn: number, payload: Uint8Array): Buffer {
    const cipher = createCipheriv('chacha20-poly1305', this.key, nonce(lsn), { authTagLength: tagBytes });
    const body = cipher.update(payload);
    cipher.final();
    return Buffer.concat([body, cipher.getAuthTag()]);
  }

  /** The payload of the record at `lsn`; throws if it does not authenticate (another key, or damage). */
  open(lsn: number, sealed: Uint8Array): Buffer {
    const decipher = createDecipheriv('chacha20-poly1305', this.key, nonce(lsn), { authTagLength: tagBytes });
    decipher.setAuthTag(sealed.subarray(sealed.length - tagBytes));
    const body = decipher.update(sealed.subarray(0, sealed.length - tagBytes));
    decipher.final();
    return body;
  }
}

function nonce(lsn: number): Buffer {
  const n = Buffer.alloc(12);
  n.writeUInt32BE(Math.floor(lsn / 2 ** 32), 4);
  n.writeUInt32BE(lsn >>> 0, 8);
  return n;
}
