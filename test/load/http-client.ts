// A minimal keep-alive HTTP/1.1 client connection for the load test: writes ready-made request
// texts and parses responses (status line, Content-Length, body). One request at a time per
// connection, no pipelining, as wrk does. Cheap enough that the generator, not the client
// library, is what it costs to drive the server from Node.
import { connect, type Socket } from 'node:net';

export interface HttpResponse {
  status: number;
  body: Buffer;
}

const headerEnd = Buffer.from('\r\n\r\n');

export class HttpConnection {
  private readonly socket: Socket;
  private buffered: Buffer | null = null;
  private waiter: ((res: HttpResponse) => void) | null = null;
  private failer: ((err: Error) => void) | null = null;
  private closed = false;
  readonly ready: Promise<void>;

  constructor(host: string, port: number) {
    this.socket = connect({ host, port, noDelay: true });
    this.ready = new Promise((resolve, reject) => {
      this.socket.once('connect', () => resolve());
      this.socket.once('error', reject);
    });
    this.socket.on('data', (chunk: Buffer) => this.onData(chunk));
    this.socket.on('error', (err) => this.fail(err));
    this.socket.on('close', () => this.fail(new Error('connection closed')));
  }

  /** Sends one request and resolves with its response. */
  request(raw: Buffer): Promise<HttpResponse> {
    if (this.closed) return Promise.reject(new Error('connection closed'));
    if (this.waiter !== null) return Promise.reject(new Error('one request at a time per connection'));
    return new Promise((resolve, reject) => {
      this.waiter = resolve;
      this.failer = reject;
      this.socket.write(raw);
    });
  }

  /** Sends one request; calls `done` with the response (no promise per request). */
  send(raw: Buffer, done: (res: HttpResponse) => void, failed: (err: Error) => void): void {
    if (this.closed) {
      failed(new Error('connection closed'));
      return;
    }
    this.waiter = done;
    this.failer = failed;
    this.socket.write(raw);
  }

  close(): void {
    this.closed = true;
    this.socket.destroy();
  }

  private onData(chunk: Buffer): void {
    let data = this.buffered === null ? chunk : Buffer.concat([this.buffered, chunk]);
    this.buffered = null;
    for (;;) {
      const end = data.indexOf(headerEnd);
      if (end === -1) break;
      const head = data.toString('latin1', 0, end);
      const status = Number(head.slice(9, 12));
      const match = /\r\ncontent-length:\s*(\d+)/i.exec(head);
      if (match === null) {
        this.fail(new Error(`response without Content-Length: ${head.slice(0, 200)}`));
        return;
      }
      const bodyStart = end + 4;
      const bodyEnd = bodyStart + Number(match[1]);
      if (data.length < bodyEnd) break;
      const res: HttpResponse = { status, body: data.subarray(bodyStart, bodyEnd) };
      data = data.subarray(bodyEnd);
      const waiter = this.waiter;
      this.waiter = null;
      this.failer = null;
      if (waiter !== null) waiter(res);
    }
    if (data.length > 0) this.buffered = Buffer.from(data);
  }

  private fail(err: Error): void {
    if (this.closed && this.failer === null) return;
    this.closed = true;
    const failer = this.failer;
    this.waiter = null;
    this.failer = null;
    if (failer !== null) failer(err);
  }
}

/** Opens `count` connections to host:port. */
export async function openConnections(host: string, port: number, count: number): Promise<HttpConnection[]> {
  const connections = Array.from({ length: count }, () => new HttpConnection(host, port));
  await Promise.all(connections.map((c) => c.ready));
  return connections;
}
