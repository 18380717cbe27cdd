// Bounded LRU cache of parsed expressions, keyed by grammar and expression text. Parsing is the
// expensive step; a parsed expression holds no request data, so every request that sends the
// same expression string reuses it and only binds its names and values.

import type { ParsedCondition, ParsedProjection, ParsedUpdate } from './ast.ts';
import { parseConditionExpression, parseProjectionExpression, parseUpdateExpression } from './parser.ts';

/** Default bound on cached parsed expressions (per thread). */
export const expressionCacheEntriesDefault = 4096;

let entriesMax = expressionCacheEntriesDefault;
// A Map iterates in insertion order, so re-inserting on a hit keeps the least recently used first.
const entries = new Map<string, ParsedCondition | ParsedUpdate | ParsedProjection>();
let hits = 0;
let misses = 0;

/** Sets the cache bound (e.g. from configuration); shrinking evicts the oldest entries. */
export function setExpressionCacheEntriesMax(max: number): void {
  if (!Number.isInteger(max) || max < 0) throw new RangeError(`expression cache size must be a non-negative integer: ${max}`);
  entriesMax = max;
  evict();
}

function evict(): void {
  while (entries.size > entriesMax) {
    const oldest = entries.keys().next().value as string;
    entries.delete(oldest);
  }
}

function lookup<T extends ParsedCondition | ParsedUpdate | ParsedProjection>(key: string, parse: () => T): T {
  const cached = entries.get(key);
  if (cached !== undefined) {
    hits++;
    entries.delete(key);
    entries.set(key, cached);
    return cached as T;
  }
  misses++;
  const parsed = parse(); // a syntax error throws and is not cached
  if (entriesMax > 0) {
    entries.set(key, parsed);
    evict();
  }
  return parsed;
}

export function cachedCondition(text: string): ParsedCondition {
  return lookup('C' + text, () => parseConditionExpression(text));
}

export function cachedUpdate(text: string): ParsedUpdate {
  return lookup('U' + text, () => parseUpdateExpression(text));
}

export function cachedProjection(text: string): ParsedProjection {
  return lookup('P' + text, () => parseProjectionExpression(text));
}

/** Cache counters, for tests and the observability endpoint. */
export function expressionCacheStats(): { entries: number; hits: number; misses: number; entriesMax: number } {
  return { entries: entries.size, hits, misses, entriesMax };
}

/** Empties the cache and its counters. */
export function clearExpressionCache(): void {
  entries.clear();
  hits = 0;
  misses = 0;
}
