// The monodyne package's public entry: start a server from code (a test suite's global set-up).
export { startServer, ConfigError, type ServerOptions, type RunningServer } from './server/embed.ts';
export { DataDirInUseError } from './server/data-dir-lock.ts';
