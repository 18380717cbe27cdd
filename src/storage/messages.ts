// The frames that cross the rings: router ⇄ storage node requests and responses, and
// leader ⇄ follower replication traffic. Pure types and constants, shared by both sides.
import type { Item } from '../values/types.ts';

/** Storage operations a router can ask of a partition replica. */
export const Op = {
  Get: 1,
  Write: 2,
  Query: 3,
  Scan: 4,
  /** The propagator reads a partition's outbox (index changes for GSIs not yet delivered), on its leader. */
  Outbox: 5,
} as const;
export type OpCode = (typeof Op)[keyof typeof Op];

/** What a write does to one item once its condition (if any) holds. */
export const WriteKind = {
  Put: 1,
  Delete: 2,
  /** UpdateItem: apply an UpdateExpression to the current item (or to just the key). */
  Update: 3,
  /** The propagator delivered these outbox records (`acks`): every replica removes them. */
  OutboxAck: 4,
  /** Brings the items from key `k` on into the new index `rx` (a page of them per request). */
  Backfill: 5,
  /** The propagator's changes to a global index's table: `ib` holds key, stored item (null: delete), key, … */
  IndexBatch: 6,
  /** A transaction's action on item `k`: checked against it, its image recorded, the item locked for `tx`. */
  TxPrepare: 7,
  /** Transaction `tx` commits on item `k`: its recorded image is written and the lock released. */
  TxCommit: 8,
  /** Transaction `tx` is cancelled on item `k`: the lock is released, nothing written. */
  TxCancel: 9,
  /** Several transactions finish on items of one partition (`tf`), in one log entry: each a TxCommit or TxCancel. */
  TxFinishBatch: 10,
} as const;
export type WriteKindCode = (typeof WriteKind)[keyof typeof WriteKind];

/** Response status codes a storage node sends back. */
export const Status = {
  Ok: 0,
  /** The node does not hold this partition (or not in the role asked); `ver` has its map version. */
  WrongReplica: 1,
  /** A DynamoDB error to pass to the client: `err` = error name, `msg` = message. */
  ClientError: 2,
  /** Something broke inside the node; the router answers InternalServerError. */
  Internal: 3,
  /** The partition has too few live replicas to acknowledge a write; nothing was applied. */
  Unavailable: 4,
  /**
   * The write's outcome is unknown here (the replica stopped leading before it was committed):
   * the router retries it on the partition's leader with the same write id, which answers it
   * from its log if it has it and applies it otherwise.
   */
  Retry: 5,
  /**
   * A write of several keys (the propagator's OutboxAck, IndexBatch) named keys outside this
   * partition (it split since they were grouped): nothing was applied; the sender regroups them.
   */
  KeysOutside: 6,
} as const;
export type StatusCode = (typeof Status)[keyof typeof Status];

/** Fields every router → storage request carries. */
export interface RequestBase {
  /** Router's request id, echoed in the response. */
  id: number;
  op: OpCode;
  /** Table id (unique across re-creations of a table with the same name). */
  t: string;
  /** Partition id within the table. */
  p: number;
  /** Map version the router routed with. */
  v: number;
}

export interface GetRequest extends RequestBase {
  op: typeof Op.Get;
  /** Encoded item key. */
  k: Uint8Array;
  /** Consistent read: only the leader may answer. */
  c: boolean;
  /** TransactGetItems: an item a transaction holds is refused (TransactionConflict). */
  tl?: boolean;
}

export interface WriteRequest extends RequestBase {
  op: typeof Op.Write;
  /** Write id, the same on every retry of one client request: a new leader answers a retry of a write it already has from its log instead of applying it twice. */
  wid?: string;
  k: Uint8Array;
  w: WriteKindCode;
  /** The new item, for puts, and its DynamoDB size in bytes. */
  item: Item | null;
  sz: number;
  /** The key attributes, for updates (an update of a missing item starts from them). */
  key: Item | null;
  /** ConditionExpression and UpdateExpression with their names and values, validated by the router. */
  x: WriteExpressions | null;
  /** ReturnValues. */
  rv: ReturnValuesCode;
  /** ReturnValuesOnConditionCheckFailure ALL_OLD: a failed condition returns the item. */
  rvf: boolean;
  /** Absolute deadline (ms since the epoch): past it the router has answered, and the node must not apply it. */
  dl?: number;
  /** The table's secondary indexes (index-spec.ts), on every write to a table that has any. */
  ix?: Uint8Array;
  /** OutboxAck: the records delivered. */
  acks?: Uint8Array[];
  /** Backfill: the index being built. */
  rx?: string;
  /** ReturnConsumedCapacity was asked for: a table with indexes answers each index's units (StorageResponse.iu). */
  rc?: boolean;
  /** TxPrepare, TxCommit, TxCancel: the transaction's id. */
  tx?: string;
  /** TxPrepare: the action (WriteKind.Put, Update or Delete; 0: a ConditionCheck). */
  ta?: number;
  /** IndexBatch: index entries' keys and stored items (null: delete), alternating, all in one partition. */
  ib?: Array<Uint8Array | null>;
  /** TxFinishBatch: the items and their transactions, all in one partition (k is the first item's key). */
  tf?: TxFinishRequest[];
}

/** One item of a TxFinishBatch: transaction `tx` commits (c) or is cancelled on item `k`. */
export interface TxFinishRequest {
  k: Uint8Array;
  tx: string;
  c: boolean;
}

export const ReturnValues = {
  NONE: 0,
  ALL_OLD: 1,
  UPDATED_OLD: 2,
  ALL_NEW: 3,
  UPDATED_NEW: 4,
} as const;
export type ReturnValuesCode = (typeof ReturnValues)[keyof typeof ReturnValues];

export interface WriteExpressions {
  ConditionExpression?: string;
  UpdateExpression?: string;
  ExpressionAttributeNames?: Record<string, string>;
  ExpressionAttributeValues?: Item;
}

export interface RangeRequest extends RequestBase {
  op: typeof Op.Query | typeof Op.Scan;
  /** Lower bound (encoded key) and whether it is included. */
  lo: Uint8Array;
  loInc: boolean;
  /** Upper bound (encoded key) and whether it is included; null = end of partition. */
  hi: Uint8Array | null;
  hiInc: boolean;
  /** Keys must start with this prefix (begins_with, or one partition key for Query). */
  pre: Uint8Array | null;
  /** Iterate backwards (ScanIndexForward false). */
  rev: boolean;
  /** Stop after this many items (0 = no limit). */
  lim: number;
  /** Stop once this many bytes of items have been read. */
  max: number;
  /**
   * Stop before the page's items, as one JSON array text, would take more than this many UTF-8
   * bytes, so that its answer fits a frame; a page's first item is returned whatever its size.
   */
  jm: number;
  c: boolean;
  /** Key attribute names, to build LastEvaluatedKey from the last item read. */
  kn: string[];
  /**
   * Expressions the node applies per item, already validated by the router: FilterExpression,
   * ProjectionExpression, and the KeyConditionExpression when the key range is not exact.
   */
  x: RangeExpressions | null;
  /** Select COUNT: count matching items, return none. */
  cnt: boolean;
  /** A local secondary index: walk the followers' data (its entries) instead of the items. */
  fd?: boolean;
  /** With fd: answer each entry's whole item from the table (the table's key names, to find it). */
  tk?: string[];
  /** With fd, a Scan: only keys with this tag (one LSI's entries among the followers' data). */
  tag?: Uint8Array;
}

export interface OutboxRequest extends RequestBase {
  op: typeof Op.Outbox;
  /** Start after this key (null: from the partition's start). */
  lo: Uint8Array;
  loInc: boolean;
  /** At most this many records, and about this many bytes. */
  lim: number;
  max: number;
  c: true;
  /** The stream's change records (streams/stream-change.ts) instead of the GSI outbox. */
  sk?: true;
}

export interface RangeExpressions {
  KeyConditionExpression?: string;
  FilterExpression?: string;
  ProjectionExpression?: string;
  ExpressionAttributeNames?: Record<string, string>;
  ExpressionAttributeValues?: Item;
}

export type StorageRequest = GetRequest | WriteRequest | RangeRequest | OutboxRequest;

export interface StorageResponse {
  id: number;
  s: StatusCode;
  /**
   * Writes: the Attributes ReturnValues asked for; a failed condition with
   * ReturnValuesOnConditionCheckFailure: the item. DynamoDB JSON text, serialized off the main thread.
   */
  item?: string | null;
  /** GetItem: the item's DynamoDB JSON as UTF-8 bytes, as stored (null: no such item). */
  json?: Uint8Array | null;
  /** Query/Scan page: the items' DynamoDB JSON joined by commas (UTF-8, no brackets), how many, and how many were read. */
  items?: Uint8Array;
  count?: number;
  scanned?: number;
  /** Key attributes of the last item read when the page stopped early, else null. */
  last?: Item | null;
  /** Bytes read, or for a write the larger of the item's old and new sizes (capacity accounting). */
  n?: number;
  /** Scan: the hash where the range this replica served ends (its partition may be smaller than the router thought). */
  he?: number;
  /** Capacity units the router charged for this response (set by the router, not sent by nodes). */
  cu?: number;
  /** WrongReplica: the node's map version for this table. */
  ver?: number;
  /** Outbox: records as key, value, key, value…; Backfill: the key the next page starts at (null: done). */
  ob?: Uint8Array[];
  next?: Uint8Array | null;
  /** A write to a table with local indexes: its item collection's size afterwards, in bytes. */
  ic?: number;
  /** IndexBatch: the write units its entries take (each rounded up by itself), instead of n's. */
  wu?: number;
  /** A write to a table with local indexes: their write units, charged with the table's. */
  xu?: number;
  /** With rc: each index's write units for this write (indexes it changed). */
  iu?: Record<string, number>;
  err?: string;
  msg?: string;
}

/** Where a partition lives, as told to storage nodes by the control plane. */
export interface PartitionAssignment {
  table: string;
  pid: number;
  /** Inclusive start and exclusive end of the partition's 32-bit hash range (end may be 2^32). */
  hashStart: number;
  hashEnd: number;
  /** Worker ids holding replicas; replicas[0] is not necessarily the leader. */
  replicas: number[];
  leader: number;
  epoch: number;
  /** Map version at which this assignment was published. */
  version: number;
  /** Set on a partition made by a split: the partition it came from. */
  parent?: number;
  /**
   * The map version at which the partition was made (its split's, or its table's creation):
   * a child's is above its parent's, so (since, log index) orders a key's changes across splits.
   */
  since?: number;
}
