// The main thread's side of the other front-door threads (door-thread.ts): starts them early (they
// load their code while the storage nodes start), has them join the port it listens on, runs the
// requests they forward as if they had arrived here, and stops them (drained first) with the
// server, or at once if the process exits without stopping it.
import { MessageChannel, Worker, type MessagePort } from 'node:worker_threads';
import { DynamoError } from './errors.ts';
import type { DoorThreadCounts } from './door-counts.ts';
import { MessageBatch } from './message-batch.ts';
import { DoorCount, ownedBytes, type DoorThreadData, type DoorToMain, type MainToDoor } from './door-messages.ts';
import type { AdminHandler } from './front-door.ts';
import type { ResponseBody } from './wire.ts';
import type { DispatchedRequest } from '../api/request-body.ts';
import type { DoorStatePublisher } from '../control/door-state-publisher.ts';
import type { AdmissionSharedState } from '../admission/admission.ts';
import type { Config } from '../server/config.ts';
import { doorThreadFile, storageWorkerExecArgv } from '../server/runtime-files.ts';
import { log } from '../server/logger.ts';

/** What runs a forwarded DynamoDB request: the dispatcher. */
export interface ForwardedRequestHandler {
  handle(request: DispatchedRequest): Promise<ResponseBody>;
}

export interface DoorThreadsOptions {
  /** Threads besides the main thread's front door. */
  count: number;
  config: Config;
  encryptionKey: string | undefined;
  operations: string[];
  /** The front door's shared counters (DoorCounters.sab). */
  counters: SharedArrayBuffer;
  /** DoorStatePublisher.seqSab. */
  stateSeq: SharedArrayBuffer;
}

/** How long a door thread may take to close its sockets when the process exits without stopping the server. */
const exitCloseWaitMs = 2000;

interface DoorThread {
  index: number;
  worker: Worker;
  port: MessagePort;
  /** What goes to the thread on `port`, a batch per turn. */
  out: MessageBatch<MainToDoor>;
  statePort: MessagePort;
  closed: Int32Array;
  counts: Float64Array;
  /** The thread's id in the operating system (null: not known). */
  tid: number | null;
  exited: Promise<void>;
  /** False once the thread ended. */
  running: boolean;
  /** Settles join's wait for the thread to listen. */
  listening: ((err: Error | null) => void) | null;
  drained: (() => void) | null;
}

export class DoorThreads {
  private readonly threads: DoorThread[] = [];
  private handler: ForwardedRequestHandler | null = null;
  private admin: AdminHandler | null = null;
  private publisher: DoorStatePublisher | null = null;
  /** Where the threads' refused signatures are logged (the main thread's authenticator). */
  private onRefused: ((accessKeyId: string, error: DynamoError) => void) | null = null;
  private readonly onExit = () => this.closeAtExit();

  /** Starts the threads: they load their code while the rest of the server starts (join). */
  static spawn(options: DoorThreadsOptions): DoorThreads {
    const doors = new DoorThreads();
    process.on('exit', doors.onExit);
    for (let i = 1; i <= options.count; i++) doors.spawnOne(i, options);
    return doors;
  }

  /**
   * Has every thread join `port` (the main thread listens on it, shared) once the server can
   * answer what they forward, metering reads on `admission`'s shared meters; resolves once each
   * listens, rejects if one cannot.
   */
  async join(port: number, handler: ForwardedRequestHandler, admin: AdminHandler, publisher: DoorStatePublisher, admission: AdmissionSharedState, onRefused: ((accessKeyId: string, error: DynamoError) => void) | null): Promise<void> {
    this.handler = handler;
    this.onRefused = onRefused;
    this.admin = admin;
    this.publisher = publisher;
    await Promise.all(
      this.threads.map(
        (thread) =>
          new Promise<void>((resolve, reject) => {
            if (!thread.running) {
              reject(new Error(`front-door thread ${thread.index} ended before it listened`));
              return;
            }
            thread.listening = (err) => (err === null ? resolve() : reject(err));
            publisher.attach(thread.statePort);
            post(thread, { k: 'listen', port, admission });
          }),
      ),
    );
  }

  private spawnOne(index: number, options: DoorThreadsOptions): void {
    const requests = new MessageChannel();
    const state = new MessageChannel();
    const closedSab = new SharedArrayBuffer(4);
    const countsSab = new SharedArrayBuffer(DoorCount.Slots * 8);
    const data: DoorThreadData = {
      index,
      config: options.config,
      encryptionKey: options.encryptionKey,
      operations: options.operations,
      state: state.port2,
      stateSeq: options.stateSeq,
      requests: requests.port2,
      counters: options.counters,
      closed: closedSab,
      counts: countsSab,
    };
    const worker = new Worker(new URL(doorThreadFile), { workerData: data, transferList: [state.port2, requests.port2], execArgv: storageWorkerExecArgv(), name: `front-door-${index}` });
    // The process may end while a door thread runs (closeAtExit closes its sockets first).
    worker.unref();
    const thread: DoorThread = {
      index,
      worker,
      port: requests.port1,
      out: new MessageBatch(requests.port1),
      statePort: state.port1,
      closed: new Int32Array(closedSab),
      counts: new Float64Array(countsSab),
      tid: null,
      running: true,
      exited: new Promise<void>((resolve) => worker.once('exit', () => resolve())),
      listening: null,
      drained: null,
    };
    this.threads.push(thread);
    requests.port1.on('message', (batch: DoorToMain[]) => {
      for (const message of batch) this.received(thread, message);
    });
    // Neither port keeps the process alive: a server's requests and timers do.
    requests.port1.unref();
    state.port1.unref();
    worker.on('error', (err) => log.error(`front-door thread ${index} failed:`, err));
    void thread.exited.then(() => {
      thread.running = false;
      this.publisher?.detach(state.port1);
      thread.listening?.(new Error(`front-door thread ${index} ended before it listened`));
      thread.drained?.();
    });
  }

  private received(thread: DoorThread, message: DoorToMain): void {
    switch (message.k) {
      case 'listening':
        thread.tid = message.tid;
        thread.listening?.(null);
        thread.listening = null;
        return;
      case 'listenFailed':
        thread.listening?.(new Error(message.message));
        thread.listening = null;
        return;
      case 'op':
        this.handler!.handle({ target: message.target, body: Buffer.from(message.body.buffer, message.body.byteOffset, message.body.byteLength), authorization: message.authorization }).then(
          (body) => answer(thread, message.id, body),
          (err) => answerError(thread, message.id, err),
        );
        return;
      case 'admin':
        this.admin!.handleAdmin({ method: message.method, path: message.path, authorization: message.authorization, body: Buffer.from(message.body.buffer, message.body.byteOffset, message.body.byteLength), principal: null }).then(
          ({ status, body }) => post(thread, { k: 'admin', id: message.id, status, body }),
          (err) => {
            log.error('admin endpoint failed:', err);
            post(thread, { k: 'admin', id: message.id, status: 500, body: '{"error":"internal"}' });
          },
        );
        return;
      case 'drained':
        thread.drained?.();
        return;
      case 'refused':
        this.onRefused?.(message.accessKeyId, new DynamoError(message.name, message.message));
        return;
    }
  }

  /** What each thread did so far (DoorCount slots), in thread order. */
  counts(): DoorThreadCounts[] {
    return this.threads.map((t) => ({ thread: t.index, tid: t.tid, answered: t.counts[DoorCount.Answered], forwarded: t.counts[DoorCount.Forwarded], localServed: t.counts[DoorCount.LocalServed], localPassed: t.counts[DoorCount.LocalPassed] }));
  }

  /** Stops the threads' listeners and waits (bounded) for what they have in flight, forwarded requests included. */
  async drain(timeoutMs: number): Promise<void> {
    await Promise.all(
      this.threads.map(
        (thread) =>
          new Promise<void>((resolve) => {
            const timer = setTimeout(resolve, timeoutMs + 1000);
            thread.drained = () => {
              clearTimeout(timer);
              resolve();
            };
            post(thread, { k: 'drain', timeoutMs });
          }),
      ),
    );
  }

  /** Closes the threads' sockets and waits for them to end. */
  async close(): Promise<void> {
    process.removeListener('exit', this.onExit);
    for (const thread of this.threads) post(thread, { k: 'close' });
    await Promise.all(
      this.threads.map(async (thread) => {
        const timer = setTimeout(() => void thread.worker.terminate(), exitCloseWaitMs);
        await thread.exited;
        clearTimeout(timer);
        this.publisher?.detach(thread.statePort);
        thread.statePort.close();
        thread.port.close();
      }),
    );
    this.threads.length = 0;
  }

  /**
   * The process exits without the server having stopped (a test runner's last file, an embedder's
   * process.exit): a thread still holding uWebSockets.js sockets when Node ends it aborts the
   * process, so each is told to close them, and waited for, synchronously.
   */
  private closeAtExit(): void {
    for (const thread of this.threads) thread.out.sendNow({ k: 'close' });
    for (const thread of this.threads) Atomics.wait(thread.closed, 0, 0, exitCloseWaitMs);
  }
}

function post(thread: DoorThread, message: MainToDoor, transfer?: ArrayBuffer): void {
  thread.out.add(message, transfer);
}

function answer(thread: DoorThread, id: number, body: ResponseBody): void {
  if (typeof body === 'string') {
    post(thread, { k: 'ok', id, body });
    return;
  }
  const bytes = ownedBytes(body);
  post(thread, { k: 'ok', id, body: bytes }, bytes.buffer as ArrayBuffer);
}

function answerError(thread: DoorThread, id: number, err: unknown): void {
  if (err instanceof DynamoError) {
    post(thread, { k: 'error', id, name: err.kind.name as never, message: err.message, extra: err.extra });
    return;
  }
  log.error('internal error (a request forwarded by a front-door thread):', err);
  post(thread, { k: 'error', id, name: 'InternalServerError', message: 'Internal server error' });
}
