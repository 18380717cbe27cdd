// The bin's last line of defence: an unhandled promise rejection or an uncaught exception is
// logged with its stack and never ends the process silently. Once the server is serving it
// keeps serving (Node's default would exit on either); before that, start-up fails loudly.
// Only the bin installs this: a program that embeds monodyne owns its process's handlers.
import { inspect } from 'node:util';

export interface ProcessGuard {
  /** Called once the server listens: from then on, errors are logged and the process goes on. */
  serving(): void;
}

export function guardProcess(): ProcessGuard {
  let serving = false;
  const report = (what: string, error: unknown) => {
    const detail = error instanceof Error ? (error.stack ?? String(error)) : inspect(error);
    if (serving) {
      console.error(`monodyne: ${what} (the server keeps serving): ${detail}`);
      return;
    }
    console.error(`monodyne: ${what} during start-up: ${detail}`);
    process.exit(1);
  };
  // Output nobody reads any more (the reader of a pipe ended) is dropped: reported as an uncaught
  // exception, its report wrote to the same pipe and failed again, a loop that took a whole core.
  for (const stream of [process.stdout, process.stderr]) stream.on('error', () => {});
  process.on('unhandledRejection', (reason) => report('unhandled promise rejection', reason));
  process.on('uncaughtException', (error) => report('uncaught exception', error));
  return {
    serving() {
      serving = true;
    },
  };
}
