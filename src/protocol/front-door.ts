// The HTTP(S) front door on uWebSockets.js: accepts awsJson 1.0 requests (POST /), checks
// their SigV4 signature and the signer's policy, hands each to the dispatcher, and writes
// DynamoDB-shaped responses. Also the GET / health check and the admin endpoints under
// /_monodyne/ (same credentials). Hostile input is bounded here: header and body sizes, JSON
// nesting, bytes buffered across all requests, open connections, and slow senders.
import uWS from 'uWebSockets.js';
import { DynamoError } from './errors.ts';
import { contentType, crc32Of, errorBody, nextRequestNumber, operationOf, requestIdBytes, serverHeaderValue, type ResponseBody } from './wire.ts';
import { headerBytes, headerNameBytes } from './header-bytes.ts';
import type { HeaderSource } from '../auth/sigv4.ts';
import { acceptsGzip, BodyEncoding, bodyEncodingOf, gzipBody, inflateBody, type BodyEncodingCode, type InflateFailure } from './compression.ts';
import { requestBodyBytesMax } from '../limits.ts';
import type { Authenticator, PendingAuth } from '../auth/authenticator.ts';
import type { Credential } from '../auth/credentials.ts';
import { jsonNestingExceeds } from '../security/json-depth.ts';
import { DoorCounters } from './door-counters.ts';
import { LinkedSet, type Linked } from './linked-set.ts';

/** What the front door needs from the rest of the server. */
export interface RequestHandler {
  /** Returns the JSON response body (text, or its UTF-8 bytes); throws DynamoError for DynamoDB errors. */
  handle(exchange: HttpExchange): Promise<ResponseBody>;
}

/** The admin and observability endpoints under /_monodyne/ on the same listener. */
export interface AdminHandler {
  /** Answers one admin request with a status code and a JSON body. */
  handleAdmin(request: AdminRequest): Promise<{ status: number; body: string }>;
  /**
   * A static file of the console by its path under /_monodyne/ ("" is the page itself), served
   * without a signature: it carries no data, and every request it makes is signed.
   */
  staticFile?(path: string): StaticFile | undefined;
}

export interface StaticFile {
  contentType: string;
  body: Buffer;
}

/** Static files may only talk to this server and run no inline script. */
const staticFileSecurityPolicy = "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

export interface AdminRequest {
  method: string;
  /** Path under /_monodyne/, e.g. "partitions". */
  path: string;
  authorization: string;
  body: Buffer;
  /** Who signed the request; null when authentication is off. */
  principal: Credential | null;
}

/** Admin request bodies are small JSON commands. */
const adminBodyBytesMax = 64 * 1024;

/** Bytes of a body past its bound read and dropped before 413 is sent; past these the connection is closed at once. */
const tooLargeDiscardBytesMax = 16 * 1024 * 1024;

// The names and fixed values of the headers every request and answer has, as bytes (header-bytes.ts).
const okStatus = headerBytes('200 OK');
const contentTypeName = headerBytes('Content-Type');
const serverName = headerBytes('Server');
const requestIdName = headerBytes('x-amzn-RequestId');
const crc32Name = headerBytes('x-amz-crc32');
const targetName = headerBytes('x-amz-target');
const authorizationName = headerBytes('authorization');
const acceptEncodingName = headerBytes('accept-encoding');
const contentLengthName = headerBytes('content-length');
const contentEncodingName = headerBytes('content-encoding');

/** The request being accepted as the signature check reads it: header names go to uWebSockets.js as bytes. */
class AcceptedHeaders implements HeaderSource {
  req: uWS.HttpRequest | null = null;

  getHeader(lowerCaseName: string): string {
    return this.req!.getHeader(headerNameBytes(lowerCaseName));
  }
}
/** One for the thread: a request's headers are read while it is accepted, synchronously. */
const acceptedHeaders = new AcceptedHeaders();

/** Bounds on what one client can make the front door hold or wait for (config: limits.*). */
export interface FrontDoorLimits {
  requestBodyBytesMax: number;
  headerBytesMax: number;
  jsonNestingDepthMax: number;
  /** From the end of the headers to the last body byte. */
  bodyTimeoutMs: number;
  connectionsMax: number;
  /** Request bodies held in memory across all requests at once. */
  inFlightBodyBytesMax: number;
  /** Answers at least this long are gzipped for a client that accepts gzip; shorter ones gain too little. */
  responseCompressionBytesMin: number;
}

export const defaultFrontDoorLimits: FrontDoorLimits = {
  requestBodyBytesMax,
  headerBytesMax: 16 * 1024,
  jsonNestingDepthMax: 100,
  bodyTimeoutMs: 30_000,
  connectionsMax: 10_000,
  inFlightBodyBytesMax: 256 * 1024 * 1024,
  responseCompressionBytesMin: 4096,
};

export interface TlsFiles {
  certFile: string;
  keyFile: string;
  passphrase: string;
}

export interface FrontDoorSecurity {
  /** null: requests are not authenticated (auth.enabled is false). */
  auth: Authenticator | null;
  /** null: plain HTTP. */
  tls: TlsFiles | null;
  limits: FrontDoorLimits;
  /** Operation names the dispatcher serves; others are answered UnknownOperationException before authentication, as DynamoDB does. */
  operations: ReadonlySet<string> | null;
  /** Shared with the other front-door threads (absent: this front door's own). */
  counters?: DoorCounters;
}

const nestingMessage = 'Nesting Levels have exceeded supported limits: Attributes in the item have nested levels beyond supported limit';

/** One HTTP request/response pair, alive until the response is written or the client goes away. */
export class HttpExchange implements Linked<HttpExchange> {
  readonly res: uWS.HttpResponse;
  readonly target: string;
  /** The Authorization header; for a presigned request, its Credential in header form (for the region). */
  authorization: string;
  /** Numbers the request: its x-amzn-RequestId is written from it (requestIdBytes). */
  readonly requestNumber: number;
  private chunks: Buffer[] = [];
  private received = 0;
  /** Bytes of this request's body held in memory, counted in the front door's in-flight total. */
  buffered = 0;
  body: Buffer | null = null;
  aborted = false;
  done = false;
  /** Who signed the request, once verified; null when authentication is off. */
  principal: Credential | null = null;
  /** The signature check begun from the headers, finished when the body is in. */
  pending: PendingAuth | null = null;
  /** An answer decided from the headers alone: the body is read and dropped, then this is sent. */
  early: DynamoError | null = null;
  /** The body passed its bound: the rest is read and dropped, then 413 is sent and the connection closed. */
  tooLarge = false;
  /** When the body must have arrived (ms since the epoch). */
  deadline = 0;
  /** Set for requests under /_monodyne/: the admin action name checked against the policy. */
  adminAction: string | null = null;
  adminMethod = '';
  /** Path under /_monodyne/, e.g. "partitions". */
  adminPath = '';
  /** The body's Content-Encoding: inflated, within the body bound, once its signature is checked. */
  encoding: BodyEncodingCode = BodyEncoding.Identity;
  /** The client takes a gzipped answer (Accept-Encoding). */
  readonly acceptsGzip: boolean;
  private readonly server: FrontDoor;
  /** Its links in the front door's set of requests still receiving their body. */
  linkPrev: HttpExchange | null = null;
  linkNext: HttpExchange | null = null;
  linked = false;

  constructor(server: FrontDoor, res: uWS.HttpResponse, req: uWS.HttpRequest) {
    this.server = server;
    this.res = res;
    this.target = req.getHeader(targetName);
    this.authorization = req.getHeader(authorizationName);
    this.acceptsGzip = acceptsGzip(req.getHeader(acceptEncodingName));
    this.requestNumber = nextRequestNumber();
  }

  onData(chunk: ArrayBuffer, isLast: boolean): void {
    // An exception thrown back into uWebSockets.js ends the process: none may escape.
    try {
      this.receive(chunk, isLast);
    } catch (err) {
      this.fail(err, true);
    }
  }

  private receive(chunk: ArrayBuffer, isLast: boolean): void {
    if (this.done) return;
    const server = this.server;
    const size = chunk.byteLength;
    this.received += size;
    const bodyMax = this.adminAction === null ? server.limits.requestBodyBytesMax : adminBodyBytesMax;
    if (this.received > bodyMax && !this.tooLarge) {
      // Answered once the rest of the body is read and dropped: closing while the client still
      // sends makes the kernel reset the connection, and the client may never see the answer.
      this.tooLarge = true;
      this.early = new DynamoError('RequestEntityTooLarge', `Request size ${this.received} exceeded ${bodyMax} bytes`);
      this.chunks = [];
      server.releaseBodyBytes(this);
    }
    if (this.tooLarge && this.received > bodyMax + tooLargeDiscardBytesMax) {
      // A sender that goes on and on is cut off.
      this.fail(this.early, true);
      return;
    }
    if (this.early === null && size > 0) {
      if (!server.admitBodyBytes(size)) {
        this.fail(new DynamoError('ServiceUnavailable', 'The server is busy receiving other requests; try again'), true);
        return;
      }
      this.buffered += size;
      // uWS neuters the chunk after the callback: copy it.
      const copy = Buffer.from(new Uint8Array(chunk));
      if (!isLast) {
        this.chunks.push(copy);
        return;
      }
      this.body = this.chunks.length === 0 ? copy : Buffer.concat([...this.chunks, copy]);
      this.chunks = [];
    } else if (!isLast) {
      return;
    }
    if (this.body === null) this.body = this.chunks.length === 0 ? emptyBody : Buffer.concat(this.chunks);
    this.chunks = [];
    server.bodyComplete(this);
  }

  reply(body: ResponseBody): void {
    if (this.aborted || this.done) return;
    if (typeof body !== 'string' && !Buffer.isBuffer(body)) {
      this.fail(new Error(`an operation answered ${typeof body} instead of JSON text or bytes`));
      return;
    }
    this.done = true;
    if (this.acceptsGzip && body.length >= this.server.limits.responseCompressionBytesMin) {
      this.replyGzipped(body);
      return;
    }
    // The body goes to uWebSockets.js as it is, a string (it writes the UTF-8 bytes itself) or
    // bytes (items' JSON as stored), and is checksummed as it is: no conversion either way.
    // cork() runs its callback at once, so the callback is one function reading module
    // variables rather than a closure per answer.
    replyExchange = this;
    replyBody = body;
    this.res.cork(writeReply);
    replyExchange = null;
    replyBody = '';
    this.server.finished(this);
  }

  /**
   * A long answer to a client that accepts gzip, compressed on the thread pool. As DynamoDB's,
   * its x-amz-crc32 is of the bytes sent (compressed). The exchange is done already: an abort
   * meanwhile leaves its accounting to this answer.
   */
  private replyGzipped(body: ResponseBody): void {
    gzipBody(body, (err, compressed) => {
      if (this.aborted) {
        this.server.finished(this);
        return;
      }
      const res = this.res;
      const gzipped = err === null;
      const payload = gzipped ? compressed : body;
      res.cork(() => {
        res.writeStatus(okStatus).writeHeader(contentTypeName, contentType).writeHeader(serverName, serverHeaderValue).writeHeader(requestIdName, requestIdBytes(this.requestNumber));
        if (gzipped) res.writeHeader('Content-Encoding', 'gzip');
        res.writeHeader(crc32Name, crc32Of(payload)).end(payload);
      });
      this.server.finished(this);
    });
  }

  /** An admin endpoint's answer: its own status and a JSON body. */
  replyAdmin(status: number, body: string): void {
    if (this.aborted || this.done) return;
    this.done = true;
    const res = this.res;
    res.cork(() => {
      res.writeStatus(statusLine(status)).writeHeader('Content-Type', 'application/json').writeHeader(serverName, serverHeaderValue).writeHeader(requestIdName, requestIdBytes(this.requestNumber)).end(body);
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
        .writeHeader(contentTypeName, contentType)
        .writeHeader(serverName, serverHeaderValue)
        .writeHeader(requestIdName, requestIdBytes(this.requestNumber))
        .writeHeader(crc32Name, crc32Of(payload))
        .end(payload, closeConnection);
    });
    this.server.finished(this);
  }
}

let replyExchange: HttpExchange | null = null;
let replyBody: ResponseBody = '';
function writeReply(): void {
  const exchange = replyExchange!;
  exchange.res
    .writeStatus(okStatus)
    .writeHeader(contentTypeName, contentType)
    .writeHeader(serverName, serverHeaderValue)
    .writeHeader(requestIdName, requestIdBytes(exchange.requestNumber))
    .writeHeader(crc32Name, crc32Of(replyBody))
    .end(replyBody);
}

// (uWebSockets.js's typings lack this listen option and its constant.)
const exclusivePort = (uWS as unknown as { LIBUS_LISTEN_EXCLUSIVE_PORT: number }).LIBUS_LISTEN_EXCLUSIVE_PORT;

/**
 * Makes sure nothing listens on host:port (or, with port 0, picks a free port) by listening on it
 * exclusively for a moment: the front-door threads then share it with SO_REUSEPORT. Resolves the
 * port; rejects when it is in use or not available.
 */
export function claimPort(host: string, port: number): Promise<number> {
  const app = uWS.App();
  const listen = app.listen as unknown as (host: string, port: number, options: number, cb: (socket: uWS.us_listen_socket | false) => void) => void;
  return new Promise((resolve, reject) => {
    listen.call(app, host, port, exclusivePort, (socket) => {
      if (!socket) {
        app.close();
        reject(new Error(`cannot listen on ${host}:${port} (address in use or not available)`));
        return;
      }
      const claimed = uWS.us_socket_local_port(socket as unknown as uWS.us_socket);
      uWS.us_listen_socket_close(socket);
      app.close();
      resolve(claimed);
    });
  });
}

const emptyBody = Buffer.alloc(0);
const notFoundBody = Buffer.from('<UnknownOperationException/>\n');
// A copy: crc32Of's bytes are overwritten by the next call.
const notFoundCrc32 = crc32Of(notFoundBody).slice();

/**
 * A body nested past the bound: DynamoDB parses before it validates, so one that is no JSON at
 * all is a SerializationException (JSON.parse does not recurse; this runs only on such bodies).
 */
function deepBodyError(body: Buffer): DynamoError {
  try {
    JSON.parse(body.toString('utf8'));
  } catch {
    return new DynamoError('SerializationException', '');
  }
  return new DynamoError('ValidationException', nestingMessage);
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
    case 403:
      return '403 Forbidden';
    case 404:
      return '404 Not Found';
    case 408:
      return '408 Request Timeout';
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

/** Header bytes of the request being looked at; a module variable so counting needs no closure. */
let headerBytesSeen = 0;
function countHeader(name: string, value: string): void {
  headerBytesSeen += name.length + value.length + 4;
}

/** "GET" + "/_monodyne/partitions" → "monodyne:GetPartitions": the IAM-style action an admin request needs. */
export function adminActionOf(method: string, url: string): string {
  let name = method.charAt(0).toUpperCase() + method.slice(1).toLowerCase();
  for (const segment of url.slice('/_monodyne/'.length).split('/')) {
    for (const word of segment.split(/[^A-Za-z0-9]+/)) if (word) name += word.charAt(0).toUpperCase() + word.slice(1);
  }
  return `monodyne:${name}`;
}

export interface FrontDoorOptions {
  host: string;
  port: number;
  /**
   * Listen with SO_REUSEPORT, to share the port with the server's other front-door threads
   * (claimPort made sure nothing else held it). Otherwise exclusively: by default
   * uWebSockets.js sets SO_REUSEPORT, and a second server on a port in use would start and share
   * it instead of failing.
   */
  shared?: boolean;
}

export class FrontDoor {
  private readonly app: uWS.TemplatedApp;
  private readonly handler: RequestHandler;
  private readonly admin: AdminHandler | null;
  private readonly auth: Authenticator | null;
  private readonly operations: ReadonlySet<string> | null;
  readonly limits: FrontDoorLimits;
  readonly tls: boolean;
  private listenSocket: uWS.us_listen_socket | null = null;
  private inFlight = 0;
  private draining = false;
  private drained: (() => void) | null = null;
  /** Open connections and request body bytes held in memory, across all requests of every front-door thread. */
  private readonly counters: DoorCounters;
  /** Requests still receiving their body, watched for the body deadline. */
  private readonly receiving = new LinkedSet<HttpExchange>();
  private sweepTimer: NodeJS.Timeout | undefined;
  port = 0;

  constructor(handler: RequestHandler, admin?: AdminHandler, security: Partial<FrontDoorSecurity> = {}) {
    this.handler = handler;
    this.admin = admin ?? null;
    this.auth = security.auth ?? null;
    this.operations = security.operations ?? null;
    this.limits = security.limits ?? defaultFrontDoorLimits;
    this.counters = security.counters ?? new DoorCounters();
    const tls = security.tls ?? null;
    this.tls = tls !== null;
    this.app = tls
      ? uWS.SSLApp({ cert_file_name: tls.certFile, key_file_name: tls.keyFile, passphrase: tls.passphrase || undefined })
      : uWS.App();
    this.app.filter((res, count) => {
      const open = this.counters.addConnections(count as number);
      // Past the bound, a new connection is closed at once; it never costs a request's memory.
      if ((count as number) > 0 && open > this.limits.connectionsMax) res.close();
    });
    if (this.admin?.staticFile !== undefined) {
      // More specific than /_monodyne/*, so uWebSockets.js routes these here first.
      const serveStatic = (res: uWS.HttpResponse, req: uWS.HttpRequest) => this.serveStatic(res, req.getUrl());
      this.app.get('/_monodyne/', serveStatic);
      this.app.get('/_monodyne/console/*', serveStatic);
      this.app.get('/_monodyne', (res) => {
        res.writeStatus('301 Moved Permanently').writeHeader(serverName, serverHeaderValue).writeHeader('Location', '/_monodyne/').end();
      });
    }
    if (this.admin !== null) {
      const serveAdmin = (res: uWS.HttpResponse, req: uWS.HttpRequest) => this.accept(res, req, true);
      this.app.get('/_monodyne/*', serveAdmin);
      this.app.post('/_monodyne/*', serveAdmin);
    }
    this.app.get('/', (res) => {
      res.writeStatus('200 OK').writeHeader('Content-Type', 'text/plain').writeHeader(serverName, serverHeaderValue).end('healthy: monodyne');
    });
    this.app.post('/*', (res, req) => this.accept(res, req, false));
    // Anything but POST (and the GET / health check) gets what DynamoDB answers to it.
    this.app.any('/*', (res) => {
      res
        .writeStatus('404 Not Found')
        .writeHeader(serverName, serverHeaderValue)
        .writeHeader(requestIdName, requestIdBytes(nextRequestNumber()))
        .writeHeader(crc32Name, notFoundCrc32)
        .end(notFoundBody);
    });
  }

  private serveStatic(res: uWS.HttpResponse, url: string): void {
    const file = this.admin!.staticFile!(url.slice('/_monodyne/'.length));
    if (file === undefined) {
      res.writeStatus('404 Not Found').writeHeader('Content-Type', 'text/plain').writeHeader(serverName, serverHeaderValue).end('no such console file');
      return;
    }
    res
      .writeStatus('200 OK')
      .writeHeader('Content-Type', file.contentType)
      .writeHeader(serverName, serverHeaderValue)
      .writeHeader('Cache-Control', 'no-cache')
      .writeHeader('X-Content-Type-Options', 'nosniff')
      .writeHeader('Content-Security-Policy', staticFileSecurityPolicy)
      .end(file.body);
  }

  /** Everything decided while the request headers are at hand (uWS frees them on return). */
  private accept(res: uWS.HttpResponse, req: uWS.HttpRequest, isAdmin: boolean): void {
    // An exception thrown back into uWebSockets.js ends the process: none may escape.
    const exchange = new HttpExchange(this, res, req);
    this.inFlight++;
    res.onAborted(() => {
      exchange.aborted = true;
      if (!exchange.done) {
        exchange.done = true;
        this.finished(exchange);
      }
    });
    try {
      this.acceptExchange(exchange, res, req, isAdmin);
    } catch (err) {
      exchange.fail(err, true);
    }
  }

  private acceptExchange(exchange: HttpExchange, res: uWS.HttpResponse, req: uWS.HttpRequest, isAdmin: boolean): void {
    if (this.draining) {
      exchange.fail(new DynamoError('ServiceUnavailable', 'The server is shutting down'), true);
      return;
    }
    const url = req.getUrl();
    const query = req.getQuery() ?? ''; // undefined (not '') when the URL has no query
    headerBytesSeen = url.length + query.length;
    req.forEach(countHeader);
    if (headerBytesSeen > this.limits.headerBytesMax) {
      exchange.fail(new DynamoError('RequestEntityTooLarge', `Request headers of ${headerBytesSeen} bytes exceeded ${this.limits.headerBytesMax} bytes`), true);
      return;
    }
    const declaredLength = req.getHeader(contentLengthName);
    if (declaredLength !== '' && Number(declaredLength) > this.limits.requestBodyBytesMax) {
      exchange.fail(new DynamoError('RequestEntityTooLarge', `Request size ${declaredLength} exceeded ${this.limits.requestBodyBytesMax} bytes`), true);
      return;
    }
    const method = req.getCaseSensitiveMethod();
    if (isAdmin) {
      exchange.adminAction = adminActionOf(method, url);
      exchange.adminMethod = method.toUpperCase();
      exchange.adminPath = url.slice('/_monodyne/'.length);
    } else if (!this.isKnownTarget(exchange.target)) {
      exchange.early = new DynamoError('UnknownOperationException', '');
    }
    const contentEncoding = req.getHeader(contentEncodingName);
    if (contentEncoding !== '') {
      const encoding = bodyEncodingOf(contentEncoding);
      if (encoding !== -1) exchange.encoding = encoding;
      else exchange.early ??= new DynamoError('SerializationException', `Content-Encoding ${contentEncoding.slice(0, 64)} is not supported; send the body as is (identity), gzip or deflate`);
    }
    if (this.auth !== null && exchange.early === null) {
      try {
        acceptedHeaders.req = req;
        exchange.pending = this.auth.begin(acceptedHeaders, method, url, query);
      } catch (err) {
        exchange.early = err as DynamoError;
      } finally {
        // uWebSockets.js's request is valid only while it is being accepted.
        acceptedHeaders.req = null;
      }
    }
    exchange.deadline = Date.now() + this.limits.bodyTimeoutMs;
    this.receiving.add(exchange);
    res.onData((chunk, isLast) => exchange.onData(chunk, isLast));
  }

  private isKnownTarget(target: string): boolean {
    const name = operationOf(target);
    if (name === '') return false;
    return this.operations === null || this.operations.has(name);
  }

  /** Stops counting the body bytes an exchange holds (it dropped them). */
  releaseBodyBytes(exchange: HttpExchange): void {
    this.counters.subtractBodyBytes(exchange.buffered);
    exchange.buffered = 0;
  }

  /** Counts body bytes against the in-flight bound; false when they do not fit. */
  admitBodyBytes(bytes: number): boolean {
    return this.counters.tryAddBodyBytes(bytes, this.limits.inFlightBodyBytesMax);
  }

  /** The whole body is in: finish the signature check, authorize, bound the nesting, dispatch. */
  bodyComplete(exchange: HttpExchange): void {
    this.receiving.delete(exchange);
    if (exchange.early !== null) {
      exchange.fail(exchange.early, exchange.tooLarge);
      return;
    }
    const pending = exchange.pending;
    try {
      // The signature covers the body as sent, compressed or not.
      if (pending !== null) {
        exchange.principal = this.auth!.finish(pending, exchange.body!);
        if (exchange.authorization === '') exchange.authorization = `AWS4-HMAC-SHA256 Credential=${pending.credentialText}`;
      }
    } catch (err) {
      exchange.fail(err);
      return;
    }
    if (exchange.encoding !== BodyEncoding.Identity) {
      this.inflate(exchange);
      return;
    }
    this.bodyReady(exchange);
  }

  /** A compressed body whose signature holds: inflated within the same bounds as any body, then handled as one. */
  private inflate(exchange: HttpExchange): void {
    const bodyMax = exchange.adminAction === null ? this.limits.requestBodyBytesMax : adminBodyBytesMax;
    inflateBody(exchange.body!, exchange.encoding, bodyMax, (failure: InflateFailure | null, inflated: Buffer | null) => {
      if (exchange.done) return; // the client went away meanwhile
      if (failure !== null) {
        exchange.fail(
          failure === 'tooLarge'
            ? new DynamoError('RequestEntityTooLarge', `Request size exceeded ${bodyMax} bytes once decompressed`)
            : new DynamoError('SerializationException', `The request body is not valid ${exchange.encoding === BodyEncoding.Gzip ? 'gzip' : 'deflate'} data`),
          failure === 'tooLarge',
        );
        return;
      }
      if (!this.admitBodyBytes(inflated!.length)) {
        exchange.fail(new DynamoError('ServiceUnavailable', 'The server is busy receiving other requests; try again'), true);
        return;
      }
      exchange.buffered += inflated!.length;
      exchange.body = inflated;
      this.bodyReady(exchange);
    });
  }

  /** The body as the operation reads it: authorize, bound the nesting, dispatch. */
  private bodyReady(exchange: HttpExchange): void {
    const body = exchange.body!;
    const pending = exchange.pending;
    try {
      if (exchange.adminAction !== null) {
        if (exchange.principal !== null) this.auth!.authorizeAdmin(exchange.principal, exchange.adminAction, exchange.adminPath, pending!.region);
        this.dispatchAdmin(exchange);
        return;
      }
      if (jsonNestingExceeds(body, this.limits.jsonNestingDepthMax)) throw deepBodyError(body);
      if (exchange.principal !== null) {
        this.auth!.authorize(exchange.principal, operationOf(exchange.target), body, pending!.region);
      }
    } catch (err) {
      exchange.fail(err);
      return;
    }
    this.dispatch(exchange);
  }

  dispatch(exchange: HttpExchange): void {
    this.handler.handle(exchange).then(
      (body) => exchange.reply(body),
      (err) => exchange.fail(err),
    );
  }

  private dispatchAdmin(exchange: HttpExchange): void {
    const request: AdminRequest = {
      method: exchange.adminMethod,
      path: exchange.adminPath,
      authorization: exchange.authorization,
      body: exchange.body!,
      principal: exchange.principal,
    };
    this.admin!.handleAdmin(request).then(
      ({ status, body }) => exchange.replyAdmin(status, body),
      (err) => {
        console.error('[monodyne] admin endpoint failed:', err);
        exchange.replyAdmin(500, '{"error":"internal"}');
      },
    );
  }

  finished(exchange: HttpExchange): void {
    this.inFlight--;
    this.counters.subtractBodyBytes(exchange.buffered);
    exchange.buffered = 0;
    this.receiving.delete(exchange);
    if (this.draining && this.inFlight === 0 && this.drained) this.drained();
  }

  /** Answers requests whose body is later than its deadline (a slow or stalled sender). */
  private sweepDeadlines(): void {
    if (this.receiving.size === 0) return;
    const now = Date.now();
    for (const exchange of this.receiving.toArray()) {
      if (exchange.deadline <= now) {
        exchange.fail(new DynamoError('RequestTimeoutException', `The request body did not arrive within ${this.limits.bodyTimeoutMs} ms`), true);
      }
    }
  }

  listen(options: FrontDoorOptions): Promise<number> {
    return new Promise((resolve, reject) => {
      const listen = this.app.listen as unknown as (host: string, port: number, options: number, cb: (socket: uWS.us_listen_socket | false) => void) => void;
      listen.call(this.app, options.host, options.port, options.shared === true ? 0 : exclusivePort, (socket) => {
        if (!socket) {
          reject(new Error(`cannot listen on ${options.host}:${options.port} (address in use or not available)`));
          return;
        }
        this.listenSocket = socket;
        this.port = uWS.us_socket_local_port(socket as unknown as uWS.us_socket);
        const sweepMs = Math.max(50, Math.min(1000, this.limits.bodyTimeoutMs >> 2));
        this.sweepTimer = setInterval(() => this.sweepDeadlines(), sweepMs);
        this.sweepTimer.unref();
        resolve(this.port);
      });
    });
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
    clearInterval(this.sweepTimer);
    this.app.close();
  }

  /** Open connections right now (for tests and metrics). */
  get openConnections(): number {
    return this.counters.connections;
  }
}
