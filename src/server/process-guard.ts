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
  process.on('unhandledRejection', (reason) => report('unhandled promise rejection', reason));
  process.on('uncaughtException', (error) => report('uncaught exception', error));
  return {
    serving() {
      serving = true;
    },
  };
}
