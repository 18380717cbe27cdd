// HMAC-SHA256 under one fixed key, for SigV4's last step (the signature over the string to
// sign). With the key's inner and outer pads computed once, an HMAC is two one-shot
// crypto.hash calls over reused buffers: about half the cost of createHmac, which builds a
// native Hmac object per request.
import * as nodeCrypto from 'node:crypto';
import { createHmac } from 'node:crypto';

type OneShotHash = (algorithm: string, data: Uint8Array, encoding: 'hex' | 'latin1') => string;
/** crypto.hash exists from Node 20.12; older Nodes take createHmac. */
const oneShot = (nodeCrypto as unknown as { hash?: OneShotHash }).hash;

const blockBytes = 64;
const digestBytes = 32;
/** Messages up to this many UTF-8 bytes use the pads; a string to sign is ~150. */
const messageBytesMax = 1024;

export class HmacSha256Key {
  readonly key: Buffer;
  /** key ⊕ ipad, followed by room for the message. */
  private readonly inner: Buffer | null;
  /** key ⊕ opad, followed by the inner digest. */
  private readonly outer: Buffer | null;
  /** inner's first bytes as last hashed: strings to sign under one key are all of one length. */
  private innerView: Buffer | null = null;

  constructor(key: Buffer) {
    if (key.length > blockBytes) throw new RangeError('an HMAC key longer than the block must be hashed first');
    this.key = key;
    if (oneShot === undefined) {
      this.inner = null;
      this.outer = null;
      return;
    }
    this.inner = Buffer.alloc(blockBytes + messageBytesMax);
    this.outer = Buffer.alloc(blockBytes + digestBytes);
    for (let i = 0; i < blockBytes; i++) {
      const k = i < key.length ? key[i] : 0;
      this.inner[i] = k ^ 0x36;
      this.outer[i] = k ^ 0x5c;
    }
  }

  /** HMAC-SHA256(key, message) as 64 lower-case hex characters. */
  hex(message: string): string {
    const inner = this.inner;
    const outer = this.outer;
    if (inner === null || outer === null || message.length * 3 > messageBytesMax) {
      return createHmac('sha256', this.key).update(message).digest('hex');
    }
    const length = inner.write(message, blockBytes, 'utf8');
    let view = this.innerView;
    if (view === null || view.length !== blockBytes + length) this.innerView = view = inner.subarray(0, blockBytes + length);
    // latin1 text of the digest is its bytes one for one, written back as bytes.
    outer.write(oneShot!('sha256', view, 'latin1'), blockBytes, 'latin1');
    return oneShot!('sha256', outer, 'hex');
  }
}
