// The simulator's test follower of the log: a change log per partition, as a stream would keep
// one. For every change of an item it records the old and the new stored bytes, under a key that
// orders a key's changes across splits ((the partition's since, log index) after the item's
// key). It lags on purpose (a seeded share of the committed entries it is offered is left for a
// later pump), so that positions, retention, catch-up, splits and installs are all exercised.
// checkChangeLogs() then replays each replica's log per key: every change exactly once and in
// order (each change's old image is the previous one's new image) and the last one equal to
// the item the replica holds.
import type { LogEntry } from '../../../src/replication/log-entry.ts';
import { followerDataKey, parseFollowerDataKey, type FollowedReplica, type LogFollower } from '../../../src/storage/log-follower.ts';
import { hashRangeOptions, type NodeStore } from '../../../src/storage/node-store.ts';
import type { Random } from './random.ts';

export const changeLogName = 'changes';

/** A record's value: flag (1: old present, 2: new present), then the two images, length-prefixed. */
function encodeChange(old: Uint8Array | null, next: Uint8Array | null): Buffer {
  const oldLength = old?.length ?? 0;
  const out = Buffer.allocUnsafe(1 + 4 + oldLength + (next?.length ?? 0));
  out[0] = (old === null ? 0 : 1) | (next === null ? 0 : 2);
  out.writeUInt32BE(oldLength, 1);
  if (old !== null) out.set(old, 5);
  if (next !== null) out.set(next, 5 + oldLength);
  return out;
}

function decodeChange(value: Uint8Array): { old: string | null; next: string | null } {
  const buf = Buffer.from(value.buffer, value.byteOffset, value.byteLength);
  const oldLength = buf.readUInt32BE(1);
  return {
    old: (buf[0] & 1) !== 0 ? buf.subarray(5, 5 + oldLength).toString('hex') : null,
    next: (buf[0] & 2) !== 0 ? buf.subarray(5 + oldLength).toString('hex') : null,
  };
}

function orderSuffix(since: number, index: number): Buffer {
  const suffix = Buffer.allocUnsafe(12);
  suffix.writeUIntBE(since, 0, 6);
  suffix.writeUIntBE(index, 6, 6);
  return suffix;
}

export class ChangeLogFollower implements LogFollower {
  readonly name = changeLogName;
  private readonly random: Random;
  /** Committed entries this follower took, and how often it lagged (took fewer than offered). */
  readonly counts = { entries: 0, lags: 0, fellBehind: 0 };

  constructor(random: Random) {
    this.random = random;
  }

  committed(replica: FollowedReplica, from: number, entries: readonly LogEntry[], batch: NodeStore, takeAll: boolean): number {
    // A seeded lag: a third of the time it takes only part of what it is offered.
    let take = entries.length;
    if (!takeAll && entries.length > 0 && this.random.chance(0.35)) {
      take = this.random.int(0, entries.length - 1);
      this.counts.lags++;
    }
    for (let j = 0; j < take; j++) {
      const entry = entries[j];
      for (const mu of entry.m) {
        const key = Buffer.concat([followerDataKey(changeLogName, mu.k), orderSuffix(replica.since, from + 1 + j)]);
        batch.putFollowerData(replica.table, key, encodeChange(mu.o, mu.b));
      }
    }
    this.counts.entries += take;
    return take;
  }

  split(): void {
    // Its records are keyed by item: the children's ranges hold theirs already.
  }

  fellBehind(): void {
    // The simulator keeps its lag far below the log's cap: this would be a gap, which the check reports.
    this.counts.fellBehind++;
  }
}

/**
 * Replays the change log `store` holds for [hashStart, hashEnd) against its items there: returns
 * what is wrong (empty when every key's changes link up, old image to new, from nothing to the
 * item as stored).
 */
export function checkChangeLogs(store: NodeStore, table: string, hashStart: number, hashEnd: number): string[] {
  const problems: string[] = [];
  const byKey = new Map<string, Array<{ old: string | null; next: string | null }>>();
  for (const { key, value } of store.followerData(table).getRange(hashRangeOptions(hashStart, hashEnd))) {
    const { follower, storageKey } = parseFollowerDataKey(key);
    if (follower !== changeLogName) continue;
    const itemKey = storageKey.subarray(0, storageKey.length - 12).toString('hex');
    let chain = byKey.get(itemKey);
    if (chain === undefined) byKey.set(itemKey, (chain = []));
    chain.push(decodeChange(value));
  }
  const items = new Map<string, string>();
  for (const { key, value } of store.items(table).getRange(hashRangeOptions(hashStart, hashEnd))) items.set(key.toString('hex'), value.toString('hex'));
  for (const [itemKey, chain] of byKey) {
    let current: string | null = null;
    for (let i = 0; i < chain.length; i++) {
      if (chain[i].old !== current) {
        problems.push(`key ${itemKey}: change ${i + 1} of ${chain.length} starts from ${short(chain[i].old)}, the one before ended at ${short(current)} (a change lost, repeated or out of order)`);
        break;
      }
      current = chain[i].next;
    }
    const stored = items.get(itemKey) ?? null;
    if (current !== stored) problems.push(`key ${itemKey}: its changes end at ${short(current)}, the item is ${short(stored)}`);
  }
  for (const itemKey of items.keys()) if (!byKey.has(itemKey)) problems.push(`key ${itemKey}: an item with no change recorded`);
  return problems;
}

function short(hex: string | null): string {
  return hex === null ? 'nothing' : hex.length > 24 ? `${hex.slice(0, 24)}…` : hex;
}
