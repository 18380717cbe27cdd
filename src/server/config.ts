// Configuration: embedded defaults (config/default.json) < config file (or startServer's options)
// < MONODYNE_* environment variables < command-line flags. Every key is validated; a bad one
// stops start-up naming it.
import { readFileSync } from 'node:fs';
// Embedded at build time (the bundle carries it), read by tsx when running from sources.
import defaults from '../../config/default.json' with { type: 'json' };
import { credentialsProblem, isDevelopmentCredential, type CredentialConfig } from '../auth/credentials.ts';
import { unsafeBindProblem } from '../security/safe-default.ts';
import { limitRelationsProblem } from '../limits-relations.ts';
import { tagsPerResourceMax } from '../limits.ts';
import { initialPartitionsMax } from '../admission/admission.ts';
import { availableParallelism } from 'node:os';

/** server.frontDoorThreads' maximum: past a few, more front doors only contend with the storage threads. */
export const frontDoorThreadsMax = 64;

/** The front-door threads to run: server.frontDoorThreads, or one per core when it is 0. */
export function frontDoorThreadsOf(config: Config): number {
  const wanted = config.server.frontDoorThreads;
  return wanted > 0 ? wanted : Math.min(frontDoorThreadsMax, Math.max(1, availableParallelism()));
}

export interface Config {
  server: {
    host: string;
    port: number;
    drainTimeoutMs: number;
    exitWithParent: boolean;
    /** Threads that accept connections, parse, authenticate and answer eventually consistent reads, sharing the port (0: one per core). */
    frontDoorThreads: number;
  };
  storage: {
    dataDir: string;
    ephemeral: boolean;
    workers: number;
    sync: boolean;
    mapSizeBytes: number;
    requestTimeoutMs: number;
    /** One write-ahead log for the process (false), or one per storage node (true). */
    walPerNode: boolean;
    walSegmentBytes: number;
    memtableBytesMax: number;
    checkpointIntervalMs: number;
    /** Eventually consistent reads answered by the front door from a node's B-tree itself when it holds what the node applied. */
    localReads: boolean;
    /** ...while the front door's thread was busy at most this percentage of the last 100 ms (100: always). */
    localReadsBusyPercentMax: number;
  };
  tables: { initialPartitions: number; globalSecondaryIndexesMax: number; itemCollectionBytesMax: number; tagsPageSize: number };
  rings: { capacityBytes: number };
  log: { level: 'debug' | 'info' | 'warn' | 'error' | 'silent' };
  failover: { heartbeatIntervalMs: number; hungNodeMs: number; commitStallMaxMs: number; routerRetryWindowMs: number; installTimeoutMs: number; replaceDelayMs: number; logEntriesMax: number; handoffTimeoutMs: number };
  faults: { enabled: boolean };
  capacity: { burstSeconds: number; adaptive: boolean; partitionReadUnitsMax: number; partitionWriteUnitsMax: number; throttling: boolean };
  partitionMap: { publishIntervalMs: number };
  splits: { enabled: boolean; sizeBytes: number; unitsPerSecond: number; checkIntervalMs: number; sustainedChecks: number };
  streams: { retentionHours: number; pollIntervalMs: number; readersPerShard: number; readerWindowMs: number; describeStreamCallsPerSecond: number };
  ttl: { sweepIntervalMs: number; scanItemsPerSecondMax: number; deletesPerSecondMax: number; settleMs: number; changeCooldownMs: number };
  auth: { enabled: boolean; credentials: CredentialConfig[]; clockSkewSeconds: number };
  tls: { certFile: string; keyFile: string; passphrase: string };
  encryption: { enabled: boolean; key: string; keyFile: string };
  limits: {
    requestBodyBytesMax: number;
    headerBytesMax: number;
    jsonNestingDepthMax: number;
    bodyTimeoutMs: number;
    connectionsMax: number;
    inFlightBodyBytesMax: number;
    responseCompressionBytesMin: number;
  };
}

/** A flag, setting or option that is not valid: nothing starts. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

type Kind =
  | { type: 'string'; nonEmpty?: boolean }
  | { type: 'int'; min: number; max: number; powerOfTwo?: boolean }
  | { type: 'bool' }
  | { type: 'enum'; values: readonly string[] }
  /** auth.credentials: a JSON list (text in environment variables), checked entry by entry. */
  | { type: 'credentials' };

/** The schema of every key: the single place that says which settings exist and what they accept. */
const schema: Record<string, Record<string, Kind>> = {
  server: {
    host: { type: 'string', nonEmpty: true },
    port: { type: 'int', min: 0, max: 65535 },
    drainTimeoutMs: { type: 'int', min: 0, max: 600_000 },
    exitWithParent: { type: 'bool' },
    frontDoorThreads: { type: 'int', min: 0, max: frontDoorThreadsMax },
  },
  storage: {
    dataDir: { type: 'string', nonEmpty: true },
    ephemeral: { type: 'bool' },
    workers: { type: 'int', min: 3, max: 64 },
    sync: { type: 'bool' },
    mapSizeBytes: { type: 'int', min: 1 << 24, max: 2 ** 44 },
    requestTimeoutMs: { type: 'int', min: 100, max: 600_000 },
    walPerNode: { type: 'bool' },
    walSegmentBytes: { type: 'int', min: 1 << 20, max: 2 ** 32 },
    memtableBytesMax: { type: 'int', min: 1 << 20, max: 2 ** 40 },
    checkpointIntervalMs: { type: 'int', min: 10, max: 3_600_000 },
    localReads: { type: 'bool' },
    localReadsBusyPercentMax: { type: 'int', min: 20, max: 100 },
  },
  tables: {
    initialPartitions: { type: 'int', min: 1, max: initialPartitionsMax },
    globalSecondaryIndexesMax: { type: 'int', min: 1, max: 1000 },
    itemCollectionBytesMax: { type: 'int', min: 1024, max: 2 ** 50 },
    tagsPageSize: { type: 'int', min: 1, max: tagsPerResourceMax },
  },
  rings: {
    capacityBytes: { type: 'int', min: 2 * 1024 * 1024, max: 1 << 30, powerOfTwo: true },
  },
  log: {
    level: { type: 'enum', values: ['debug', 'info', 'warn', 'error', 'silent'] },
  },
  failover: {
    heartbeatIntervalMs: { type: 'int', min: 10, max: 60_000 },
    hungNodeMs: { type: 'int', min: 100, max: 600_000 },
    commitStallMaxMs: { type: 'int', min: 1000, max: 3_600_000 },
    routerRetryWindowMs: { type: 'int', min: 0, max: 600_000 },
    installTimeoutMs: { type: 'int', min: 1000, max: 3_600_000 },
    replaceDelayMs: { type: 'int', min: 0, max: 3_600_000 },
    logEntriesMax: { type: 'int', min: 16, max: 100_000_000 },
    handoffTimeoutMs: { type: 'int', min: 100, max: 600_000 },
  },
  faults: {
    enabled: { type: 'bool' },
  },
  capacity: {
    burstSeconds: { type: 'int', min: 0, max: 3600 },
    adaptive: { type: 'bool' },
    partitionReadUnitsMax: { type: 'int', min: 1, max: 1_000_000_000 },
    partitionWriteUnitsMax: { type: 'int', min: 1, max: 1_000_000_000 },
    throttling: { type: 'bool' },
  },
  partitionMap: {
    publishIntervalMs: { type: 'int', min: 10, max: 3_600_000 },
  },
  splits: {
    enabled: { type: 'bool' },
    sizeBytes: { type: 'int', min: 1024, max: 2 ** 50 },
    unitsPerSecond: { type: 'int', min: 1, max: 1_000_000_000 },
    checkIntervalMs: { type: 'int', min: 10, max: 3_600_000 },
    sustainedChecks: { type: 'int', min: 1, max: 1000 },
  },
  streams: {
    retentionHours: { type: 'int', min: 1, max: 24 * 365 },
    pollIntervalMs: { type: 'int', min: 10, max: 60_000 },
    readersPerShard: { type: 'int', min: 1, max: 1000 },
    readerWindowMs: { type: 'int', min: 10, max: 3_600_000 },
    describeStreamCallsPerSecond: { type: 'int', min: 1, max: 1_000_000 },
  },
  ttl: {
    sweepIntervalMs: { type: 'int', min: 10, max: 86_400_000 },
    scanItemsPerSecondMax: { type: 'int', min: 100, max: 100_000_000 },
    deletesPerSecondMax: { type: 'int', min: 1, max: 1_000_000 },
    settleMs: { type: 'int', min: 0, max: 3_600_000 },
    changeCooldownMs: { type: 'int', min: 0, max: 86_400_000 },
  },
  auth: {
    enabled: { type: 'bool' },
    credentials: { type: 'credentials' },
    clockSkewSeconds: { type: 'int', min: 60, max: 3600 },
  },
  tls: {
    certFile: { type: 'string' },
    keyFile: { type: 'string' },
    passphrase: { type: 'string' },
  },
  encryption: {
    enabled: { type: 'bool' },
    key: { type: 'string' },
    keyFile: { type: 'string' },
  },
  limits: {
    requestBodyBytesMax: { type: 'int', min: 1024, max: 16 * 1024 * 1024 },
    headerBytesMax: { type: 'int', min: 1024, max: 256 * 1024 },
    jsonNestingDepthMax: { type: 'int', min: 16, max: 1000 },
    bodyTimeoutMs: { type: 'int', min: 100, max: 600_000 },
    connectionsMax: { type: 'int', min: 1, max: 1_000_000 },
    inFlightBodyBytesMax: { type: 'int', min: 16 * 1024 * 1024, max: 2 ** 40 },
    responseCompressionBytesMin: { type: 'int', min: 0, max: 2 ** 31 - 1 },
  },
};

/** A fresh copy of the embedded defaults (config/default.json), free for the caller to change. */
export function loadDefaults(): Config {
  return structuredClone(defaults) as Config;
}

/** MONODYNE_ + the key path in upper snake case: storage.dataDir → MONODYNE_STORAGE_DATA_DIR. */
export function envVarName(section: string, key: string): string {
  const snake = (s: string) => s.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase();
  return `MONODYNE_${snake(section)}_${snake(key)}`;
}

function coerce(path: string, kind: Kind, raw: unknown, fromText: boolean): unknown {
  switch (kind.type) {
    case 'string':
      if (typeof raw !== 'string' || (kind.nonEmpty && raw.length === 0)) {
        throw new ConfigError(`${path} must be a non-empty string (got ${JSON.stringify(raw)})`);
      }
      return raw;
    case 'bool': {
      if (typeof raw === 'boolean') return raw;
      if (fromText && typeof raw === 'string') {
        const t = raw.toLowerCase();
        if (t === 'true' || t === '1' || t === 'yes') return true;
        if (t === 'false' || t === '0' || t === 'no') return false;
      }
      throw new ConfigError(`${path} must be true or false (got ${JSON.stringify(raw)})`);
    }
    case 'int': {
      const n = typeof raw === 'number' ? raw : fromText && typeof raw === 'string' && /^-?\d+$/.test(raw.trim()) ? Number(raw) : NaN;
      if (!Number.isSafeInteger(n) || n < kind.min || n > kind.max) {
        throw new ConfigError(`${path} must be an integer from ${kind.min} to ${kind.max} (got ${JSON.stringify(raw)})`);
      }
      if (kind.powerOfTwo && (n & (n - 1)) !== 0) throw new ConfigError(`${path} must be a power of two (got ${n})`);
      return n;
    }
    case 'credentials': {
      let value = raw;
      if (fromText && typeof raw === 'string') {
        try {
          value = JSON.parse(raw);
        } catch {
          throw new ConfigError(`${path} must be a JSON list of {"accessKeyId", "secretAccessKey", "user"?, "policy"?} objects`);
        }
      }
      const problem = credentialsProblem(value);
      if (problem) throw new ConfigError(`${path}: ${problem}`);
      return value;
    }
    case 'enum':
      if (typeof raw !== 'string' || !kind.values.includes(raw)) {
        throw new ConfigError(`${path} must be one of ${kind.values.join(', ')} (got ${JSON.stringify(raw)})`);
      }
      return raw;
  }
}

/** Settings that no longer exist, with what replaced them: a configuration naming one is told. */
const retiredSettings: Record<string, string> = {
  'failover.heartbeatsMissedMax':
    'failover.heartbeatsMissedMax is gone: a storage node is no longer failed over for missing heartbeats but for making no progress while work waits for it; set failover.hungNodeMs (how long) instead',
};

function unknownSetting(source: string, path: string): ConfigError {
  return new ConfigError(retiredSettings[path] !== undefined ? `${source}: ${retiredSettings[path]}` : `${source}: unknown setting "${path}"`);
}

/** Key paths ("storage.sync") given by a source rather than left at their default. */
type ExplicitKeys = Set<string>;

function applyObject(config: Config, explicit: ExplicitKeys, source: string, overrides: unknown): void {
  if (overrides === null || typeof overrides !== 'object' || Array.isArray(overrides)) {
    throw new ConfigError(`${source}: the configuration must be a JSON object`);
  }
  for (const [section, values] of Object.entries(overrides as Record<string, unknown>)) {
    const sectionSchema = schema[section];
    if (!sectionSchema) throw new ConfigError(`${source}: unknown setting "${section}"`);
    if (values === null || typeof values !== 'object' || Array.isArray(values)) {
      throw new ConfigError(`${source}: "${section}" must be an object`);
    }
    for (const [key, raw] of Object.entries(values as Record<string, unknown>)) {
      const kind = sectionSchema[key];
      if (!kind) throw unknownSetting(source, `${section}.${key}`);
      setKey(config, explicit, section, key, coerce(`${source}: ${section}.${key}`, kind, raw, false));
    }
  }
}

function setKey(config: Config, explicit: ExplicitKeys, section: string, key: string, value: unknown): void {
  (config as unknown as Record<string, Record<string, unknown>>)[section][key] = value;
  explicit.add(`${section}.${key}`);
}

export interface ConfigSources {
  configFile?: string;
  /** startServer's options: the shape of a config file, applied where a config file is. */
  options?: unknown;
  /** Where `options` came from, for error messages. */
  optionsSource?: string;
  env?: NodeJS.ProcessEnv;
  /** Already-parsed overrides from command-line flags, as "section.key" → text. */
  flags?: Record<string, string>;
}

export function resolveConfig(sources: ConfigSources): Config {
  const config = loadDefaults();
  const explicit: ExplicitKeys = new Set();
  if (sources.configFile) {
    let text: string;
    try {
      text = readFileSync(sources.configFile, 'utf8');
    } catch (err) {
      throw new ConfigError(`cannot read config file ${sources.configFile}: ${(err as Error).message}`);
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (err) {
      throw new ConfigError(`config file ${sources.configFile} is not valid JSON: ${(err as Error).message}`);
    }
    applyObject(config, explicit, sources.configFile, parsed);
  }
  if (sources.options !== undefined) applyObject(config, explicit, sources.optionsSource ?? 'options', sources.options);
  const env = sources.env ?? {};
  for (const [alias, [section, key]] of Object.entries(environmentAliases)) {
    const raw = env[alias];
    if (raw !== undefined) setKey(config, explicit, section, key, coerce(`environment variable ${alias}`, schema[section][key], raw, true));
  }
  const known = new Set<string>();
  for (const [section, keys] of Object.entries(schema)) {
    for (const [key, kind] of Object.entries(keys)) {
      const name = envVarName(section, key);
      known.add(name);
      const raw = env[name];
      if (raw !== undefined) setKey(config, explicit, section, key, coerce(`environment variable ${name}`, kind, raw, true));
    }
  }
  for (const name of Object.keys(env)) {
    if (name.startsWith('MONODYNE_') && !known.has(name) && !environmentSwitches.has(name)) {
      const retired = Object.keys(retiredSettings).find((path) => envVarName(...(path.split('.') as [string, string])) === name);
      throw retired !== undefined ? unknownSetting(`environment variable ${name}`, retired) : new ConfigError(`unknown environment variable ${name}`);
    }
  }
  for (const [path, raw] of Object.entries(sources.flags ?? {})) {
    const [section, key] = path.split('.');
    const kind = schema[section]?.[key];
    if (!kind) throw retiredSettings[path] !== undefined ? new ConfigError(retiredSettings[path]) : new ConfigError(`unknown setting ${path}`);
    setKey(config, explicit, section, key, coerce(`--${flagNameOf(path)}`, kind, raw, true));
  }
  if (config.storage.ephemeral) {
    if (explicit.has('storage.dataDir')) {
      throw new ConfigError('storage.ephemeral (--ephemeral) starts in a new temporary data directory: do not set storage.dataDir (--data-dir) with it');
    }
    // Its data is thrown away when it stops, so syncing every commit buys nothing (unless asked for).
    if (!explicit.has('storage.sync')) config.storage.sync = false;
  }
  if (config.auth.enabled && config.auth.credentials.length === 0) {
    throw new ConfigError('auth.enabled is true but auth.credentials is empty: no request could be signed');
  }
  const unsafe = unsafeBindProblem(config);
  if (unsafe) throw new ConfigError(unsafe);
  const relation = limitRelationsProblem(config);
  if (relation) throw new ConfigError(relation);
  return config;
}

/**
 * MONODYNE_* variables that are not config keys but are understood elsewhere: the config file,
 * the faults alias, and two for fault tests (read in main.ts, with faults on): the crash-image
 * test's trace directory and the process-kill test's pause during recovery.
 */
const environmentSwitches = new Set<string>(['MONODYNE_CONFIG', 'MONODYNE_FAULTS', 'MONODYNE_CRASH_TRACE', 'MONODYNE_RECOVERY_PAUSE']);

/** Short environment aliases for a few keys (applied before the full MONODYNE_<SECTION>_<KEY> names). */
const environmentAliases: Record<string, [string, string]> = {
  MONODYNE_FAULTS: ['faults', 'enabled'],
};

/** The command-line flags and the config key each one sets. */
export const flagKeys: Record<string, string> = {
  port: 'server.port',
  host: 'server.host',
  'data-dir': 'storage.dataDir',
  ephemeral: 'storage.ephemeral',
  workers: 'storage.workers',
};

/** Flags that take no value: giving one sets its key to true. */
export const switchFlags = new Set(['ephemeral']);

function flagNameOf(path: string): string {
  for (const [flag, key] of Object.entries(flagKeys)) if (key === path) return flag;
  return path;
}

/**
 * The one-line summary printed at start-up; `dataDir` is the directory actually used (an ephemeral
 * one is made at start) and `port` the one bound (--port 0 picks one). Credentials are named by
 * access key id: a secret is never printed.
 */
export function describeConfig(config: Config, dataDir = config.storage.dataDir, port = config.server.port): string {
  return (
    `host=${config.server.host} port=${port} dataDir=${dataDir}${config.storage.ephemeral ? ' (ephemeral)' : ''} ` +
    `workers=${config.storage.workers} sync=${config.storage.sync} partitionsPerTable=${config.tables.initialPartitions} ` +
    `replicas=3 (W=2) ` +
    `auth=${config.auth.enabled ? `on (credentials: ${describeCredentials(config.auth.credentials)})` : 'OFF'} ` +
    `tls=${config.tls.certFile ? 'on' : 'off'} encryption=${config.encryption.enabled ? 'on' : 'off'}` +
    (config.capacity.throttling ? '' : ' throttling=OFF')
  );
}

function describeCredentials(credentials: readonly CredentialConfig[]): string {
  return credentials.map((c) => (isDevelopmentCredential(c) ? `${c.accessKeyId} (the built-in development key)` : c.accessKeyId)).join(', ');
}

/** All keys with their environment variable names, for --help and the README. */
export function listSettings(): Array<{ key: string; env: string }> {
  const out: Array<{ key: string; env: string }> = [];
  for (const [section, keys] of Object.entries(schema)) {
    for (const key of Object.keys(keys)) out.push({ key: `${section}.${key}`, env: envVarName(section, key) });
  }
  return out;
}
