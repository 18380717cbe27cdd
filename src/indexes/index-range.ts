// The storage key range a Query over a secondary index walks: the entries of one index
// partition key (a prefix), narrowed by the sort key condition. Index sort key parts are cut to
// a kept prefix sooner than a table's (their key also holds the table's key), so bounds made
// from a long value are widened to every entry sharing its kept prefix; the node re-checks the
// key condition on every entry of an index Query anyway.
import type { AttributeValue } from '../values/types.ts';
import type { SortKeyOperator } from '../expressions/key-condition.ts';
import { encodeKeyValuePrefix, prefixSuccessor } from '../storage/key-encoding.ts';
import { indexRangePart, partThresholds } from './index-entries.ts';
import type { IndexSpecEntry } from './index-spec.ts';

export interface IndexScanRange {
  lo: Uint8Array;
  loInc: boolean;
  hi: Uint8Array | null;
  hiInc: boolean;
  /** Every entry in range starts with it. */
  pre: Uint8Array;
  /** Whether the range holds exactly the entries the condition selects (no bound was widened): the node need not re-check it. */
  exact: boolean;
}

const longFormTail = 34;

/** A bound made from one sort key value: its low and high edges (the same key unless the value was cut). */
function bounds(base: Uint8Array, entry: IndexSpecEntry, position: number, value: AttributeValue): { low: Uint8Array; high: Uint8Array | null } {
  const part = indexRangePart(entry, position, value);
  const n = part.length;
  const long = n >= longFormTail && part[n - longFormTail] === 0 && part[n - longFormTail + 1] === 2 && !('N' in value);
  if (!long) {
    const key = concat(base, part);
    return { low: key, high: key };
  }
  widened++;
  const kept = concat(base, part.subarray(0, n - longFormTail));
  return { low: kept, high: prefixSuccessor(kept) ?? null };
}

/** The range of `prefix ‖ sort key parts` entries that satisfy the condition (its rangeEquals, then rangeLast). */
export function indexKeyRange(
  prefix: Uint8Array,
  entry: IndexSpecEntry,
  rangeEquals: readonly AttributeValue[],
  rangeLast: { op: SortKeyOperator; values: AttributeValue[] } | undefined,
): IndexScanRange {
  const range = rangeOf(prefix, entry, rangeEquals, rangeLast);
  range.exact = widened === 0;
  return range;
}

/** Bounds widened while the last range was built (a value past its part's kept prefix). */
let widened = 0;

function rangeOf(
  prefix: Uint8Array,
  entry: IndexSpecEntry,
  rangeEquals: readonly AttributeValue[],
  rangeLast: { op: SortKeyOperator; values: AttributeValue[] } | undefined,
): IndexScanRange {
  widened = 0;
  let base = prefix;
  for (let i = 0; i < rangeEquals.length; i++) {
    const b = bounds(base, entry, i, rangeEquals[i]);
    if (b.low !== b.high) return { lo: b.low, loInc: true, hi: b.high, hiInc: false, pre: b.low, exact: false };
    base = b.low;
  }
  const baseEnd = prefixSuccessor(base) ?? null;
  if (rangeLast === undefined) return { lo: base, loInc: true, hi: baseEnd, hiInc: false, pre: base, exact: false };
  const position = rangeEquals.length;
  const v = rangeLast.values;
  switch (rangeLast.op) {
    case '=': {
      const b = bounds(base, entry, position, v[0]);
      const end = b.low === b.high ? (prefixSuccessor(b.low) ?? null) : b.high;
      return { lo: b.low, loInc: true, hi: end, hiInc: false, pre: base, exact: false };
    }
    case '<': {
      const b = bounds(base, entry, position, v[0]);
      return { lo: base, loInc: true, hi: b.low === b.high ? b.low : b.high, hiInc: false, pre: base, exact: false };
    }
    case '<=': {
      const b = bounds(base, entry, position, v[0]);
      return { lo: base, loInc: true, hi: b.low === b.high ? (prefixSuccessor(b.low) ?? null) : b.high, hiInc: false, pre: base, exact: false };
    }
    case '>': {
      const b = bounds(base, entry, position, v[0]);
      const start = b.low === b.high ? (prefixSuccessor(b.low) ?? b.low) : b.low;
      return { lo: start, loInc: true, hi: baseEnd, hiInc: false, pre: base, exact: false };
    }
    case '>=': {
      const b = bounds(base, entry, position, v[0]);
      return { lo: b.low, loInc: true, hi: baseEnd, hiInc: false, pre: base, exact: false };
    }
    case 'BETWEEN': {
      const low = bounds(base, entry, position, v[0]);
      const high = bounds(base, entry, position, v[1]);
      return { lo: low.low, loInc: true, hi: high.low === high.high ? (prefixSuccessor(high.low) ?? null) : high.high, hiInc: false, pre: base, exact: false };
    }
    case 'BEGINS_WITH': {
      const escaped = encodeKeyValuePrefix(v[0]);
      // A prefix longer than what long values keep may match entries it should not.
      if (escaped.length >= partThresholds(entry).range[position]) widened++;
      const p = concat(base, escaped);
      return { lo: p, loInc: true, hi: prefixSuccessor(p) ?? null, hiInc: false, pre: p, exact: false };
    }
  }
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}
