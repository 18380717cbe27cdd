// What a storage node needs to know of a table's secondary indexes to keep them. The router puts
// it (encoded once per table definition) on every write to a table with indexes; the leader
// copies it into the write's log entry, so every replica and every later reader of the log
// derives the same index entries from the same entry, whatever the catalog says by then.
import type { ScalarAttributeType } from '../values/types.ts';
import type { SecondaryIndex, TableRecord } from '../control/table-record.ts';
import { decodeFrame, encodeFrame } from '../rings/frame-codec.ts';
import { InvariantError } from '../replication/invariants.ts';
import { bufferView } from '../storage/buffer-view.ts';

export interface IndexSpec {
  /** The table's key attribute names: [partition key] or [partition key, sort key]. */
  tk: string[];
  ix: IndexSpecEntry[];
  /** The table's enabled stream: the name its change records go by (unique per stream), streams/stream-record.ts. */
  st?: string;
}

export const ProjectionCode = { ALL: 0, KEYS_ONLY: 1, INCLUDE: 2 } as const;
export type ProjectionCodeValue = (typeof ProjectionCode)[keyof typeof ProjectionCode];

export interface IndexSpecEntry {
  /** Global (a table of its own, fed through the outbox) or local (kept beside the items). */
  g: boolean;
  n: string;
  /** Partition key attribute names and types (a GSI may have up to 4). */
  h: string[];
  ht: ScalarAttributeType[];
  /** Sort key attribute names and types (none to 4). */
  r: string[];
  rt: ScalarAttributeType[];
  p: ProjectionCodeValue;
  /** INCLUDE: the non-key attributes copied. */
  a: string[];
  /** A GSI: the name of its outbox records (SecondaryIndex.uid: unique per creation of the index). */
  o?: string;
}

/** A table's spec and its encoding, derived once per table record (every write to the table carries the bytes). */
interface EncodedSpec {
  spec: IndexSpec;
  bytes: Uint8Array;
}

const specs = new WeakMap<TableRecord, EncodedSpec | null>();

/** The spec of `table`'s indexes that writes keep (every index not being deleted), or null when there is none. */
export function indexSpecOf(table: TableRecord): EncodedSpec | null {
  let encoded = specs.get(table);
  if (encoded === undefined) {
    encoded = deriveSpec(table);
    specs.set(table, encoded);
  }
  return encoded;
}

/** Forgets the derived spec of a table record whose indexes changed in place. */
export function indexSpecChanged(table: TableRecord): void {
  specs.delete(table);
}

function deriveSpec(table: TableRecord): EncodedSpec | null {
  const kept = (table.indexes ?? []).filter((ix) => ix.status !== 'DELETING');
  const stream = table.stream?.enabled === true ? table.stream.name : undefined;
  if (kept.length === 0 && stream === undefined) return null;
  const typeOf = (name: string): ScalarAttributeType => {
    const d = table.attributeDefinitions.find((a) => a.AttributeName === name);
    if (d === undefined) throw new InvariantError(`${table.name}: index key ${name} has no attribute definition`);
    return d.AttributeType;
  };
  const spec: IndexSpec = {
    tk: table.keySchema.map((k) => k.AttributeName),
    ix: kept.map((ix) => {
      const h = ix.keySchema.filter((k) => k.KeyType === 'HASH').map((k) => k.AttributeName);
      const r = ix.keySchema.filter((k) => k.KeyType === 'RANGE').map((k) => k.AttributeName);
      return {
        g: ix.kind === 'GSI',
        n: ix.name,
        h,
        ht: h.map(typeOf),
        r,
        rt: r.map(typeOf),
        p: ProjectionCode[ix.projection.ProjectionType],
        a: ix.projection.NonKeyAttributes ?? [],
        ...(ix.kind === 'GSI' ? { o: outboxName(ix) } : {}),
      };
    }),
  };
  if (stream !== undefined) spec.st = stream;
  return { spec, bytes: encodeFrame(spec) };
}

/** What a GSI's outbox records are named by: its creation's unique id (its name, for an index recorded without one). */
export function outboxName(index: SecondaryIndex): string {
  return index.uid ?? index.name;
}

/** Decoded specs by their bytes: a table's writes all carry the same few. */
const decoded = new Map<string, IndexSpec>();
const decodedMax = 256;

export function decodeIndexSpec(bytes: Uint8Array): IndexSpec {
  const key = bufferView(bytes).toString('latin1');
  let spec = decoded.get(key);
  if (spec === undefined) {
    spec = decodeFrame(bytes) as IndexSpec;
    if (decoded.size >= decodedMax) decoded.clear();
    decoded.set(key, spec);
  }
  return spec;
}
