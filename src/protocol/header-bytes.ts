// Header names and values handed to uWebSockets.js as bytes. For a string argument it makes a
// heap-allocated UTF-8 copy on every call (v8's String::Utf8Value: a length pass, malloc, a
// write pass, free); bytes it reads in place. A response writes five headers and a request
// reads as many, so the answer path passes bytes wherever the text is fixed or can be written
// into a buffer kept for it. uWebSockets.js copies what it is given before the call returns:
// the scratch buffers below are reused by the next call.

const encoder = new TextEncoder();

/** A fixed header name or value, encoded once. */
export function headerBytes(text: string): ArrayBuffer {
  return encoder.encode(text).buffer as ArrayBuffer;
}

const digitsMax = 10; // 2^32 - 1 has 10 decimal digits
const digits = new ArrayBuffer(digitsMax);
const digitBytes = new Uint8Array(digits);
/** digitViews[n]: the last n bytes of `digits`, where a number of n digits is written. */
const digitViews = Array.from({ length: digitsMax + 1 }, (_, n) => new Uint8Array(digits, digitsMax - n, n));

/** An unsigned 32-bit number's decimal digits (as String(value) has them), valid until the next call. */
export function decimalBytes(value: number): Uint8Array {
  if (!Number.isInteger(value) || value < 0 || value > 0xffffffff) throw new RangeError(`decimalBytes: ${value} is not an unsigned 32-bit number`);
  let rest = value;
  let at = digitsMax;
  do {
    const next = Math.floor(rest / 10);
    digitBytes[--at] = 0x30 + (rest - next * 10);
    rest = next;
  } while (rest > 0);
  return digitViews[digitsMax - at];
}

/** Header names other code asks for by text (the signed headers), encoded once each; bounded, as a client picks them. */
const namedBytes = new Map<string, ArrayBuffer>();
const namedBytesMax = 256;

/** `name` as bytes for uWebSockets.js, from the cache when it has been asked for before. */
export function headerNameBytes(name: string): ArrayBuffer {
  let bytes = namedBytes.get(name);
  if (bytes === undefined) {
    bytes = headerBytes(name);
    if (namedBytes.size < namedBytesMax) namedBytes.set(name, bytes);
  }
  return bytes;
}
