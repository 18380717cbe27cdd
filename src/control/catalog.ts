// The control plane's durable catalog: table definitions and their partition assignments,
// kept in a small LMDB environment owned by the main thread. Writes are asynchronous
// (committed off-thread by lmdb-js) so the front door never blocks on them.
import { open, type RootDatabase } from 'lmdb';
import type { TableRecord } from './table-record.ts';

const tablePrefix = 'table:';

export class Catalog {
  private readonly db: RootDatabase<TableRecord | number, string>;
  private readonly tables = new Map<string, TableRecord>();
  mapVersion = 0;

  private constructor(path: string, sync: boolean) {
    this.db = open<TableRecord | number, string>({ path, encoding: 'msgpack', noSync: !sync, compression: false });
    for (const { key, value } of this.db.getRange({ start: tablePrefix, end: tablePrefix + '\uffff' })) {
      this.tables.set(key.slice(tablePrefix.length), value as TableRecord);
    }
    this.mapVersion = (this.db.get('mapVersion') as number | undefined) ?? 0;
  }

  static open(path: string, sync: boolean): Catalog {
    return new Catalog(path, sync);
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
    await this.db.transaction(() => {
      this.db.put(tablePrefix + table.name, table);
      this.db.put('mapVersion', this.mapVersion);
    });
  }

  async delete(name: string): Promise<void> {
    this.tables.delete(name);
    await this.db.remove(tablePrefix + name);
  }

  nextMapVersion(): number {
    return ++this.mapVersion;
  }

  close(): Promise<void> {
    return this.db.close();
  }
}
