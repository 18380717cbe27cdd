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
  private readonly router: DoorRouter;
  private readonly main: MainLink;
  private readonly ctx: ReadApiContext;
  /** What this thread did, for the main thread to read (DoorCount). */
  private readonly counts: Float64Array;
  private readonly localReads: { readonly served: number; readonly passed: number } | null;

  constructor(state: DoorState, router: DoorRouter | null, main: MainLink, counts: Float64Array, localReads: { readonly served: number; readonly passed: number } | null) {
    this.state = state;
    this.counts = counts;
    this.localReads = localReads;
    this.router = router!;
    this.main = main;
    this.ctx = { control: state, router: router!, contributors: countedOnMain };
    if (router === null) this.handle = (exchange) => this.forward(exchange);
  }

  handle(exchange: HttpExchange): Promise<ResponseBody> {
    this.state.catchUp();
    switch (operationOf(exchange.target)) {
      case 'GetItem':
        return this.here(getItem, this.ctx, exchange);
      case 'Query':
        return this.here(query, this.ctx, exchange);
      case 'Scan':
        return this.severalReadsHere(scan, exchange);
      case 'BatchGetItem':
        return this.severalReadsHere(batchGetItem, exchange);
      default:
        return this.forward(exchange);
    }
  }

  private async here(operation: (ctx: ReadApiContext, input: Record<string, unknown>) => Promise<ResponseBody>, ctx: ReadApiContext, exchange: HttpExchange): Promise<ResponseBody> {
    try {
      const answer = await operation(ctx, parseBody(exchange.body!));
      this.answeredHere();
      return answer;
    } catch (err) {
      if (err !== forwardToMain) throw err;
      return this.forward(exchange);
    }
  }

  /** A Scan or BatchGetItem may make several reads: what they took is given back if it is forwarded part-way. */
  private async severalReadsHere(operation: (ctx: ReadApiContext, input: Record<string, unknown>) => Promise<ResponseBody>, exchange: HttpExchange): Promise<ResponseBody> {
    const router = new DoorRequestRouter(this.router);
    try {
      const answer = await operation({ control: this.state, router, contributors: countedOnMain }, parseBody(exchange.body!));
      this.answeredHere();
      return answer;
    } catch (err) {
      if (err !== forwardToMain) throw err;
      this.router.giveBack(router.charges);
      return this.forward(exchange);
    }
  }

  private answeredHere(): void {
    const counts = this.counts;
    counts[DoorCount.Answered]++;
    counts[DoorCount.LocalServed] = this.localReads!.served;
    counts[DoorCount.LocalPassed] = this.localReads!.passed;
  }

  private forward(exchange: HttpExchange): Promise<ResponseBody> {
    const counts = this.counts;
    counts[DoorCount.Forwarded]++;
    if (this.localReads !== null) {
      counts[DoorCount.LocalServed] = this.localReads.served;
      counts[DoorCount.LocalPassed] = this.localReads.passed;
    }
    return this.main.forward(exchange);
  }
}
