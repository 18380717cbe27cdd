// PartiQL values as DynamoDB AttributeValues: the request's Parameters, checked as DynamoDB reads
// them, and the constants a statement writes ('text', 12.5e3, TRUE, NULL, [..], {..}, <<..>>).
import { DynamoError, validationError } from '../protocol/errors.ts';
import { normalizeAttributeValue } from '../validation/attribute-values.ts';
import { canonicalNumber, numberNotNumericPrefix, numberUnderflowMessage } from '../values/number.ts';
import { nestingDepthMax } from '../limits.ts';
import type { AttributeValue } from '../values/types.ts';
import type { Expr } from './ast.ts';
import { astNodeName } from './parser.ts';
import * as m from './messages.ts';

const int32Max = 2147483647;

/**
 * Validates and normalizes the request's Parameters. DynamoDB reads a number parameter as Java's
 * BigDecimal does: an exponent outside a 32-bit integer cannot be converted at all.
 */
export function validateParameters(raw: readonly unknown[] | undefined): AttributeValue[] {
  if (raw === undefined) return [];
  const out: AttributeValue[] = new Array(raw.length);
  for (let i = 0; i < raw.length; i++) {
    checkConvertibleNumbers(raw[i]);
    out[i] = normalizeAttributeValue(raw[i]);
  }
  return out;
}

function checkConvertibleNumbers(av: unknown, depth = 1): void {
  // Deeper than DynamoDB nests, normalizeAttributeValue refuses the value anyway.
  if (av === null || typeof av !== 'object' || depth > nestingDepthMax) return;
  const record = av as Record<string, unknown>;
  if (typeof record.N === 'string') checkConvertible(record.N);
  if (Array.isArray(record.NS)) for (const n of record.NS) if (typeof n === 'string') checkConvertible(n);
  if (Array.isArray(record.L)) for (const v of record.L) checkConvertibleNumbers(v, depth + 1);
  if (record.M !== null && typeof record.M === 'object') for (const v of Object.values(record.M as object)) checkConvertibleNumbers(v, depth + 1);
}

function checkConvertible(text: string): void {
  if (text === '') throw validationError(numberNotNumericPrefix.slice(0, -2));
  const e = Math.max(text.indexOf('e'), text.indexOf('E'));
  if (e < 0) return;
  const exponent = Number(text.slice(e + 1));
  if (!Number.isFinite(exponent)) return;
  if (Math.abs(exponent) > int32Max) throw validationError(numberNotNumericPrefix + text);
  // BigDecimal's scale (the digits after the point less the exponent) must fit an int too.
  const mantissa = text.slice(0, e);
  const point = mantissa.indexOf('.');
  const scale = (point < 0 ? 0 : mantissa.length - point - 1) - exponent;
  if (scale > int32Max || scale < -int32Max - 1) throw validationError(numberNotNumericPrefix + text);
  // DynamoDB then checks the magnitude, precision less scale, in 32-bit arithmetic: past the
  // largest int it wraps negative and reads as an underflow (1e2147483647, as captured from
  // DynamoDB in paritysuite/dynamodb-conformance's partiqlParameterNumbers test).
  const precision = Math.max(1, mantissa.replace(/[-+.]/g, '').replace(/^0+/, '').length);
  if (precision - scale > int32Max) throw validationError(numberUnderflowMessage);
}

/** The literal number as DynamoDB stores it; a number out of DynamoDB's range names where it is. */
export function numberValue(text: string, path: string): AttributeValue {
  try {
    return { N: canonicalNumber(text) };
  } catch (e) {
    if (e instanceof DynamoError && e.kind.name === 'ValidationException') throw validationError(`${e.message} under ${path}`);
    throw e;
  }
}

/**
 * The AttributeValue a constant expression denotes, or undefined for MISSING (a struct field or
 * list element that is MISSING is left out, as in PartiQL). `path` names the value in messages
 * ("root", "root.x", "root[1]").
 */
export function constantValue(expr: Expr, parameters: readonly AttributeValue[], path = 'root'): AttributeValue | undefined {
  const value = constant(expr, parameters, path);
  return value === undefined ? undefined : normalizeAttributeValue(value);
}

function constant(expr: Expr, parameters: readonly AttributeValue[], path: string): AttributeValue | undefined {
  switch (expr.k) {
    case 'lit': {
      const v = expr.v;
      switch (v.t) {
        case 'string':
          return { S: v.s };
        case 'number':
          return numberValue(v.text, path);
        case 'bool':
          return { BOOL: v.b };
        case 'null':
          return { NULL: true };
        case 'missing':
          return undefined;
      }
      break;
    }
    case 'param':
      return parameters[expr.index];
    case 'list': {
      const items: AttributeValue[] = [];
      for (let i = 0; i < expr.items.length; i++) {
        const item = constant(expr.items[i]!, parameters, `${path}[${i}]`);
        if (item !== undefined) items.push(item);
      }
      return { L: items };
    }
    case 'struct': {
      const fields: Record<string, AttributeValue> = {};
      for (const field of expr.fields) {
        const key = constant(field.key, parameters, path);
        if (key === undefined || !('S' in key)) throw m.statementError(m.tupleKeyNotString(key === undefined ? 'MISSING' : Object.keys(key)[0]!, path));
        if (Object.hasOwn(fields, key.S)) throw m.statementError(m.duplicateTupleKey(key.S, path));
        const value = constant(field.value, parameters, `${path}.${key.S}`);
        if (value === undefined) continue;
        if (key.S === '__proto__') Object.defineProperty(fields, key.S, { value, enumerable: true, writable: true, configurable: true });
        else fields[key.S] = value;
      }
      return { M: fields };
    }
    case 'bag':
      return bagValue(expr.items, parameters, path);
    default:
      throw m.statementError(m.unsupportedDataType(expr.k === 'call' ? expr.name : astNodeName(expr), path), expr.at);
  }
}

/** A bag of strings, numbers or binaries is a DynamoDB set; a bag of anything else is refused. */
function bagValue(items: readonly Expr[], parameters: readonly AttributeValue[], path: string): AttributeValue {
  if (items.length === 0) throw m.statementError(m.emptyBag);
  const members: string[] = [];
  let type: 'S' | 'N' | 'B' | null = null;
  for (let i = 0; i < items.length; i++) {
    const member = constant(items[i]!, parameters, `${path}[${i}]`);
    const memberType = member === undefined ? null : 'S' in member ? 'S' : 'N' in member ? 'N' : 'B' in member ? 'B' : null;
    if (memberType === null || (type !== null && memberType !== type)) throw m.statementError(m.mixedBag);
    type = memberType;
    members.push((member as Record<string, string>)[memberType]!);
  }
  if (type !== 'B' && new Set(members).size !== members.length) throw m.statementError(m.bagDuplicates(members));
  return type === 'S' ? { SS: members } : type === 'N' ? { NS: members } : { BS: members };
}

/** The DynamoDB type letters of a value ("S", "N", "M", ...). */
export function typeName(value: AttributeValue): string {
  return Object.keys(value)[0]!;
}
