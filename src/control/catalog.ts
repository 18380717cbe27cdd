// The control plane's durable catalog: table definitions and their partition assignments,
// kept in a small LMDB environment owned by the main thread. Writes are asynchronous
// (committed off-thread by lmdb-js) so the front door never blocks on them.
import { open, type RootDatabase } from 'lmdb';
import type { TableRecord } from './table-record.ts';

const tablePrefix = 'table:';

/**
 * The control plane's durable state: tables and their partitions, the map version, and each
 * storage node's incarnation. The server keeps it in LMDB; the simulator in memory.
 */
export interface Catalog {
  mapVersion: number;
  nodeGenerations: number[];
  get(name: string): TableRecord | undefined;
  names(): string[];
  all(): TableRecord[];
  /** Records a table (new or changed) and the map version; resolves once durable. */
  put(table: TableRecord): Promise<void>;
  delete(name: string): Promise<void>;
  nextMapVersion(): number;
  setNodeGeneration(id: number, generation: number): Promise<void>;
  close(): Promise<void>;
}

/** The LMDB directory of node `id`'s current incarnation (a replacement gets a new, empty one). */
export function nodeDir(dataDir: string, generations: number[], id: number): string {
  const generation = generations[id] ?? 0;
  return generation === 0 ? `${dataDir}/node-${id}` : `${dataDir}/node-${id}-g${generation}`;
}

export class LmdbCatalog implements Catalog {
  private readonly db: RootDatabase<TableRecord | number | number[], string>;
  private readonly tables = new Map<string, TableRecord>();
  mapVersion = 0;
  /** Per storage node: the generation of its current incarnation (a replacement gets a new, empty directory). */
  nodeGenerations: number[] = [];
  /** Told of every change to a table's record, as it is made (the front-door threads' copy follows it). */
  onTableChange: ((name: string) => void) | null = null;

  private constructor(path: string, sync: boolean, encryptionKey?: string) {
    this.db = open<TableRecord | number | number[], string>({
      path,
      encoding: 'msgpack',
      noSync: !sync,
      compression: false,
      ...(encryptionKey ? { encryptionKey } : {}),
    });
    for (const { key, value } of this.db.getRange({ start: tablePrefix, end: tablePrefix + '\uffff' })) {
      this.tables.set(key.slice(tablePrefix.length), value as TableRecord);
    }
    this.mapVersion = (this.db.get('mapVersion') as number | undefined) ?? 0;
    this.nodeGenerations = (this.db.get('nodeGenerations') as number[] | undefined) ?? [];
  }

  /** The LMDB directory of node `id`'s current incarnation. */
  nodeDir(dataDir: string, id: number): string {
    const generation = this.nodeGenerations[id] ?? 0;
    return generation === 0 ? `${dataDir}/node-${id}` : `${dataDir}/node-${id}-g${generation}`;
  }

  async setNodeGeneration(id: number, generation: number): Promise<void> {
    this.nodeGenerations[id] = generation;
    for (let i = 0; i < id; i++) this.nodeGenerations[i] ??= 0;
    await this.db.put('nodeGenerations', this.nodeGenerations.slice());
  }

  /** `encryptionKey`: lmdb-js's key (32 ASCII characters) when the data is encrypted at rest. */
  static open(path: string, sync: boolean, encryptionKey?: string): LmdbCatalog {
    return new LmdbCatalog(path, sync, encryptionKey);
  }

  get(name: string): TableRecord | undefined {
    return this.tables.get(name);
  }

  names(): string[] {
    return [...this.tables.keys()].sort();
  }

  all(): TableRecord[] {
    return [...this.tables.values()];
  }

  /** Records a table (new or changed) and the map version it was published at. */
  async put(table: TableRecord): Promise<void> {
    this.tables.set(table.name, table);
    this.onTableChange?.(table.name);
    await this.db.transaction(() => {
      this.db.put(tablePrefix + table.name, table);
      this.db.put('mapVersion', this.mapVersion);
    });
  }

  async delete(name: string): Promise<void> {
    this.tables.delete(name);
    this.onTableChange?.(name);
    await this.db.remove(tablePrefix + name);
  }

  nextMapVersion(): number {
    return ++this.mapVersion;
  }

  close(): Promise<void> {
    return this.db.close();
  }
}
