// What one client write does to one item, decided on the partition leader against the item's
// current version: the condition check, the update, the new item and the ReturnValues. Runs
// inside the write transaction, so a condition and the write it guards are atomic.
import { ReturnValues, WriteKind, type WriteRequest } from './messages.ts';
import { compileRequestExpressions, evaluateCondition, applyUpdate, onlyTakesAway, projectPaths } from '../expressions/index.ts';
import { itemSizeBytes } from '../validation/attribute-values.ts';
import { DynamoError, validationError } from '../protocol/errors.ts';
import { itemSizeBytesMax } from '../limits.ts';
import type { Item } from '../values/types.ts';
import type { DocumentPath } from '../expressions/index.ts';

export interface WriteOutcome {
  /** The item to store, or null to delete it; undefined when nothing changes. */
  next: Item | null | undefined;
  /** DynamoDB size of `next`. */
  nextSizeBytes: number;
  /** The Attributes to return, as JSON text, or null. */
  attributes: string | null;
}

export const conditionalCheckFailedMessage = 'The conditional request failed';

/**
 * Decides a write. Throws DynamoError for a failed condition (ConditionalCheckFailedException,
 * with the item when asked) or an update that cannot apply.
 */
export function decideWrite(req: WriteRequest, old: Item | undefined): WriteOutcome {
  const compiled = req.x === null ? null : compileRequestExpressions(req.x);
  if (compiled !== null && compiled.condition !== null && !evaluateCondition(compiled.condition, old)) {
    throw new DynamoError('ConditionalCheckFailedException', conditionalCheckFailedMessage, req.rvf && old !== undefined ? { Item: old } : undefined);
  }
  let next: Item | null;
  let nextSizeBytes = 0;
  let updatedPaths: DocumentPath[] | null = null;
  switch (req.w) {
    case WriteKind.Put:
      next = req.item!;
      nextSizeBytes = req.sz;
      break;
    case WriteKind.Delete:
      if (old === undefined) return { next: undefined, nextSizeBytes: 0, attributes: null };
      next = null;
      break;
    case WriteKind.Update: {
      const base = old ?? req.key!;
      if (compiled === null || compiled.update === null) {
        // UpdateItem without an UpdateExpression still creates the item (with its key only).
        next = base;
      } else {
        const result = applyUpdate(compiled.update, base);
        // Removing attributes from an item that does not exist creates none (and returns no
        // Attributes); the update still ran, so its errors are those of any other update.
        if (old === undefined && onlyTakesAway(compiled.update)) return { next: undefined, nextSizeBytes: 0, attributes: null };
        next = result.item;
        updatedPaths = result.updatedPaths;
      }
      nextSizeBytes = itemSizeBytes(next);
      if (nextSizeBytes > itemSizeBytesMax) throw validationError('Item size to update has exceeded the maximum allowed size');
      break;
    }
    default:
      throw new Error(`unknown write kind ${req.w as number}`);
  }
  return { next, nextSizeBytes, attributes: returnedAttributes(req.rv, old, next, updatedPaths) };
}

/**
 * A transaction's action on one item, decided like the write it will be at commit: a
 * ConditionCheck (ta 0) only evaluates its condition and changes nothing.
 */
export function decidePrepare(req: WriteRequest, old: Item | undefined): WriteOutcome {
  if (req.ta !== 0) return decideWrite({ ...req, w: req.ta as WriteRequest['w'] }, old);
  const compiled = req.x === null ? null : compileRequestExpressions(req.x);
  if (compiled !== null && compiled.condition !== null && !evaluateCondition(compiled.condition, old)) {
    throw new DynamoError('ConditionalCheckFailedException', conditionalCheckFailedMessage, req.rvf && old !== undefined ? { Item: old } : undefined);
  }
  return { next: undefined, nextSizeBytes: 0, attributes: null };
}

function returnedAttributes(rv: WriteRequest['rv'], old: Item | undefined, next: Item | null, updatedPaths: DocumentPath[] | null): string | null {
  switch (rv) {
    case ReturnValues.NONE:
      return null;
    case ReturnValues.ALL_OLD:
      return old === undefined ? null : JSON.stringify(old);
    case ReturnValues.ALL_NEW:
      return next === null ? null : JSON.stringify(next);
    case ReturnValues.UPDATED_OLD: {
      if (old === undefined || updatedPaths === null) return null;
      const projected = projectPaths(old, updatedPaths);
      return isEmpty(projected) ? null : JSON.stringify(projected);
    }
    case ReturnValues.UPDATED_NEW: {
      if (next === null || updatedPaths === null) return null;
      const projected = projectPaths(next, updatedPaths);
      return isEmpty(projected) ? null : JSON.stringify(projected);
    }
  }
}

function isEmpty(item: Item): boolean {
  for (const _ in item) return false;
  return true;
}
