#!/usr/bin/env node
// The monodyne command line: parses flags, resolves the configuration, starts the server
// and stops it cleanly on SIGINT/SIGTERM.
import { ConfigError, describeConfig, resolveConfig } from './config.ts';
import { parseArgs, usage, type ParsedArgs } from './args.ts';
import { guardProcess } from './process-guard.ts';
import { presetLibcFamily } from './libc-family.ts';
import { version } from './version.ts';

async function main(): Promise<void> {
  const guard = guardProcess();
  let args: ParsedArgs;
  let config;
  try {
    args = parseArgs(process.argv.slice(2));
    if (args.help) {
      process.stdout.write(usage);
      return;
    }
    if (args.version) {
      process.stdout.write(`monodyne ${version}\n`);
      return;
    }
    config = resolveConfig({ configFile: args.configFile ?? process.env.MONODYNE_CONFIG, env: process.env, flags: args.flags });
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(`monodyne: ${err.message}`);
      process.exit(2);
    }
    throw err;
  }
  // Loaded only now, so --help and bad flags answer without starting anything; LIBC first, so
  // that no thread runs detect-libc when it loads a native addon.
  presetLibcFamily();
  const { startServer } = await import('./main.ts');
  const server = await startServer(config);
  guard.serving();
  let stopping = false;
  const stop = (why: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`monodyne: ${why}, draining requests and closing storage`);
    server.close().then(
      () => process.exit(0),
      (err) => {
        console.error('monodyne: error while stopping:', err);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => stop('SIGINT received'));
  process.on('SIGTERM', () => stop('SIGTERM received'));
  if (config.server.exitWithParent) watchParent(() => stop('the process that started it has ended'));
  // Said only now: whoever waits for this line may signal at once, and is then heard.
  console.log(`monodyne listening on ${server.endpoint}`);
  console.log(`config: ${describeConfig(config, server.dataDir, server.port)}`);
}

/** Calls `gone` once this process's parent has ended (it is re-parented: its parent pid changes). */
function watchParent(gone: () => void): void {
  const parent = process.ppid;
  const timer = setInterval(() => {
    if (process.ppid === parent) return;
    clearInterval(timer);
    gone();
  }, parentCheckIntervalMs);
  timer.unref();
}

const parentCheckIntervalMs = 500;

main().catch((err) => {
  console.error(`monodyne: failed to start: ${(err as Error).message}`);
  process.exit(1);
});
