// Requests waiting for their answer, by request id (the storage transport's, a front door's
// forwarded to the main thread): an array indexed by the id's low bits. Ids are handed out in
// sequence, so the ones pending together fall into distinct slots; a request still pending when a
// later id needs its slot (one waiting for its deadline while thousands pass) moves to a small
// map. A Map holding every request, churned once per request, rehashes now and then, and V8 links
// each replaced table to its successor: a promoted replaced table kept the newer tables and the
// requests in them (their promises, their answers) alive through young-generation collections
// (see linked-set.ts for the same on the front door).

/** What a pending entry must carry. */
export interface PendingEntry {
  readonly id: number;
}

const initialSlots = 256;

export class PendingById<T extends PendingEntry> {
  private slots: Array<T | null> = new Array<T | null>(initialSlots).fill(null);
  private mask = initialSlots - 1;
  private inSlots = 0;
  /** Entries whose slot a later id took (rare: a request outliving as many newer ones as there are slots). */
  private readonly displaced = new Map<number, T>();

  get size(): number {
    return this.inSlots + this.displaced.size;
  }

  add(entry: T): void {
    if (this.inSlots >= this.slots.length >>> 1) this.grow();
    const at = entry.id & this.mask;
    const occupant = this.slots[at];
    if (occupant !== null) {
      if (occupant.id === entry.id) throw new Error(`request id ${entry.id} is already pending`);
      this.displaced.set(occupant.id, occupant);
      this.inSlots--;
    }
    this.slots[at] = entry;
    this.inSlots++;
  }

  /** Removes and returns the entry of `id`, or undefined when none is pending. */
  take(id: number): T | undefined {
    const at = id & this.mask;
    const entry = this.slots[at];
    if (entry !== null && entry.id === id) {
      this.slots[at] = null;
      this.inSlots--;
      return entry;
    }
    if (this.displaced.size === 0) return undefined;
    const moved = this.displaced.get(id);
    if (moved !== undefined) this.displaced.delete(id);
    return moved;
  }

  /** Removes and returns every entry `pick` selects (deadline sweeps, a node declared dead). */
  takeWhere(pick: (entry: T) => boolean): T[] {
    const out: T[] = [];
    const slots = this.slots;
    for (let i = 0; i < slots.length; i++) {
      const entry = slots[i];
      if (entry !== null && pick(entry)) {
        slots[i] = null;
        this.inSlots--;
        out.push(entry);
      }
    }
    for (const [id, entry] of this.displaced) {
      if (!pick(entry)) continue;
      this.displaced.delete(id);
      out.push(entry);
    }
    return out;
  }

  /** Twice the slots, every entry placed anew (entries in distinct slots stay in distinct slots). */
  private grow(): void {
    const old = this.slots;
    this.slots = new Array<T | null>(old.length * 2).fill(null);
    this.mask = this.slots.length - 1;
    this.inSlots = 0;
    for (const entry of old) if (entry !== null) this.add(entry);
  }
}
