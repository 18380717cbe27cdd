// The transaction ledger: what the coordinator decided about each transaction it has not
// finished, durable before it acts on the decision, so that after a crash (or a coordinator that
// gave up) another one finishes it: a transaction still preparing or cancelling is cancelled on
// every item, one committing is committed on every item. Also the ClientRequestTokens of the
// last 10 minutes, so a repeated request is answered without applying it again.
import { open, type RootDatabase } from 'lmdb';

export type LedgerState = 'preparing' | 'committing' | 'cancelling';

/** One item of a transaction: where it is and, for a commit, the table's index spec. */
export interface LedgerItem {
  tableId: string;
  table: string;
  k: Uint8Array;
  hash32: number;
  ix?: Uint8Array;
}

export interface LedgerRecord {
  id: string;
  state: LedgerState;
  items: LedgerItem[];
  /** Milliseconds since the epoch when it began. */
  at: number;
}

/** A ClientRequestToken's request and its outcome while it counts (10 minutes). */
export interface TokenRecord {
  token: string;
  /** A digest of the request the token came with. */
  request: string;
  state: 'running' | 'done';
  /** The answer of the finished request (its body), when done. */
  answer?: string;
  expiresAt: number;
}

export interface Ledger {
  put(record: LedgerRecord): Promise<void>;
  remove(id: string): Promise<void>;
  all(): LedgerRecord[];
  token(token: string): TokenRecord | undefined;
  putToken(record: TokenRecord): Promise<void>;
  removeToken(token: string): Promise<void>;
  tokens(): TokenRecord[];
  close(): Promise<void>;
}

const txPrefix = 'tx:';
const tokenPrefix = 'token:';

/** The server's ledger: a small LMDB environment of the main thread, written with synced commits. */
export class LmdbLedger implements Ledger {
  private readonly db: RootDatabase<LedgerRecord | TokenRecord, string>;
  private readonly records = new Map<string, LedgerRecord>();
  private readonly tokenRecords = new Map<string, TokenRecord>();

  private constructor(path: string, sync: boolean, encryptionKey?: string) {
    this.db = open<LedgerRecord | TokenRecord, string>({ path, encoding: 'msgpack', noSync: !sync, compression: false, ...(encryptionKey ? { encryptionKey } : {}) });
    for (const { key, value } of this.db.getRange({ start: txPrefix, end: txPrefix + '\uffff' })) this.records.set(key.slice(txPrefix.length), value as LedgerRecord);
    for (const { key, value } of this.db.getRange({ start: tokenPrefix, end: tokenPrefix + '\uffff' })) this.tokenRecords.set(key.slice(tokenPrefix.length), value as TokenRecord);
  }

  static open(path: string, sync: boolean, encryptionKey?: string): LmdbLedger {
    return new LmdbLedger(path, sync, encryptionKey);
  }

  async put(record: LedgerRecord): Promise<void> {
    this.records.set(record.id, record);
    await this.db.put(txPrefix + record.id, record);
  }

  async remove(id: string): Promise<void> {
    this.records.delete(id);
    await this.db.remove(txPrefix + id);
  }

  all(): LedgerRecord[] {
    return [...this.records.values()];
  }

  token(token: string): TokenRecord | undefined {
    return this.tokenRecords.get(token);
  }

  async putToken(record: TokenRecord): Promise<void> {
    this.tokenRecords.set(record.token, record);
    await this.db.put(tokenPrefix + record.token, record);
  }

  async removeToken(token: string): Promise<void> {
    this.tokenRecords.delete(token);
    await this.db.remove(tokenPrefix + token);
  }

  tokens(): TokenRecord[] {
    return [...this.tokenRecords.values()];
  }

  close(): Promise<void> {
    return this.db.close();
  }
}
