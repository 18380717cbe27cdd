// cbor-x encoding of ring messages: plain objects, arrays, strings, numbers, booleans, null
// and Uint8Array, with no record structures (each frame is self-contained, so frames can move
// between threads without any shared encoder state).
//
// Options, measured with tinybench (see native-free-bench/rings.bench.ts and the commit log):
// variableMapSize writes the smallest map header (fixmap for < 24 keys) and was no slower than
// the default map16 header; useRecords: true (records defined per frame) and bundleStrings
// were 30-60 % slower and larger for one-off messages; tagUint8Array: false sends binary as a
// plain CBOR byte string.
//
// One exact-round-trip hazard handled here: cbor-x's decoder renames a map key "__proto__" to
// "__proto_" (prototype-pollution guard), but "__proto__" is a legal DynamoDB attribute name.
// The encoder reports every key it writes to a hook; a message with a "__proto__" key anywhere
// is re-encoded as ESCAPE_TAG(copy with keys /^~*__proto__$/ prefixed by one "~"), and the
// decoder undoes it, defining "__proto__" as an own data property as JSON.parse does. Messages
// without such a key (all but adversarial ones) pay one string compare per key.
import { Decoder, Encoder, Tag } from 'cbor-x';

/** CBOR tag marking a frame whose keys were escaped. Header: d9 4d 44. Outside every tag range
 * cbor-x interprets itself (its packed-value ranges include 27647..32767). */
const ESCAPE_TAG = 0x4d44;
const PROTO_KEY = '__proto__';
const ESCAPABLE_KEY = /^~*__proto__$/;
const ESCAPED_KEY = /^~+__proto__$/;

let sawProtoKey = false;

const encoder = new Encoder({
  useRecords: false,
  mapsAsObjects: true,
  variableMapSize: true,
  tagUint8Array: false,
});
// cbor-x calls encodeKey(key) for every object key when keyMap is truthy (an empty map maps
// nothing). The decoder is a separate instance so that decoding never consults keyMap.
interface KeyHookedEncoder {
  keyMap: object;
  encodeKey(key: string): string;
}
(encoder as unknown as KeyHookedEncoder).keyMap = {};
(encoder as unknown as KeyHookedEncoder).encodeKey = watchKey;
function watchKey(key: string): string {
  if (key === PROTO_KEY) sawProtoKey = true;
  return key;
}

const decoder = new Decoder({ useRecords: false, mapsAsObjects: true });

/**
 * Encodes one ring message. The result is a Uint8Array (a Node Buffer view into cbor-x's
 * output chunk); later encodes never overwrite it, so it may be queued, but not modified.
 */
export function encodeFrame(message: unknown): Uint8Array {
  sawProtoKey = false;
  const bytes = encoder.encode(message);
  if (!sawProtoKey) return bytes;
  sawProtoKey = false;
  return encoder.encode(new Tag(escapeKeys(message), ESCAPE_TAG));
}

/**
 * Decodes one frame made by encodeFrame. Binary values come back as plain Uint8Array (never
 * Buffer) viewing `bytes`' memory, with no copy: `bytes` must not be modified afterwards, and
 * must not be backed by a SharedArrayBuffer (SpscRing.tryRead already returns a private copy).
 */
export function decodeFrame(bytes: Uint8Array): unknown {
  // A Buffer source would make cbor-x return Buffer views; a plain view makes them Uint8Array.
  const source = bytes.constructor === Uint8Array ? bytes : new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const message: unknown = decoder.decode(source);
  if (source.length >= 3 && source[0] === 0xd9 && source[1] === ESCAPE_TAG >> 8 && source[2] === (ESCAPE_TAG & 0xff)) {
    return unescapeKeys((message as Tag).value);
  }
  return message;
}

function isMap(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !ArrayBuffer.isView(value);
}

function escapeKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(escapeKeys);
  if (!isMap(value)) return value;
  const copy: Record<string, unknown> = {};
  for (const key of Object.keys(value)) {
    copy[ESCAPABLE_KEY.test(key) ? '~' + key : key] = escapeKeys(value[key]);
  }
  return copy;
}

function unescapeKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(unescapeKeys);
  if (!isMap(value)) return value;
  const copy: Record<string, unknown> = {};
  for (const key of Object.keys(value)) {
    const inner = unescapeKeys(value[key]);
    if (ESCAPED_KEY.test(key)) {
      // defineProperty, because assigning to "__proto__" would set the prototype instead.
      Object.defineProperty(copy, key.slice(1), { value: inner, enumerable: true, writable: true, configurable: true });
    } else {
      copy[key] = inner;
    }
  }
  return copy;
}

// Fail at start-up, not with silently renamed attributes, if a cbor-x upgrade stops calling
// the key hook.
const protoProbe = decodeFrame(encodeFrame(JSON.parse('{"__proto__":1}'))) as Record<string, unknown>;
if (!Object.prototype.hasOwnProperty.call(protoProbe, PROTO_KEY) || protoProbe[PROTO_KEY] !== 1) {
  throw new Error('frame-codec: cbor-x no longer reports object keys to encodeKey; "__proto__" keys would be renamed');
}
