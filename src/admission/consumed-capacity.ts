// The ConsumedCapacity member of a response, for ReturnConsumedCapacity TOTAL or INDEXES.
import type { Direction } from './admission.ts';

/** `"ConsumedCapacity":{...}` for one table, or '' when the request did not ask for it. */
export function consumedCapacityMember(mode: unknown, tableName: string, units: number, direction: Direction): string {
  if (mode !== 'TOTAL' && mode !== 'INDEXES') return '';
  return `"ConsumedCapacity":${consumedCapacityJson(mode, tableName, units, direction)}`;
}

export function consumedCapacityJson(mode: 'TOTAL' | 'INDEXES', tableName: string, units: number, direction: Direction): string {
  const field = direction === 'read' ? 'ReadCapacityUnits' : 'WriteCapacityUnits';
  const capacity: Record<string, unknown> = { TableName: tableName, CapacityUnits: units, [field]: units };
  if (mode === 'INDEXES') capacity.Table = { CapacityUnits: units, [field]: units };
  return JSON.stringify(capacity);
}

/** Adds a member (e.g. from consumedCapacityMember) to a response body built as JSON text. */
export function withMember(body: string, member: string): string {
  if (member === '') return body;
  return body === '{}' ? `{${member}}` : `${body.slice(0, -1)},${member}}`;
}
