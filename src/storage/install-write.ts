// Writes a snapshot being installed into the node's batch: the first chunk clears the replica's
// range (items and the log followers' data), its log and its write ids; every chunk adds items,
// follower data and the write-id records the leader remembered (under the partition each was
// remembered for, finding N2); the last one sets every follower's position to the snapshot's.
import type { InstallWrite } from '../replication/replica-machine.ts';
import type { WriteIds } from '../replication/write-ids.ts';
import type { LogFollower } from './log-follower.ts';
import { logIndexMax, type NodeStore } from './node-store.ts';
import type { ReplicaSlot } from './replica-slot.ts';

export function writeInstall(store: NodeStore, writeIds: WriteIds, followers: readonly LogFollower[], now: number, slot: ReplicaSlot, install: InstallWrite): void {
  const { table, pid } = slot;
  if (install.clear) {
    store.clearRange(table, slot.hashStart, slot.hashEnd);
    store.removeLog(table, pid, 0, logIndexMax);
    writeIds.forgetReplica(table, pid);
  }
  for (let i = 0; i < install.kv.length; i += 2) store.putSnapshotItem(table, install.kv[i], install.kv[i + 1]);
  for (let i = 0; i < install.fkv.length; i += 2) store.putFollowerData(table, install.fkv[i], install.fkv[i + 1]);
  for (let i = 0; i < install.ids.length; i += 4) {
    writeIds.remember(install.ids[i] as string, table, install.ids[i + 1] as number, install.ids[i + 2] as number, install.ids[i + 3] as string | null, now);
  }
  // The snapshot was taken where every follower had caught up with the data.
  if (install.index !== null) for (const f of followers) slot.setPosition(f.name, install.index);
}
