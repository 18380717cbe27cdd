// The HTTP front door on uWebSockets.js: accepts awsJson 1.0 requests (POST /), hands each
// to the dispatcher, and writes DynamoDB-shaped responses. Also the GET / health check.
import uWS from 'uWebSockets.js';
import { DynamoError } from './errors.ts';
import { contentType, crc32Of, errorBody, nextRequestId } from './wire.ts';
import { requestBodyBytesMax } from '../limits.ts';

/** What the front door needs from the rest of the server. */
export interface RequestHandler {
  /** Returns the JSON response body; throws DynamoError for DynamoDB errors. */
  handle(exchange: HttpExchange): Promise<string>;
}

/** The admin and observability endpoints under /_monodyne/ on the same listener. */
export interface AdminHandler {
  /** Answers one admin request with a status code and a JSON body. */
  handleAdmin(request: AdminRequest): Promise<{ status: number; body: string }>;
}

export interface AdminRequest {
  method: string;
  /** Path under /_monodyne/, e.g. "partitions". */
  path: string;
  authorization: string;
  body: Buffer;
}

/** Admin request bodies are small JSON commands. */
const adminBodyBytesMax = 64 * 1024;

/** One HTTP request/response pair, alive until the response is written or the client goes away. */
export class HttpExchange {
  readonly res: uWS.HttpResponse;
  readonly target: string;
  readonly authorization: string;
  readonly requestId: string;
  private chunks: Buffer[] = [];
  private received = 0;
  body: Buffer | null = null;
  aborted = false;
  done = false;
  private readonly server: FrontDoor;

  constructor(server: FrontDoor, res: uWS.HttpResponse, req: uWS.HttpRequest) {
    this.server = server;
    this.res = res;
    this.target = req.getHeader('x-amz-target');
    this.authorization = req.getHeader('authorization');
    this.requestId = nextRequestId();
  }

  onData(chunk: ArrayBuffer, isLast: boolean): void {
    if (this.done) return;
    this.received += chunk.byteLength;
    if (this.received > requestBodyBytesMax) {
      this.fail(new DynamoError('RequestEntityTooLarge', `Request size ${this.received} exceeded ${requestBodyBytesMax} bytes`), true);
      return;
    }
    // uWS neuters the chunk after the callback: copy it.
    const copy = Buffer.from(new Uint8Array(chunk));
    if (!isLast) {
      this.chunks.push(copy);
      return;
    }
    this.body = this.chunks.length === 0 ? copy : Buffer.concat([...this.chunks, copy]);
    this.chunks = [];
    this.server.dispatch(this);
  }

  reply(body: string): void {
    if (this.aborted || this.done) return;
    this.done = true;
    const payload = Buffer.from(body);
    const res = this.res;
    res.cork(() => {
      res
        .writeStatus('200 OK')
        .writeHeader('Content-Type', contentType)
        .writeHeader('x-amzn-RequestId', this.requestId)
        .writeHeader('x-amz-crc32', crc32Of(payload))
        .end(payload);
    });
    this.server.finished(this);
  }

  fail(err: unknown, closeConnection = false): void {
    if (this.aborted || this.done) return;
    this.done = true;
    const error = err instanceof DynamoError ? err : internalError(err);
    const payload = Buffer.from(errorBody(error));
    const res = this.res;
    res.cork(() => {
      res
        .writeStatus(statusLine(error.kind.status))
        .writeHeader('Content-Type', contentType)
        .writeHeader('x-amzn-RequestId', this.requestId)
        .writeHeader('x-amz-crc32', crc32Of(payload))
        .end(payload, closeConnection);
    });
    this.server.finished(this);
  }
}

function internalError(err: unknown): DynamoError {
  console.error('[monodyne] internal error:', err);
  return new DynamoError('InternalServerError', 'Internal server error');
}

function statusLine(status: number): string {
  switch (status) {
    case 200:
      return '200 OK';
    case 400:
      return '400 Bad Request';
    case 404:
      return '404 Not Found';
    case 403:
      return '403 Forbidden';
    case 413:
      return '413 Request Entity Too Large';
    case 500:
      return '500 Internal Server Error';
    case 503:
      return '503 Service Unavailable';
    default:
      return `${status} Error`;
  }
}

export interface FrontDoorOptions {
  host: string;
  port: number;
}

export class FrontDoor {
  private readonly app: uWS.TemplatedApp;
  private readonly handler: RequestHandler;
  private listenSocket: uWS.us_listen_socket | null = null;
  private inFlight = 0;
  private draining = false;
  private drained: (() => void) | null = null;
  port = 0;

  constructor(handler: RequestHandler, admin?: AdminHandler) {
    this.handler = handler;
    this.app = uWS.App();
    if (admin !== undefined) this.routeAdmin(admin);
    this.app.get('/', (res) => {
      res.writeStatus('200 OK').writeHeader('Content-Type', 'text/plain').end('healthy: monodyne');
    });
    this.app.post('/*', (res, req) => {
      const exchange = new HttpExchange(this, res, req);
      this.inFlight++;
      res.onAborted(() => {
        exchange.aborted = true;
        if (!exchange.done) {
          exchange.done = true;
          this.finished(exchange);
        }
      });
      if (this.draining) {
        exchange.fail(new DynamoError('ServiceUnavailable', 'The server is shutting down'), true);
        return;
      }
      res.onData((chunk, isLast) => exchange.onData(chunk, isLast));
    });
    this.app.any('/*', (res) => {
      res.writeStatus('404 Not Found').writeHeader('Content-Type', 'text/plain').end('Not Found');
    });
  }

  private routeAdmin(admin: AdminHandler): void {
    const serve = (res: uWS.HttpResponse, req: uWS.HttpRequest) => {
      const request: AdminRequest = {
        method: req.getMethod().toUpperCase(),
        path: req.getUrl().slice('/_monodyne/'.length),
        authorization: req.getHeader('authorization'),
        body: Buffer.alloc(0),
      };
      let aborted = false;
      res.onAborted(() => {
        aborted = true;
      });
      const chunks: Buffer[] = [];
      let received = 0;
      res.onData((chunk, isLast) => {
        received += chunk.byteLength;
        if (received > adminBodyBytesMax) {
          if (!aborted) res.cork(() => res.writeStatus('413 Request Entity Too Large').end('', true));
          aborted = true;
          return;
        }
        chunks.push(Buffer.from(new Uint8Array(chunk)));
        if (!isLast || aborted) return;
        request.body = Buffer.concat(chunks);
        admin.handleAdmin(request).then(
          ({ status, body }) => {
            if (!aborted) res.cork(() => res.writeStatus(statusLine(status)).writeHeader('Content-Type', 'application/json').end(body));
          },
          (err) => {
            console.error('[monodyne] admin endpoint failed:', err);
            if (!aborted) res.cork(() => res.writeStatus('500 Internal Server Error').writeHeader('Content-Type', 'application/json').end('{"error":"internal"}'));
          },
        );
      });
    };
    this.app.get('/_monodyne/*', serve);
    this.app.post('/_monodyne/*', serve);
  }

  listen(options: FrontDoorOptions): Promise<number> {
    return new Promise((resolve, reject) => {
      this.app.listen(options.host, options.port, (socket) => {
        if (!socket) {
          reject(new Error(`cannot listen on ${options.host}:${options.port} (address in use or not available)`));
          return;
        }
        this.listenSocket = socket;
        this.port = uWS.us_socket_local_port(socket as unknown as uWS.us_socket);
        resolve(this.port);
      });
    });
  }

  dispatch(exchange: HttpExchange): void {
    this.handler.handle(exchange).then(
      (body) => exchange.reply(body),
      (err) => exchange.fail(err),
    );
  }

  finished(_exchange: HttpExchange): void {
    this.inFlight--;
    if (this.draining && this.inFlight === 0 && this.drained) this.drained();
  }

  /** Stops accepting connections and waits (bounded) for in-flight requests to be answered. */
  async drain(timeoutMs: number): Promise<void> {
    this.draining = true;
    if (this.listenSocket) {
      uWS.us_listen_socket_close(this.listenSocket);
      this.listenSocket = null;
    }
    if (this.inFlight > 0) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, timeoutMs);
        this.drained = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  }

  close(): void {
    this.app.close();
  }
}
