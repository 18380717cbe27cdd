// Router ⇄ storage node frames. The two most frequent messages, a GetItem request and a plain
// Ok answer (an item or a write's Attributes as JSON text, or nothing), have a fixed binary
// layout: one read costs a few field writes instead of a cbor-x map walk on both threads.
// Every other message is a cbor-x frame (frame-codec.ts). A cbor-x frame of a message object
// starts with a map or tag header (≥ 0xa0), so a first byte below 0x20 marks a compact frame.
//
// Compact layouts (little-endian):
//   Get request   [0x01][flags: 1 = consistent, 2 = refused if a transaction holds it][id u32][p u32][v u32][t length u16][t utf8][k bytes…]
//   Ok answer     [0x02][flags: 1 = item present][id u32][n u32][item utf8…]
import { decodeFrame, encodeFrame } from '../rings/frame-codec.ts';
import { bufferView } from './buffer-view.ts';
import { Op, Status, type GetRequest, type StorageRequest, type StorageResponse } from './messages.ts';

const GET_REQUEST = 0x01;
const OK_ANSWER = 0x02;
const COMPACT_TAG_MAX = 0x1f;

const getHeaderBytes = 16;
const okHeaderBytes = 10;
const tableIdBytesMax = 0xffff;

function isUint32(n: unknown): n is number {
  return typeof n === 'number' && n >>> 0 === n;
}

export function encodeRequest(req: StorageRequest): Uint8Array {
  if (req.op === Op.Get && isUint32(req.id) && isUint32(req.p) && isUint32(req.v)) return encodeGet(req);
  return encodeFrame(req);
}

export function decodeRequest(bytes: Uint8Array): StorageRequest {
  if (bytes.length > 0 && bytes[0] === GET_REQUEST) return decodeGet(bytes);
  checkNotCompact(bytes);
  return decodeFrame(bytes) as StorageRequest;
}

export function encodeResponse(res: StorageResponse): Uint8Array {
  if (isPlainOk(res)) return encodeOk(res);
  return encodeFrame(res);
}

export function decodeResponse(bytes: Uint8Array): StorageResponse {
  if (bytes.length > 0 && bytes[0] === OK_ANSWER) return decodeOk(bytes);
  checkNotCompact(bytes);
  return decodeFrame(bytes) as StorageResponse;
}

/** Only id, s = Ok, item (text or null) and n: GetItem's and the writes' answers. */
function isPlainOk(res: StorageResponse): boolean {
  if (res.s !== Status.Ok || !isUint32(res.id) || !isUint32(res.n ?? 0)) return false;
  if (res.item !== undefined && res.item !== null && typeof res.item !== 'string') return false;
  for (const key in res) {
    if (key !== 'id' && key !== 's' && key !== 'item' && key !== 'n') return false;
  }
  return true;
}

function encodeGet(req: GetRequest): Uint8Array {
  const tableBytes = Buffer.byteLength(req.t, 'utf8');
  if (tableBytes > tableIdBytesMax) return encodeFrame(req);
  const out = Buffer.allocUnsafe(getHeaderBytes + tableBytes + req.k.length);
  out[0] = GET_REQUEST;
  out[1] = (req.c ? 1 : 0) | (req.tl === true ? 2 : 0);
  out.writeUInt32LE(req.id, 2);
  out.writeUInt32LE(req.p, 6);
  out.writeUInt32LE(req.v, 10);
  out.writeUInt16LE(tableBytes, 14);
  out.write(req.t, getHeaderBytes, tableBytes, 'utf8');
  out.set(req.k, getHeaderBytes + tableBytes);
  return out;
}

function decodeGet(bytes: Uint8Array): GetRequest {
  const view = bufferView(bytes);
  if (view.length < getHeaderBytes) throw new Error('compact Get frame shorter than its header');
  const tableEnd = getHeaderBytes + view.readUInt16LE(14);
  if (tableEnd > view.length) throw new Error('compact Get frame shorter than its table id');
  const req: GetRequest = {
    id: view.readUInt32LE(2),
    op: Op.Get,
    t: view.toString('utf8', getHeaderBytes, tableEnd),
    p: view.readUInt32LE(6),
    v: view.readUInt32LE(10),
    // A plain Uint8Array over the private frame copy, as decodeFrame hands out binary values.
    k: new Uint8Array(bytes.buffer, bytes.byteOffset + tableEnd, bytes.length - tableEnd),
    c: (view[1] & 1) === 1,
  };
  if ((view[1] & 2) === 2) req.tl = true;
  return req;
}

function encodeOk(res: StorageResponse): Uint8Array {
  const item = res.item;
  const itemBytes = typeof item === 'string' ? Buffer.byteLength(item, 'utf8') : 0;
  const out = Buffer.allocUnsafe(okHeaderBytes + itemBytes);
  out[0] = OK_ANSWER;
  out[1] = typeof item === 'string' ? 1 : 0;
  out.writeUInt32LE(res.id, 2);
  out.writeUInt32LE(res.n ?? 0, 6);
  if (itemBytes > 0) out.write(item as string, okHeaderBytes, itemBytes, 'utf8');
  return out;
}

function decodeOk(bytes: Uint8Array): StorageResponse {
  const view = bufferView(bytes);
  if (view.length < okHeaderBytes) throw new Error('compact Ok frame shorter than its header');
  return {
    id: view.readUInt32LE(2),
    s: Status.Ok,
    item: (view[1] & 1) === 1 ? view.toString('utf8', okHeaderBytes, view.length) : null,
    n: view.readUInt32LE(6),
  };
}

/** A compact tag this version does not know would otherwise be misread as CBOR. */
function checkNotCompact(bytes: Uint8Array): void {
  if (bytes.length > 0 && bytes[0] <= COMPACT_TAG_MAX) throw new Error(`unknown compact frame tag ${bytes[0]}`);
}
