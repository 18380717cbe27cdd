// A front-door thread's handler: eventually consistent GetItem, Query, Scan and BatchGetItem run here, with
// the same operation code as on the main thread, against this thread's copy of the main thread's
// state (router/door-state.ts) and the nodes' B-trees (router/door-router.ts); every other
// request, and any of these that cannot be answered here exactly as the main thread would
// (forwardToMain), is forwarded to the main thread whole.
import { operationOf, type ResponseBody } from './wire.ts';
import type { HttpExchange, RequestHandler } from './front-door.ts';
import type { MainLink } from './main-link.ts';
import { DoorCount } from './door-messages.ts';
import { forwardToMain, type DoorState } from '../router/door-state.ts';
import { DoorRequestRouter, type DoorRouter } from '../router/door-router.ts';
import type { ReadApiContext } from '../api/context.ts';
import { parseBody } from '../api/request-body.ts';
import { getItem } from '../api/get-item.ts';
import { query } from '../api/query.ts';
import { scan } from '../api/scan.ts';
import { batchGetItem } from '../api/batch-get-item.ts';

/** Contributor Insights counts keys on the main thread only: a table that has it enabled is read there. */
const countedOnMain: ReadApiContext['contributors'] = {
  accessed() {
    throw forwardToMain;
  },
  throttled(_table, _pk, error) {
    return error;
  },
};

export class DoorHandler implements RequestHandler {
  private readonly state: DoorState;
  /** null: storage.localReads is off, and every request goes to the main thread. */
  private readonly router: DoorRouter | null;
  private readonly main: MainLink;
  private readonly ctx: ReadApiContext | null;
  /** What this thread did, for the main thread to read (DoorCount). */
  private readonly counts: Float64Array;
  private readonly localReads: { readonly served: number; readonly passed: number } | null;

  constructor(state: DoorState, reads: { router: DoorRouter; localReads: { readonly served: number; readonly passed: number } } | null, main: MainLink, counts: Float64Array) {
    this.state = state;
    this.counts = counts;
    this.router = reads?.router ?? null;
    this.localReads = reads?.localReads ?? null;
    this.main = main;
    this.ctx = reads === null ? null : { control: state, router: reads.router, contributors: countedOnMain };
  }

  handle(exchange: HttpExchange): Promise<ResponseBody> {
    if (this.router === null) return this.forward(exchange);
    this.state.catchUp();
    switch (operationOf(exchange.target)) {
      case 'GetItem':
        return this.here(getItem, exchange);
      case 'Query':
        return this.here(query, exchange);
      case 'Scan':
        return this.severalReadsHere(scan, this.router, exchange);
      case 'BatchGetItem':
        return this.severalReadsHere(batchGetItem, this.router, exchange);
      default:
        return this.forward(exchange);
    }
  }

  private async here(operation: (ctx: ReadApiContext, input: Record<string, unknown>) => Promise<ResponseBody>, exchange: HttpExchange): Promise<ResponseBody> {
    try {
      const answer = await operation(this.ctx!, parseBody(exchange.body!));
      this.answeredHere();
      return answer;
    } catch (err) {
      if (err !== forwardToMain) throw err;
      return this.forward(exchange);
    }
  }

  /** A Scan or BatchGetItem may make several reads: what they took is given back if it is forwarded part-way. */
  private async severalReadsHere(operation: (ctx: ReadApiContext, input: Record<string, unknown>) => Promise<ResponseBody>, doorRouter: DoorRouter, exchange: HttpExchange): Promise<ResponseBody> {
    const router = new DoorRequestRouter(doorRouter);
    try {
      const answer = await operation({ control: this.state, router, contributors: countedOnMain }, parseBody(exchange.body!));
      this.answeredHere();
      return answer;
    } catch (err) {
      if (err !== forwardToMain) throw err;
      doorRouter.giveBack(router.charges);
      return this.forward(exchange);
    }
  }

  private answeredHere(): void {
    this.counts[DoorCount.Answered]++;
    this.publishLocalReads();
  }

  private forward(exchange: HttpExchange): Promise<ResponseBody> {
    this.counts[DoorCount.Forwarded]++;
    this.publishLocalReads();
    return this.main.forward(exchange);
  }

  /** The local reads' counts where the main thread reads them. */
  private publishLocalReads(): void {
    if (this.localReads === null) return;
    this.counts[DoorCount.LocalServed] = this.localReads.served;
    this.counts[DoorCount.LocalPassed] = this.localReads.passed;
  }
}
