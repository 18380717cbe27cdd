// One Query or Scan page read in bounded steps, so that a thread reading a long page (up to 1 MB
// of items) can serve other requests between steps. Each step reads from where the last one
// stopped until it has read `stepBytes` of stored items (it ends after the item that reaches that,
// as a page ends after the item that reaches its 1 MB); together the steps give exactly the page one readRange
// call would (same items, counts, bytes read and LastEvaluatedKey), read from the tree as it is at
// each step.
import type { ItemTree } from './node-store.ts';
import type { RangeRequest } from './messages.ts';
import { readRange, type PageSteps, type RangePage } from './range-read.ts';

export class SteppedPage {
  /** The page's request, left as it was given. */
  readonly req: RangeRequest;
  private readonly stepBytes: number;
  /** The request of the next step: the page's, from where the last step stopped. */
  private readonly stepReq: RangeRequest;
  private readonly steps: PageSteps = { count: 0, jsonBytes: 2, last: null, resumeAfter: null };
  private readonly parts: Uint8Array[] = [];
  private scanned = 0;
  private bytesRead = 0;
  private finished = false;

  /** `jsonBytesMax`: the reader's bound on a page's JSON, applied when the request's (jm) is larger. */
  constructor(req: RangeRequest, stepBytes: number, jsonBytesMax = req.jm) {
    if (!(stepBytes > 0)) throw new RangeError(`a page step must read some bytes, got ${stepBytes}`);
    this.req = req;
    this.stepBytes = stepBytes;
    this.stepReq = { ...req };
    if (this.stepReq.jm > jsonBytesMax) this.stepReq.jm = jsonBytesMax;
  }

  /** Whether the page is complete. */
  get done(): boolean {
    return this.finished;
  }

  /** The lower bound of the next step's keys: where a forward page goes on from. */
  get nextLo(): Uint8Array {
    return this.stepReq.lo;
  }

  /** Reads the next step from `data` (and `fetchFrom`, as readRange); true once the page is complete. */
  step(data: ItemTree, fetchFrom?: ItemTree): boolean {
    if (this.finished) throw new Error('SteppedPage.step after the page was complete');
    const req = this.req;
    const stepReq = this.stepReq;
    stepReq.lim = req.lim > 0 ? req.lim - this.scanned : 0;
    stepReq.max = Math.min(req.max - this.bytesRead, this.stepBytes);
    const part = readRange(data, stepReq, undefined, fetchFrom, this.steps);
    if (part.items.length > 0) this.parts.push(part.items);
    this.scanned += part.scanned;
    this.bytesRead += part.bytesRead;
    const resumeAfter = this.steps.resumeAfter;
    if (resumeAfter === null || this.bytesRead >= req.max) {
      this.finished = true;
      return true;
    }
    // On from the last item read, in the page's direction.
    if (req.rev) {
      stepReq.hi = resumeAfter;
      stepReq.hiInc = false;
    } else {
      stepReq.lo = resumeAfter;
      stepReq.loInc = false;
    }
    return false;
  }

  /** The page, once complete. */
  page(): RangePage {
    if (!this.finished) throw new Error('SteppedPage.page before the page was complete');
    return { items: joinItems(this.parts), count: this.steps.count, scanned: this.scanned, bytesRead: this.bytesRead, last: this.steps.last };
  }
}

/** The steps' items, each a comma-joined list, as one comma-joined list. */
function joinItems(parts: Uint8Array[]): Uint8Array {
  if (parts.length === 1) return parts[0];
  let length = parts.length === 0 ? 0 : parts.length - 1;
  for (const part of parts) length += part.length;
  const joined = Buffer.allocUnsafe(length);
  let at = 0;
  for (let i = 0; i < parts.length; i++) {
    if (i > 0) joined[at++] = 0x2c; // ','
    joined.set(parts[i], at);
    at += parts[i].length;
  }
  return joined;
}
