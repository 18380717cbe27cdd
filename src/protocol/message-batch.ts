// Messages between front-door threads, posted once per turn of the event loop as one array: a
// busy thread forwards many requests (and answers many) per turn, and each postMessage costs a
// copy and a wake-up on each side.
import type { MessagePort } from 'node:worker_threads';

export class MessageBatch<T> {
  private readonly port: MessagePort;
  private messages: T[] = [];
  private transfer: ArrayBuffer[] = [];
  private scheduled = false;
  private readonly flushNow = () => this.flush();

  constructor(port: MessagePort) {
    this.port = port;
  }

  /** Posts `message` with the others of this turn; `transfer`: a buffer it owns, moved rather than copied. */
  add(message: T, transfer?: ArrayBuffer): void {
    this.messages.push(message);
    if (transfer !== undefined) this.transfer.push(transfer);
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(this.flushNow);
  }

  /** Posts what is waiting and `message` at once (at exit no later turn comes). */
  sendNow(message: T): void {
    this.messages.push(message);
    this.flush();
  }

  private flush(): void {
    this.scheduled = false;
    if (this.messages.length === 0) return;
    const messages = this.messages;
    const transfer = this.transfer;
    this.messages = [];
    this.transfer = [];
    this.port.postMessage(messages, transfer);
  }
}
