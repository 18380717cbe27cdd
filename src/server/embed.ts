// startServer for programs that embed monodyne (test suites' global set-ups): options in the
// shape of a config file, validated as one, over the embedded defaults. Unlike the bin, it
// reads no MONODYNE_* environment variable and installs no process-wide handler.
import { ConfigError, resolveConfig, type Config } from './config.ts';
import { presetLibcFamily } from './libc-family.ts';
import type { RunningServer } from './main.ts';

type PartialConfig<T> = { [K in keyof T]?: T[K] extends readonly unknown[] ? T[K] : T[K] extends object ? PartialConfig<T[K]> : T[K] };

/** Any config keys (README: Configure), nested as in a config file, plus `ephemeral`. */
export type ServerOptions = PartialConfig<Config> & {
  /**
   * Keep the data in a new temporary directory, removed by close(); commits are not synced
   * (unless storage.sync says otherwise). The same as `storage: { ephemeral: true }`.
   */
  ephemeral?: boolean;
};

/** Starts a server; resolves once it answers requests. A bad option rejects with a ConfigError naming it. */
export async function startServer(options: ServerOptions = {}): Promise<RunningServer> {
  const config = configFromOptions(options);
  // The server's modules (lmdb, uWebSockets.js, ...) load at the first start, not at import.
  presetLibcFamily();
  const { startServer: startWithConfig } = await import('./main.ts');
  return startWithConfig(config);
}

export function configFromOptions(options: ServerOptions): Config {
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new ConfigError('startServer options must be an object of config keys, such as { server: { port: 0 }, ephemeral: true }');
  }
  const { ephemeral, ...keys } = options;
  if (ephemeral !== undefined) {
    if (typeof ephemeral !== 'boolean') throw new ConfigError(`startServer options: ephemeral must be true or false (got ${JSON.stringify(ephemeral)})`);
    const storage: unknown = keys.storage;
    if (storage === undefined) {
      keys.storage = { ephemeral };
    } else if (storage !== null && typeof storage === 'object' && !Array.isArray(storage)) {
      const given = (storage as { ephemeral?: unknown }).ephemeral;
      if (given !== undefined && given !== ephemeral) throw new ConfigError('startServer options: ephemeral and storage.ephemeral disagree');
      keys.storage = { ...storage, ephemeral };
    }
    // Otherwise resolveConfig reports that "storage" must be an object.
  }
  return resolveConfig({ options: keys, optionsSource: 'startServer options' });
}

export { ConfigError, type RunningServer };
