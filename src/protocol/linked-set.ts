// A set threaded through its members' own fields: adding and removing allocate nothing. The front
// door adds and removes every request once; a Set churned that way rehashes its table now and
// then, and V8 links each replaced table to its successor (for iterators still on it). A replaced
// table that had been promoted is garbage in the old generation that young-generation collections
// still treat as a root: it kept the newer tables, and the requests in them, alive until the next
// full collection (measured on the main thread: see the README's Performance section).

/** The fields a member carries (one LinkedSet per field set). */
export interface Linked<T> {
  linkPrev: T | null;
  linkNext: T | null;
  linked: boolean;
}

export class LinkedSet<T extends Linked<T>> {
  private head: T | null = null;
  private count = 0;

  get size(): number {
    return this.count;
  }

  add(member: T): void {
    if (member.linked) return;
    member.linkPrev = null;
    member.linkNext = this.head;
    if (this.head !== null) this.head.linkPrev = member;
    this.head = member;
    member.linked = true;
    this.count++;
  }

  delete(member: T): void {
    if (!member.linked) return;
    const prev = member.linkPrev;
    const next = member.linkNext;
    if (prev !== null) prev.linkNext = next;
    else this.head = next;
    if (next !== null) next.linkPrev = prev;
    member.linkPrev = null;
    member.linkNext = null;
    member.linked = false;
    this.count--;
  }

  /** The members now, newest first, in an array: the caller may remove any of them meanwhile. */
  toArray(): T[] {
    const out: T[] = [];
    for (let m = this.head; m !== null; m = m.linkNext) out.push(m);
    return out;
  }
}
