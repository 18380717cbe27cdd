// A front-door thread's link to the main thread: requests it does not answer itself go there
// whole (after their signature and policy were checked here), and their answers come back.
import type { MessagePort } from 'node:worker_threads';
import { DynamoError, type ErrorName } from './errors.ts';
import { ownedBytes, type DoorToMain, type MainToDoor } from './door-messages.ts';
import { MessageBatch } from './message-batch.ts';
import { PendingById } from './pending-by-id.ts';
import type { DispatchedRequest } from '../api/request-body.ts';
import type { AdminRequest } from './front-door.ts';
import type { ResponseBody } from './wire.ts';

interface Waiting {
  readonly id: number;
  resolve(value: unknown): void;
  reject(err: unknown): void;
}

export class MainLink {
  private readonly port: MessagePort;
  private readonly out: MessageBatch<DoorToMain>;
  private nextId = 1;
  private readonly waiting = new PendingById<Waiting>();
  /** Control messages from the main thread (drain, close). */
  onControl: (message: Extract<MainToDoor, { k: 'listen' | 'drain' | 'close' }>) => void = () => {};

  constructor(port: MessagePort) {
    this.port = port;
    this.out = new MessageBatch(port);
    port.on('message', (batch: MainToDoor[]) => {
      for (const message of batch) this.received(message);
    });
  }

  send(message: DoorToMain): void {
    this.out.sendNow(message);
  }

  /** Runs a DynamoDB request on the main thread; settles as the dispatcher there did. */
  forward(request: DispatchedRequest): Promise<ResponseBody> {
    const id = this.nextId++;
    const body = ownedBytes(request.body ?? Buffer.alloc(0));
    this.out.add({ k: 'op', id, target: request.target, body, authorization: request.authorization }, body.buffer as ArrayBuffer);
    return this.answer(id) as Promise<ResponseBody>;
  }

  /** A refusal this thread's authenticator saw: the main thread logs it (once for the server). */
  refused(accessKeyId: string, error: DynamoError): void {
    // At once, before the refusal is answered: the log keeps the order the client saw.
    this.out.sendNow({ k: 'refused', accessKeyId, name: error.kind.name as ErrorName, message: error.message });
  }

  /** An admin request (already authorized here), answered by the main thread's admin endpoints. */
  admin(request: AdminRequest): Promise<{ status: number; body: string }> {
    const id = this.nextId++;
    const body = ownedBytes(request.body);
    this.out.add({ k: 'admin', id, method: request.method, path: request.path, authorization: request.authorization, body }, body.buffer as ArrayBuffer);
    return this.answer(id) as Promise<{ status: number; body: string }>;
  }

  private answer(id: number): Promise<unknown> {
    return new Promise((resolve, reject) => this.waiting.add({ id, resolve, reject }));
  }

  private received(message: MainToDoor): void {
    if (message.k === 'listen' || message.k === 'drain' || message.k === 'close') {
      this.onControl(message);
      return;
    }
    const waiting = this.waiting.take(message.id);
    if (waiting === undefined) return;
    switch (message.k) {
      case 'ok':
        waiting.resolve(typeof message.body === 'string' ? message.body : Buffer.from(message.body.buffer, message.body.byteOffset, message.body.byteLength));
        return;
      case 'error':
        waiting.reject(new DynamoError(message.name, message.message, message.extra));
        return;
      case 'admin':
        waiting.resolve({ status: message.status, body: message.body });
        return;
    }
  }

  /** Requests waiting for the main thread (drain waits for them too: they are in flight). */
  get inFlight(): number {
    return this.waiting.size;
  }

  close(): void {
    this.port.close();
  }
}
