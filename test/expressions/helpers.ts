// Shared helpers for the expression tests: compact value constructors and error assertions.
import assert from 'node:assert/strict';
import { DynamoError } from '../../src/protocol/errors.ts';
import type { AttributeValue } from '../../src/values/types.ts';
import { compileRequestExpressions, type ExpressionParameters } from '../../src/expressions/index.ts';

export const S = (s: string): AttributeValue => ({ S: s });
export const N = (n: string | number): AttributeValue => ({ N: String(n) });
/** Base64 text of some bytes (or of a string's UTF-8 bytes). */
export const b64 = (bytes: number[] | string): string =>
  Buffer.from(typeof bytes === 'string' ? Buffer.from(bytes) : Uint8Array.from(bytes)).toString('base64');
export const B = (bytes: number[] | string): AttributeValue => ({ B: b64(bytes) });
export const BS = (...items: number[][]): AttributeValue => ({ BS: items.map(b64) });
export const L = (...items: AttributeValue[]): AttributeValue => ({ L: items });
export const M = (map: Record<string, AttributeValue>): AttributeValue => ({ M: map });
export const SS = (...items: string[]): AttributeValue => ({ SS: items });
export const NS = (...items: Array<string | number>): AttributeValue => ({ NS: items.map(String) });
export const BOOL = (b: boolean): AttributeValue => ({ BOOL: b });
export const NULL: AttributeValue = { NULL: true };

/** Asserts that `fn` throws a ValidationException with exactly `message`. */
export function throwsValidation(fn: () => unknown, message: string): void {
  assert.throws(fn, (error: unknown) => {
    assert.ok(error instanceof DynamoError, `expected a DynamoError, got ${String(error)}`);
    assert.equal(error.kind.name, 'ValidationException');
    assert.equal(error.message, message);
    return true;
  });
}

/** The ValidationException message `fn` throws, or null if it does not throw. */
export function validationMessage(fn: () => unknown): string | null {
  try {
    fn();
    return null;
  } catch (error) {
    assert.ok(error instanceof DynamoError, `expected a DynamoError, got ${String(error)}`);
    assert.equal(error.kind.name, 'ValidationException');
    return error.message;
  }
}

export function compile(params: ExpressionParameters) {
  return compileRequestExpressions(params);
}
