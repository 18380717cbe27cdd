// What one write costs in each secondary index, by DynamoDB's arithmetic: nothing when the
// item's entry there does not change; one write of the entry's size when it enters, leaves, or
// keeps its key with other projected attributes; two (a delete and a put) when its key changes.
// Local indexes' units are charged to the table's capacity; global ones' to the index's own
// (the propagator's writes are metered there), and reported to clients who ask.
import type { Item } from '../values/types.ts';
import { writeUnits } from '../admission/capacity-units.ts';
import { itemSizeBytes } from '../validation/attribute-values.ts';
import { indexKeyValues, projectForIndex, sameItem } from './index-entries.ts';
import { ProjectionCode, type IndexSpec, type IndexSpecEntry } from './index-spec.ts';
import { valuesEqual } from '../expressions/attribute-ops.ts';

export interface IndexWriteUnits {
  /** Per index name (only indexes the write changes). */
  byIndex: Record<string, number>;
  /** Their sum over the local indexes (charged with the table's write). */
  local: number;
}

/** Units of a write from `before` to `after` (null: no item), sized `beforeBytes` and `afterBytes`, in every index of `spec`. */
export function indexWriteUnits(spec: IndexSpec, before: Item | null, beforeBytes: number, after: Item | null, afterBytes: number): IndexWriteUnits {
  const out: IndexWriteUnits = { byIndex: {}, local: 0 };
  for (const ix of spec.ix) {
    const units = unitsIn(spec, ix, before, beforeBytes, after, afterBytes);
    if (units === 0) continue;
    out.byIndex[ix.n] = units;
    if (!ix.g) out.local += units;
  }
  return out;
}

function unitsIn(spec: IndexSpec, ix: IndexSpecEntry, before: Item | null, beforeBytes: number, after: Item | null, afterBytes: number): number {
  const oldKey = before === null ? null : indexKeyValues(ix, before);
  const newKey = after === null ? null : indexKeyValues(ix, after);
  if (oldKey === null && newKey === null) return 0;
  const size = (item: Item, bytes: number) => (ix.p === ProjectionCode.ALL ? bytes : itemSizeBytes(projectForIndex(spec, ix, item)));
  if (oldKey === null) return writeUnits(size(after!, afterBytes));
  if (newKey === null) return writeUnits(size(before!, beforeBytes));
  const sameKey = oldKey.every((v, i) => valuesEqual(v, newKey[i])) && spec.tk.every((k) => valuesEqual(before![k], after![k]));
  if (!sameKey) return writeUnits(size(before!, beforeBytes)) + writeUnits(size(after!, afterBytes));
  if (sameItem(projectForIndex(spec, ix, before!), projectForIndex(spec, ix, after!))) return 0;
  return writeUnits(size(after!, afterBytes));
}
