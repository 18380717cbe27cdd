// Bounded cache of parsed expressions, keyed by expression text, one per grammar. Parsing is
// the expensive step; a parsed expression holds no request data, so every request that sends
// the same expression string reuses it and only binds its names and values.
//
// Recency is kept with two generations instead of a linked list: hits in the young generation
// cost one Map lookup and no writes; when the young generation is full it becomes the old one
// (dropping the previous old one), and old entries that are hit again move back to the young
// one. At most `entriesMax` entries per grammar are held, and frequently used expressions stay.

import type { ParsedCondition, ParsedProjection, ParsedUpdate } from './ast.ts';
import { parseConditionExpression, parseProjectionExpression, parseUpdateExpression } from './parser.ts';

/** Default bound on cached parsed expressions, per grammar and per thread. */
export const expressionCacheEntriesDefault = 4096;

let entriesMax = expressionCacheEntriesDefault;
let hits = 0;
let misses = 0;

class ParseCache<T> {
  private young = new Map<string, T>();
  private old = new Map<string, T>();

  constructor(private readonly parse: (text: string) => T) {}

  get size(): number {
    return this.young.size + this.old.size;
  }

  get(text: string): T {
    let parsed = this.young.get(text);
    if (parsed !== undefined) {
      hits++;
      return parsed;
    }
    parsed = this.old.get(text);
    if (parsed !== undefined) {
      hits++;
      this.old.delete(text);
    } else {
      misses++;
      parsed = this.parse(text); // a syntax error throws and is not cached
    }
    this.insert(text, parsed);
    return parsed;
  }

  private insert(text: string, parsed: T): void {
    if (entriesMax === 0) return;
    const generationMax = Math.ceil(entriesMax / 2);
    if (this.young.size >= generationMax) {
      this.old = this.young;
      this.young = new Map();
    }
    this.young.set(text, parsed);
  }

  /** Drops entries beyond the current bound. */
  trim(): void {
    const generationMax = Math.ceil(entriesMax / 2);
    for (const generation of [this.old, this.young]) {
      for (const key of generation.keys()) {
        if (generation.size <= generationMax && this.size <= entriesMax) break;
        generation.delete(key);
      }
    }
    if (entriesMax === 0) {
      this.young.clear();
      this.old.clear();
    }
  }

  clear(): void {
    this.young.clear();
    this.old.clear();
  }
}

const conditions = new ParseCache<ParsedCondition>(parseConditionExpression);
const updates = new ParseCache<ParsedUpdate>(parseUpdateExpression);
const projections = new ParseCache<ParsedProjection>(parseProjectionExpression);
const caches = [conditions, updates, projections];

/** Sets the cache bound (e.g. from configuration); shrinking drops the oldest entries. */
export function setExpressionCacheEntriesMax(max: number): void {
  if (!Number.isInteger(max) || max < 0) throw new RangeError(`expression cache size must be a non-negative integer: ${max}`);
  entriesMax = max;
  for (const cache of caches) cache.trim();
}

/** The parsed ConditionExpression, FilterExpression or KeyConditionExpression `text`. */
export function cachedCondition(text: string): ParsedCondition {
  return conditions.get(text);
}

export function cachedUpdate(text: string): ParsedUpdate {
  return updates.get(text);
}

export function cachedProjection(text: string): ParsedProjection {
  return projections.get(text);
}

/** Cache counters, for tests and the observability endpoint. */
export function expressionCacheStats(): { entries: number; hits: number; misses: number; entriesMax: number } {
  return { entries: conditions.size + updates.size + projections.size, hits, misses, entriesMax };
}

/** Empties the caches and their counters. */
export function clearExpressionCache(): void {
  for (const cache of caches) cache.clear();
  hits = 0;
  misses = 0;
}
