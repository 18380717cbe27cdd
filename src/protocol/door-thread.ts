// A second (third, ...) front-door thread: its own uWebSockets.js app on the main thread's port
// (SO_REUSEPORT: the kernel spreads connections over the threads), the same limits, signature
// check and policies, and a DoorHandler that answers eventually consistent reads here and
// forwards everything else to the main thread (door-messages.ts). The console's files are
// served here too; admin requests are authorized here and answered by the main thread.
//
// The thread loads its code while the server starts; the main thread's 'listen' message, once
// the server can answer, hands it the port and the shared capacity meters.
import { readFileSync } from 'node:fs';
import { workerData } from 'node:worker_threads';
import { FrontDoor, type AdminHandler } from './front-door.ts';
import { DoorCounters } from './door-counters.ts';
import { DoorHandler } from './door-handler.ts';
import { MainLink } from './main-link.ts';
import type { DoorThreadData } from './door-messages.ts';
import type { AdmissionSharedState } from '../admission/admission.ts';
import { AttachedAdmission } from '../admission/attached-admission.ts';
import { Authenticator } from '../auth/authenticator.ts';
import { tlsFilesOf } from '../security/tls.ts';
import { ConsoleFiles } from '../console/console-files.ts';
import { DoorState } from '../router/door-state.ts';
import { DoorRouter, SharedReadAdmission } from '../router/door-router.ts';
import { LocalReads } from '../router/local-reads.ts';
import { storageNodeSettings } from '../server/storage-settings.ts';
import { setLogLevel, log } from '../server/logger.ts';

const data = workerData as DoorThreadData;
const config = data.config;
setLogLevel(config.log.level);
const closed = new Int32Array(data.closed);

const main = new MainLink(data.requests);
const state = new DoorState(data.state, data.stateSeq);
// A door thread's alternative to reading here is forwarding to the main thread, which costs more: it never steps aside.
const localReads = config.storage.localReads
  ? new LocalReads(state, { sync: config.storage.sync, mapSizeBytes: config.storage.mapSizeBytes, encryptionKey: data.encryptionKey, pageJsonBudgetBytes: storageNodeSettings(config).pageJsonBudgetBytes }, { spare: true })
  : null;
const consoleFiles = new ConsoleFiles();
const admin: AdminHandler = {
  handleAdmin: (request) => main.admin(request),
  staticFile: (path) => consoleFiles.get(path),
};
let frontDoor: FrontDoor | null = null;

/** Joins the main thread on its port, reads metered on the main thread's meters. */
function listen(port: number, meters: AdmissionSharedState): void {
  const reads = localReads === null ? null : { router: new DoorRouter(state, localReads, new SharedReadAdmission(state, new AttachedAdmission(meters))), localReads };
  const handler = new DoorHandler(state, reads, main, new Float64Array(data.counts));
  const door = new FrontDoor(handler, admin, {
    auth: config.auth.enabled ? new Authenticator({ credentials: config.auth.credentials, clockSkewSeconds: config.auth.clockSkewSeconds, refusals: { note: (accessKeyId, error) => main.refused(accessKeyId, error) } }) : null,
    tls: tlsFilesOf(config.tls),
    limits: { ...config.limits },
    operations: new Set(data.operations),
    counters: new DoorCounters(data.counters),
  });
  frontDoor = door;
  door.listen({ host: config.server.host, port, shared: true }).then(
    () => main.send({ k: 'listening', tid: osThreadId() }),
    (err: Error) => {
      main.send({ k: 'listenFailed', message: err.message });
      finish();
    },
  );
}

/** This thread's id in the operating system (Linux: /proc/thread-self), for per-thread CPU figures; null elsewhere. */
function osThreadId(): number | null {
  try {
    return Number(readFileSync('/proc/thread-self/stat', 'utf8').split(' ', 1)[0]);
  } catch {
    return null;
  }
}

let finished = false;
/** Closes the listener and every connection, then lets the thread end: nothing of uWebSockets.js may be open when it does. */
function finish(): void {
  if (finished) return;
  finished = true;
  frontDoor?.close();
  localReads?.close();
  main.close();
  data.state.close();
  Atomics.store(closed, 0, 1);
  Atomics.notify(closed, 0);
}

main.onControl = (message) => {
  switch (message.k) {
    case 'listen':
      listen(message.port, message.admission);
      return;
    case 'drain':
      void (frontDoor?.drain(message.timeoutMs) ?? Promise.resolve()).then(() => main.send({ k: 'drained' }));
      return;
    case 'close':
      finish();
      return;
  }
};

// An error that escaped a request's handling must not leave the port half-served: the main thread goes on alone.
process.on('uncaughtException', (err) => {
  log.error(`front-door thread ${data.index} failed:`, err);
  finish();
});
