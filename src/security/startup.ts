// Security at start-up, in one place for main.ts: the safe-default check, the authenticator
// (or the loud warning when authentication is off), TLS files, the encryption key, limits.
import type { Config } from '../server/config.ts';
import { Authenticator } from '../auth/authenticator.ts';
import type { FrontDoorSecurity } from '../protocol/front-door.ts';
import { operations } from '../api/dispatcher.ts';
import { tlsFilesOf } from './tls.ts';
import { loadEncryptionKey } from './encryption-key.ts';
import { isLoopback, unsafeBindProblem } from './safe-default.ts';

export interface PreparedSecurity {
  frontDoor: FrontDoorSecurity;
  /** lmdb-js's key for the catalog and every storage node, or undefined when encryption is off. */
  encryptionKey: string | undefined;
  scheme: 'http' | 'https';
}

export function prepareSecurity(config: Config, dataDir: string): PreparedSecurity {
  const unsafe = unsafeBindProblem(config);
  if (unsafe) throw new Error(unsafe);
  const quiet = config.log.level === 'silent';
  let auth: Authenticator | null = null;
  if (config.auth.enabled) {
    auth = new Authenticator({ credentials: config.auth.credentials, clockSkewSeconds: config.auth.clockSkewSeconds });
  } else if (!quiet) {
    const where = isLoopback(config.server.host) ? 'any program on this machine' : `anyone who can reach ${config.server.host}`;
    console.warn(
      '[monodyne] ******************************************************************\n' +
        '[monodyne] WARNING: auth.enabled is false: requests are NOT authenticated and\n' +
        `[monodyne] no policy is checked; ${where} can read, change and\n` +
        '[monodyne] delete every table. Use this for local development only.\n' +
        '[monodyne] ******************************************************************',
    );
  }
  const tls = tlsFilesOf(config.tls);
  const key = loadEncryptionKey(config.encryption, dataDir);
  if (key.warning && !quiet) console.warn(`[monodyne] ${key.warning}`);
  return {
    frontDoor: { auth, tls, limits: { ...config.limits }, operations: new Set(Object.keys(operations)) },
    encryptionKey: key.lmdbKey ?? undefined,
    scheme: tls ? 'https' : 'http',
  };
}
