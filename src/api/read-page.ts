// What Query and Scan share: the Select parameter and the shape of a page of results.
import { validationError } from '../protocol/errors.ts';
import type { Item } from '../values/types.ts';

export type SelectMode = 'ALL_ATTRIBUTES' | 'SPECIFIC_ATTRIBUTES' | 'COUNT';

export function selectMode(input: Record<string, unknown>): SelectMode {
  const select = input.Select as string | undefined;
  const projected = input.ProjectionExpression !== undefined;
  if (select === undefined) return projected ? 'SPECIFIC_ATTRIBUTES' : 'ALL_ATTRIBUTES';
  if (select === 'ALL_PROJECTED_ATTRIBUTES') {
    throw validationError('ALL_PROJECTED_ATTRIBUTES can be used only when Querying using an IndexName');
  }
  if (projected && select !== 'SPECIFIC_ATTRIBUTES') {
    throw validationError(`Cannot specify the ProjectionExpression parameter when choosing ${select}`);
  }
  if (select === 'SPECIFIC_ATTRIBUTES' && !projected) {
    throw validationError('Must specify the ProjectionExpression parameter when choosing SPECIFIC_ATTRIBUTES');
  }
  return select as SelectMode;
}

/** Builds the response body; `itemsJson` is the items' JSON joined by commas, without brackets. */
export function pageResponse(select: SelectMode, itemsJson: string, count: number, scanned: number, last: Item | null): string {
  let out = select === 'COUNT' ? `{"Count":${count},"ScannedCount":${scanned}` : `{"Items":[${itemsJson}],"Count":${count},"ScannedCount":${scanned}`;
  if (last !== null) out += `,"LastEvaluatedKey":${JSON.stringify(last)}`;
  return out + '}';
}
