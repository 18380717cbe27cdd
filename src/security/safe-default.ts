// The safe default: the development credential is public (it is in the README), so a server
// that still accepts it may only listen on a loopback address.
import { isDevelopmentCredential, type CredentialConfig } from '../auth/credentials.ts';

/** True for addresses only this machine can reach. */
export function isLoopback(host: string): boolean {
  const h = host.toLowerCase().replace(/^\[|\]$/g, '');
  return h === 'localhost' || h === '::1' || /^127\.\d+\.\d+\.\d+$/.test(h) || /^::ffff:127\.\d+\.\d+\.\d+$/.test(h);
}

export interface BindFacts {
  server: { host: string };
  auth: { enabled: boolean; credentials: readonly CredentialConfig[] };
}

/** The refusal message when the configuration is unsafe to start, or null. */
export function unsafeBindProblem(config: BindFacts): string | null {
  if (isLoopback(config.server.host) || !config.auth.enabled) return null;
  if (!config.auth.credentials.some(isDevelopmentCredential)) return null;
  return (
    `refusing to listen on ${config.server.host}: the development credentials (access key "local", secret "local") ` +
    'are still accepted, and anyone who can reach this address knows them. Set your own credentials in ' +
    'auth.credentials (config file, or MONODYNE_AUTH_CREDENTIALS=\'[{"accessKeyId":"...","secretAccessKey":"..."}]\'), ' +
    'or listen on 127.0.0.1 (--host 127.0.0.1)'
  );
}
