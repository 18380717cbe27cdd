// The control plane's catalog in the simulation: in memory, and a write is durable once its
// put resolves (a crash before that loses it, as a crash before an LMDB commit would).
import type { Catalog } from '../../../src/control/catalog.ts';
import type { TableRecord } from '../../../src/control/table-record.ts';
import type { Scheduler } from './scheduler.ts';

interface Durable {
  tables: Map<string, TableRecord>;
  mapVersion: number;
  nodeGenerations: number[];
}

export class SimCatalogDisk {
  durable: Durable = { tables: new Map(), mapVersion: 0, nodeGenerations: [] };
  /** Process starts so far (ids made by a process are unique by it). */
  restarts = 0;
}

export class SimCatalog implements Catalog {
  private readonly disk: SimCatalogDisk;
  private readonly scheduler: Scheduler;
  private readonly tables: Map<string, TableRecord>;
  mapVersion: number;
  nodeGenerations: number[];
  private crashed = false;

  constructor(disk: SimCatalogDisk, scheduler: Scheduler) {
    this.disk = disk;
    this.scheduler = scheduler;
    this.tables = new Map([...disk.durable.tables].map(([k, v]) => [k, structuredClone(v)]));
    this.mapVersion = disk.durable.mapVersion;
    this.nodeGenerations = disk.durable.nodeGenerations.slice();
  }

  crash(): void {
    this.crashed = true;
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

  put(table: TableRecord): Promise<void> {
    this.tables.set(table.name, table);
    const copy = structuredClone(table);
    const version = this.mapVersion;
    return this.persist((d) => {
      d.tables.set(copy.name, copy);
      d.mapVersion = Math.max(d.mapVersion, version);
    });
  }

  delete(name: string): Promise<void> {
    this.tables.delete(name);
    return this.persist((d) => d.tables.delete(name));
  }

  nextMapVersion(): number {
    return ++this.mapVersion;
  }

  setNodeGeneration(id: number, generation: number): Promise<void> {
    this.nodeGenerations[id] = generation;
    for (let i = 0; i < id; i++) this.nodeGenerations[i] ??= 0;
    const generations = this.nodeGenerations.slice();
    return this.persist((d) => (d.nodeGenerations = generations));
  }

  close(): Promise<void> {
    return Promise.resolve();
  }

  private persist(change: (d: Durable) => void): Promise<void> {
    return new Promise((resolve) =>
      this.scheduler.after(0.2, () => {
        if (this.crashed) return; // never resolves: the process is gone
        change(this.disk.durable);
        resolve();
      }),
    );
  }
}
