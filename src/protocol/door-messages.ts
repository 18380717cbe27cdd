// What the main thread and a second front-door thread (door-thread.ts) tell each other. The
// door thread parses, authenticates and authorizes every request on its connections, answers
// eventually consistent reads it can from the nodes' B-trees, and forwards everything else to
// the main thread, which runs it as if it had arrived there.
import type { MessagePort } from 'node:worker_threads';
import type { Config } from '../server/config.ts';
import type { TableRecord } from '../control/table-record.ts';
import type { PartitionAssignment } from '../storage/messages.ts';
import type { ErrorName } from './errors.ts';
import type { AdmissionSharedState, MeterDirectory } from '../admission/admission.ts';

/** What a door thread starts with (its workerData). */
export interface DoorThreadData {
  /** 1, 2, ...: the main thread is front door 0. */
  index: number;
  config: Config;
  encryptionKey: string | undefined;
  /** Operations the dispatcher serves (others are refused before authentication). */
  operations: string[];
  /** The main thread's state the door thread reads requests with, as a stream of changes (DoorStateChange). */
  state: MessagePort;
  /** Int32Array over it: [0] the last change posted on `state` (see DoorState.catchUp). */
  stateSeq: SharedArrayBuffer;
  /** Forwarded requests and their answers; control messages (drain, close). */
  requests: MessagePort;
  /** The front door's counters shared by every front-door thread (front-door.ts SharedDoorCounters). */
  counters: SharedArrayBuffer;
  /** Int32Array over it: [0] set to 1 by the door thread once its listener and connections are closed. */
  closed: SharedArrayBuffer;
  /** Float64Array over it (DoorCount): what the thread did, written by it alone, read by the main thread. */
  counts: SharedArrayBuffer;
}

/** The slots of DoorThreadData.counts. */
export const DoorCount = {
  /** Requests the thread answered itself. */
  Answered: 0,
  /** Requests it forwarded to the main thread. */
  Forwarded: 1,
  /** Its local reads (LocalReads.served, .passed). */
  LocalServed: 2,
  LocalPassed: 3,
  Slots: 4,
} as const;

/** A node's read view as the door thread gets it: where its B-tree is and its visibility marks. */
export interface DoorReadView {
  dir: string;
  incarnation: number;
  visibility: SharedArrayBuffer;
}

/** Main → door thread, on `state`: what changed, numbered. */
export interface DoorStateChange {
  seq: number;
  /** Table records by name (null: deleted); index holders included. */
  tables: Array<[string, TableRecord | null]>;
  /** Partition maps by tableId (null: deleted). */
  maps: Array<[string, PartitionAssignment[] | null]>;
  /** Every node's read view (null: none now), when one changed. */
  views: Array<DoorReadView | null> | null;
  /** Where tables' capacity meters live in the shared arena (Admission.directory; null: not there). */
  meters: Array<[string, MeterDirectory | null]>;
}

/** Door thread → main, on `requests`. */
export type DoorToMain =
  | { k: 'listening'; tid: number | null }
  | { k: 'listenFailed'; message: string }
  | { k: 'op'; id: number; target: string; body: Uint8Array; authorization: string }
  | { k: 'admin'; id: number; method: string; path: string; authorization: string; body: Uint8Array }
  | { k: 'drained' }
  /** A refused signature or unknown access key, for the main thread's refusal log. */
  | { k: 'refused'; accessKeyId: string; name: ErrorName; message: string };

/** Main → door thread, on `requests`. */
export type MainToDoor =
  | { k: 'ok'; id: number; body: string | Uint8Array }
  | { k: 'error'; id: number; name: ErrorName; message: string; extra?: Record<string, unknown> }
  | { k: 'admin'; id: number; status: number; body: string }
  | { k: 'listen'; port: number; admission: AdmissionSharedState }
  | { k: 'drain'; timeoutMs: number }
  | { k: 'close' };

/** A copy of `bytes` in an ArrayBuffer of its own, so that posting it can transfer rather than copy a pooled buffer. */
export function ownedBytes(bytes: Uint8Array): Uint8Array {
  return new Uint8Array(bytes);
}
