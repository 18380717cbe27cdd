// Router ⇄ storage node frames. The most frequent messages have a fixed binary layout: a GetItem
// request and a plain Ok answer (GetItem's item as its stored JSON bytes, or a write's Attributes
// as JSON text, or nothing), a Query or Scan request and its page. One read costs a few field
// writes instead of a cbor-x map walk on both threads, and item bytes are copied, never
// re-encoded. Every other message is a cbor-x frame (frame-codec.ts). A cbor-x frame of a message
// object starts with a map or tag header (≥ 0xa0), so a first byte below 0x20 marks a compact frame.
//
// Compact layouts (little-endian; "bytes" is a u32 length and the bytes):
//   Get request   [0x01][flags: 1 = consistent, 2 = refused if a transaction holds it][id u32][p u32][v u32][t length u16][t utf8][k bytes…]
//   Ok answer     [0x02][flags: 1 = item text, 2 = json bytes, 4 = json null][id u32][n u32][item utf8 or json bytes…]
//   Range request [0x03][op u8][flags u16: RangeFlag][id u32][p u32][v u32][lim u32][max u32][jm u32][t length u16][t utf8]
//                 [lo bytes][hi bytes]?[pre bytes]?[tag bytes]?[kn names][tk names]?[x bytes: a cbor-x frame]?
//                 (names: [count u16] then each [length u16][utf8])
//   Page answer   [0x04][flags: 1 = last, 2 = he][id u32][count u32][scanned u32][n u32][he f64][last bytes: JSON][items bytes…]
import { decodeFrame, encodeFrame } from '../rings/frame-codec.ts';
import { bufferView } from './buffer-view.ts';
import { Op, Status, type GetRequest, type RangeExpressions, type RangeRequest, type StorageRequest, type StorageResponse } from './messages.ts';
import type { Item } from '../values/types.ts';

const GET_REQUEST = 0x01;
const OK_ANSWER = 0x02;
const RANGE_REQUEST = 0x03;
const PAGE_ANSWER = 0x04;
const COMPACT_TAG_MAX = 0x1f;

const getHeaderBytes = 16;
const okHeaderBytes = 10;
const rangeHeaderBytes = 28;
const pageHeaderBytes = 26;
const tableIdBytesMax = 0xffff;
const namesMax = 0xffff;

const OkFlag = { Item: 1, Json: 2, JsonNull: 4 } as const;
const RangeFlag = { LoInc: 1, HiInc: 2, Rev: 4, Consistent: 8, Count: 16, FollowerData: 32, Hi: 64, Pre: 128, Tag: 256, TableKeys: 512, Expressions: 1024 } as const;
const PageFlag = { Last: 1, HashEnd: 2 } as const;

function isUint32(n: unknown): n is number {
  return typeof n === 'number' && n >>> 0 === n;
}

export function encodeRequest(req: StorageRequest): Uint8Array {
  if (req.op === Op.Get) {
    if (isUint32(req.id) && isUint32(req.p) && isUint32(req.v)) return encodeGet(req);
  } else if (req.op === Op.Query || req.op === Op.Scan) {
    if (fitsRangeLayout(req)) return encodeRange(req);
  }
  return encodeFrame(req);
}

export function decodeRequest(bytes: Uint8Array): StorageRequest {
  if (bytes.length > 0) {
    if (bytes[0] === GET_REQUEST) return decodeGet(bytes);
    if (bytes[0] === RANGE_REQUEST) return decodeRange(bytes);
  }
  checkNotCompact(bytes);
  return decodeFrame(bytes) as StorageRequest;
}

export function encodeResponse(res: StorageResponse): Uint8Array {
  if (isPlainOk(res)) return encodeOk(res);
  if (isPlainPage(res)) return encodePage(res);
  return encodeFrame(res);
}

export function decodeResponse(bytes: Uint8Array): StorageResponse {
  if (bytes.length > 0) {
    if (bytes[0] === OK_ANSWER) return decodeOk(bytes);
    if (bytes[0] === PAGE_ANSWER) return decodePage(bytes);
  }
  checkNotCompact(bytes);
  return decodeFrame(bytes) as StorageResponse;
}

/** Only id, s = Ok, n and either item (text or null) or json (bytes or null): GetItem's and the writes' answers. */
function isPlainOk(res: StorageResponse): boolean {
  if (res.s !== Status.Ok || !isUint32(res.id) || !isUint32(res.n ?? 0)) return false;
  if (res.item !== undefined && res.item !== null && typeof res.item !== 'string') return false;
  if (res.json !== undefined && (res.item !== undefined || (res.json !== null && !(res.json instanceof Uint8Array)))) return false;
  for (const key in res) {
    if (key !== 'id' && key !== 's' && key !== 'item' && key !== 'json' && key !== 'n') return false;
  }
  return true;
}

/** Only id, s = Ok, items (bytes), count, scanned, last, n and he: a Query or Scan page. */
function isPlainPage(res: StorageResponse): boolean {
  if (res.s !== Status.Ok || !isUint32(res.id) || !(res.items instanceof Uint8Array)) return false;
  if (!isUint32(res.count) || !isUint32(res.scanned) || !isUint32(res.n ?? 0) || (res.he !== undefined && typeof res.he !== 'number')) return false;
  for (const key in res) {
    if (key !== 'id' && key !== 's' && key !== 'items' && key !== 'count' && key !== 'scanned' && key !== 'last' && key !== 'n' && key !== 'he') return false;
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
  const json = res.json;
  const itemBytes = typeof item === 'string' ? Buffer.byteLength(item, 'utf8') : json != null ? json.length : 0;
  const out = Buffer.allocUnsafe(okHeaderBytes + itemBytes);
  out[0] = OK_ANSWER;
  out[1] = typeof item === 'string' ? OkFlag.Item : json != null ? OkFlag.Json : json === null ? OkFlag.JsonNull : 0;
  out.writeUInt32LE(res.id, 2);
  out.writeUInt32LE(res.n ?? 0, 6);
  if (typeof item === 'string') {
    if (itemBytes > 0) out.write(item, okHeaderBytes, itemBytes, 'utf8');
  } else if (json != null) {
    out.set(json, okHeaderBytes);
  }
  return out;
}

function decodeOk(bytes: Uint8Array): StorageResponse {
  const view = bufferView(bytes);
  if (view.length < okHeaderBytes) throw new Error('compact Ok frame shorter than its header');
  const flags = view[1];
  if ((flags & (OkFlag.Json | OkFlag.JsonNull)) !== 0) {
    // A view of the private frame copy: the item's bytes go on to the client without another copy.
    return { id: view.readUInt32LE(2), s: Status.Ok, json: (flags & OkFlag.Json) !== 0 ? view.subarray(okHeaderBytes) : null, n: view.readUInt32LE(6) };
  }
  return {
    id: view.readUInt32LE(2),
    s: Status.Ok,
    item: (flags & OkFlag.Item) !== 0 ? view.toString('utf8', okHeaderBytes, view.length) : null,
    n: view.readUInt32LE(6),
  };
}

function fitsRangeLayout(req: RangeRequest): boolean {
  return isUint32(req.id) && isUint32(req.p) && isUint32(req.v) && isUint32(req.lim) && isUint32(req.max) && isUint32(req.jm) && req.kn.length <= namesMax && (req.tk === undefined || req.tk.length <= namesMax);
}

function namesBytes(names: readonly string[]): number {
  let bytes = 2;
  for (let i = 0; i < names.length; i++) bytes += 2 + Buffer.byteLength(names[i], 'utf8');
  return bytes;
}

function encodeRange(req: RangeRequest): Uint8Array {
  const tableBytes = Buffer.byteLength(req.t, 'utf8');
  if (tableBytes > tableIdBytesMax) return encodeFrame(req);
  for (const name of req.kn) if (Buffer.byteLength(name, 'utf8') > 0xffff) return encodeFrame(req);
  if (req.tk !== undefined) for (const name of req.tk) if (Buffer.byteLength(name, 'utf8') > 0xffff) return encodeFrame(req);
  // The expressions are rare on the hot path (an exact key range, no filter or projection has none) and nested: cbor-x.
  const x = req.x == null ? null : encodeFrame(req.x);
  let flags = (req.loInc ? RangeFlag.LoInc : 0) | (req.hiInc ? RangeFlag.HiInc : 0) | (req.rev ? RangeFlag.Rev : 0) | (req.c ? RangeFlag.Consistent : 0) | (req.cnt ? RangeFlag.Count : 0);
  let size = rangeHeaderBytes + 2 + tableBytes + 4 + req.lo.length + namesBytes(req.kn);
  if (req.fd === true) flags |= RangeFlag.FollowerData;
  if (req.hi != null) {
    flags |= RangeFlag.Hi;
    size += 4 + req.hi.length;
  }
  if (req.pre != null) {
    flags |= RangeFlag.Pre;
    size += 4 + req.pre.length;
  }
  if (req.tag !== undefined) {
    flags |= RangeFlag.Tag;
    size += 4 + req.tag.length;
  }
  if (req.tk !== undefined) {
    flags |= RangeFlag.TableKeys;
    size += namesBytes(req.tk);
  }
  if (x !== null) {
    flags |= RangeFlag.Expressions;
    size += 4 + x.length;
  }
  const out = Buffer.allocUnsafe(size);
  out[0] = RANGE_REQUEST;
  out[1] = req.op;
  out.writeUInt16LE(flags, 2);
  out.writeUInt32LE(req.id, 4);
  out.writeUInt32LE(req.p, 8);
  out.writeUInt32LE(req.v, 12);
  out.writeUInt32LE(req.lim, 16);
  out.writeUInt32LE(req.max, 20);
  out.writeUInt32LE(req.jm, 24);
  let at = rangeHeaderBytes;
  out.writeUInt16LE(tableBytes, at);
  at += 2 + out.write(req.t, at + 2, tableBytes, 'utf8');
  at = writeBytes(out, at, req.lo);
  if (req.hi != null) at = writeBytes(out, at, req.hi);
  if (req.pre != null) at = writeBytes(out, at, req.pre);
  if (req.tag !== undefined) at = writeBytes(out, at, req.tag);
  at = writeNames(out, at, req.kn);
  if (req.tk !== undefined) at = writeNames(out, at, req.tk);
  if (x !== null) at = writeBytes(out, at, x);
  if (at !== size) throw new Error(`compact Range frame: wrote ${at} of ${size} bytes`);
  return out;
}

function writeBytes(out: Buffer, at: number, bytes: Uint8Array): number {
  out.writeUInt32LE(bytes.length, at);
  out.set(bytes, at + 4);
  return at + 4 + bytes.length;
}

function writeNames(out: Buffer, at: number, names: readonly string[]): number {
  out.writeUInt16LE(names.length, at);
  at += 2;
  for (let i = 0; i < names.length; i++) {
    const written = out.write(names[i], at + 2, 'utf8');
    out.writeUInt16LE(written, at);
    at += 2 + written;
  }
  return at;
}

/** Reads a compact frame's variable fields in order, refusing any that runs past the frame. */
class FieldReader {
  at: number;
  constructor(
    private readonly bytes: Uint8Array,
    private readonly view: Buffer,
    at: number,
    private readonly what: string,
  ) {
    this.at = at;
  }

  private take(length: number): number {
    const start = this.at;
    if (start + length > this.view.length) throw new Error(`compact ${this.what} frame shorter than its fields`);
    this.at = start + length;
    return start;
  }

  /** A plain Uint8Array over the private frame copy, as decodeFrame hands out binary values. */
  bytesField(): Uint8Array {
    const length = this.view.readUInt32LE(this.take(4));
    const start = this.take(length);
    return new Uint8Array(this.bytes.buffer, this.bytes.byteOffset + start, length);
  }

  text(): string {
    const length = this.view.readUInt16LE(this.take(2));
    const start = this.take(length);
    return this.view.toString('utf8', start, start + length);
  }

  names(): string[] {
    const count = this.view.readUInt16LE(this.take(2));
    const names: string[] = [];
    for (let i = 0; i < count; i++) names.push(this.text());
    return names;
  }
}

function decodeRange(bytes: Uint8Array): RangeRequest {
  const view = bufferView(bytes);
  if (view.length < rangeHeaderBytes) throw new Error('compact Range frame shorter than its header');
  const op = view[1];
  if (op !== Op.Query && op !== Op.Scan) throw new Error(`compact Range frame with op ${op}`);
  const flags = view.readUInt16LE(2);
  const fields = new FieldReader(bytes, view, rangeHeaderBytes, 'Range');
  const t = fields.text();
  const lo = fields.bytesField();
  const hi = (flags & RangeFlag.Hi) !== 0 ? fields.bytesField() : null;
  const pre = (flags & RangeFlag.Pre) !== 0 ? fields.bytesField() : null;
  const tag = (flags & RangeFlag.Tag) !== 0 ? fields.bytesField() : undefined;
  const kn = fields.names();
  const tk = (flags & RangeFlag.TableKeys) !== 0 ? fields.names() : undefined;
  const x = (flags & RangeFlag.Expressions) !== 0 ? (decodeFrame(fields.bytesField()) as RangeExpressions) : null;
  if (fields.at !== view.length) throw new Error('compact Range frame longer than its fields');
  const req: RangeRequest = {
    id: view.readUInt32LE(4),
    op,
    t,
    p: view.readUInt32LE(8),
    v: view.readUInt32LE(12),
    lo,
    loInc: (flags & RangeFlag.LoInc) !== 0,
    hi,
    hiInc: (flags & RangeFlag.HiInc) !== 0,
    pre,
    rev: (flags & RangeFlag.Rev) !== 0,
    lim: view.readUInt32LE(16),
    max: view.readUInt32LE(20),
    jm: view.readUInt32LE(24),
    c: (flags & RangeFlag.Consistent) !== 0,
    kn,
    x,
    cnt: (flags & RangeFlag.Count) !== 0,
  };
  if ((flags & RangeFlag.FollowerData) !== 0) req.fd = true;
  if (tk !== undefined) req.tk = tk;
  if (tag !== undefined) req.tag = tag;
  return req;
}

function encodePage(res: StorageResponse): Uint8Array {
  const items = res.items!;
  // LastEvaluatedKey is a primary key: a few names and values, as JSON text.
  const last = res.last == null ? null : JSON.stringify(res.last);
  const lastBytes = last === null ? 0 : Buffer.byteLength(last, 'utf8');
  const out = Buffer.allocUnsafe(pageHeaderBytes + 4 + lastBytes + items.length);
  out[0] = PAGE_ANSWER;
  out[1] = (last !== null ? PageFlag.Last : 0) | (res.he !== undefined ? PageFlag.HashEnd : 0);
  out.writeUInt32LE(res.id, 2);
  out.writeUInt32LE(res.count!, 6);
  out.writeUInt32LE(res.scanned!, 10);
  out.writeUInt32LE(res.n ?? 0, 14);
  out.writeDoubleLE(res.he ?? 0, 18);
  out.writeUInt32LE(lastBytes, pageHeaderBytes);
  if (last !== null) out.write(last, pageHeaderBytes + 4, lastBytes, 'utf8');
  out.set(items, pageHeaderBytes + 4 + lastBytes);
  return out;
}

function decodePage(bytes: Uint8Array): StorageResponse {
  const view = bufferView(bytes);
  if (view.length < pageHeaderBytes + 4) throw new Error('compact Page frame shorter than its header');
  const flags = view[1];
  const lastEnd = pageHeaderBytes + 4 + view.readUInt32LE(pageHeaderBytes);
  if (lastEnd > view.length) throw new Error('compact Page frame shorter than its fields');
  const res: StorageResponse = {
    id: view.readUInt32LE(2),
    s: Status.Ok,
    // A view of the private frame copy: the items' bytes go on to the client without another copy.
    items: view.subarray(lastEnd),
    count: view.readUInt32LE(6),
    scanned: view.readUInt32LE(10),
    last: (flags & PageFlag.Last) !== 0 ? (JSON.parse(view.toString('utf8', pageHeaderBytes + 4, lastEnd)) as Item) : null,
    n: view.readUInt32LE(14),
  };
  if ((flags & PageFlag.HashEnd) !== 0) res.he = view.readDoubleLE(18);
  return res;
}

/** A compact tag this version does not know would otherwise be misread as CBOR. */
function checkNotCompact(bytes: Uint8Array): void {
  if (bytes.length > 0 && bytes[0] <= COMPACT_TAG_MAX) throw new Error(`unknown compact frame tag ${bytes[0]}`);
}
