// Evaluates compiled conditions against an item. Runs once per item in Query/Scan filters, so
// it walks the compiled tree with plain switches and allocates nothing except for size().

import type { AttributeValue, Item } from '../values/types.ts';
import {
  binaryContains,
  binaryStartsWith,
  compareOrdered,
  setHas,
  sizeOf,
  typeOf,
  valuesEqual,
} from './attribute-ops.ts';
import type { DocumentPath } from './ast.ts';
import { ConditionKind, OperandKind, type CompiledCondition, type Condition, type Operand } from './compile.ts';

const objectPrototype = Object.prototype;

/**
 * An own property of a decoded item or map. Guards against names such as "constructor" or
 * "__proto__" finding Object.prototype members on objects that do not have them.
 */
export function ownValue(container: { [name: string]: AttributeValue }, name: string): AttributeValue | undefined {
  const value = container[name];
  if (value === undefined || (typeof value === 'object' && value !== objectPrototype)) return value;
  return undefined;
}

/** The value at a document path, or undefined when any step is missing or of the wrong type. */
export function getPath(item: Item, path: DocumentPath): AttributeValue | undefined {
  let current = ownValue(item, path[0] as string);
  for (let i = 1; i < path.length && current !== undefined; i++) {
    const step = path[i]!;
    if (typeof step === 'number') {
      const list = (current as { L?: AttributeValue[] }).L;
      current = list === undefined ? undefined : list[step];
    } else {
      const map = (current as { M?: { [name: string]: AttributeValue } }).M;
      current = map === undefined ? undefined : ownValue(map, step);
    }
  }
  return current;
}

/** The value of a condition operand for `item` (only paths, values and size() occur here). */
function operandValue(operand: Operand, item: Item): AttributeValue | undefined {
  switch (operand.kind) {
    case OperandKind.Path:
      return getPath(item, operand.path!);
    case OperandKind.Value:
      return operand.value!;
    case OperandKind.Size: {
      const value = operandValue(operand.a!, item);
      if (value === undefined) return undefined;
      const size = sizeOf(value);
      return size < 0 ? undefined : { N: String(size) };
    }
    default:
      return undefined;
  }
}

function beginsWith(a: AttributeValue, b: AttributeValue): boolean {
  const x = a as { S?: string; B?: string };
  const y = b as { S?: string; B?: string };
  if (x.S !== undefined) return y.S !== undefined && x.S.startsWith(y.S);
  if (x.B !== undefined) return y.B !== undefined && binaryStartsWith(x.B, y.B);
  return false;
}

function contains(a: AttributeValue, b: AttributeValue): boolean {
  const x = a as Record<string, unknown>;
  const y = b as Record<string, unknown>;
  if (x.S !== undefined) return y.S !== undefined && (x.S as string).includes(y.S as string);
  if (x.SS !== undefined) return y.S !== undefined && setHas('SS', x.SS as string[], y.S as string);
  if (x.NS !== undefined) return y.N !== undefined && setHas('NS', x.NS as string[], y.N as string);
  if (x.L !== undefined) {
    const list = x.L as AttributeValue[];
    for (let i = 0; i < list.length; i++) if (valuesEqual(list[i]!, b)) return true;
    return false;
  }
  if (x.BS !== undefined) return y.B !== undefined && setHas('BS', x.BS as string[], y.B as string);
  if (x.B !== undefined) return y.B !== undefined && binaryContains(x.B as string, y.B as string);
  return false;
}

function evaluate(node: Condition, item: Item): boolean {
  switch (node.kind) {
    case ConditionKind.And:
      return evaluate(node.left!, item) && evaluate(node.right!, item);
    case ConditionKind.Or:
      return evaluate(node.left!, item) || evaluate(node.right!, item);
    case ConditionKind.Not:
      return !evaluate(node.left!, item);
    case ConditionKind.Compare: {
      const a = operandValue(node.a!, item);
      const b = operandValue(node.b!, item);
      if (node.op === '<>') return a === undefined || b === undefined || !valuesEqual(a, b);
      if (a === undefined || b === undefined) return false;
      switch (node.op) {
        case '=':
          return valuesEqual(a, b);
        case '<':
          return compareOrdered(a, b) < 0;
        case '<=':
          return compareOrdered(a, b) <= 0;
        case '>':
          return compareOrdered(a, b) > 0;
        default:
          return compareOrdered(a, b) >= 0;
      }
    }
    case ConditionKind.Between: {
      const value = operandValue(node.a!, item);
      const low = operandValue(node.b!, item);
      const high = operandValue(node.c!, item);
      if (value === undefined || low === undefined || high === undefined) return false;
      return compareOrdered(value, low) >= 0 && compareOrdered(value, high) <= 0;
    }
    case ConditionKind.In: {
      const value = operandValue(node.a!, item);
      if (value === undefined) return false;
      const list = node.list!;
      for (let i = 0; i < list.length; i++) {
        const candidate = operandValue(list[i]!, item);
        if (candidate !== undefined && valuesEqual(value, candidate)) return true;
      }
      return false;
    }
    case ConditionKind.Exists:
      return operandValue(node.a!, item) !== undefined;
    case ConditionKind.NotExists:
      return operandValue(node.a!, item) === undefined;
    case ConditionKind.Type: {
      const value = operandValue(node.a!, item);
      const type = operandValue(node.b!, item) as { S?: string } | undefined;
      return value !== undefined && type !== undefined && typeOf(value) === type.S;
    }
    case ConditionKind.BeginsWith: {
      const a = operandValue(node.a!, item);
      const b = operandValue(node.b!, item);
      return a !== undefined && b !== undefined && beginsWith(a, b);
    }
    case ConditionKind.Contains: {
      const a = operandValue(node.a!, item);
      const b = operandValue(node.b!, item);
      return a !== undefined && b !== undefined && contains(a, b);
    }
  }
}

const emptyItem: Item = Object.freeze({}) as Item;

/**
 * Evaluates a compiled ConditionExpression or FilterExpression against an item. An absent item
 * (a write to a key that does not exist yet) behaves as an item with no attributes.
 */
export function evaluateCondition(compiled: CompiledCondition, item: Item | undefined): boolean {
  return evaluate(compiled.root, item ?? emptyItem);
}
