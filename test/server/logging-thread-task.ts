// The thread's side of logging-thread.ts.
import { log, setLogLevel } from '../../src/server/logger.ts';

export default function run(mode: string): void {
  if (mode === 'kill') {
    setLogLevel('debug');
    log.debug('debug line from a thread');
    log.info('info line from a thread');
    log.warn('warn line from a thread');
    process.kill(process.pid, 'SIGKILL');
    return;
  }
  log.debug('hidden at the default level');
  log.info('shown at the default level');
  setLogLevel('warn');
  log.info('hidden at warn');
  log.warn('shown at warn');
}
