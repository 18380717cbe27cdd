// Command-line flags of the monodyne bin.
import { ConfigError, flagKeys, listSettings, switchFlags } from './config.ts';
import { developmentCredential } from '../auth/credentials.ts';

const settings = listSettings();
const envColumnChars = Math.max(...settings.map((s) => s.env.length)) + 2;

export const usage = `Usage: monodyne [options]

A DynamoDB-compatible database server in one Node.js process. It prints its endpoint once
it listens; Ctrl-C (SIGINT) or SIGTERM stops it cleanly. One server per data directory and
per port: a second one on either refuses to start.

Options:
  --port N          port to listen on (default 8000; 0 picks a free port)
  --host ADDR       address to bind (default 127.0.0.1)
  --data-dir DIR    where data is stored (default ./data)
  --ephemeral       keep data in a new temporary directory, removed on exit;
                    commits are not synced (for tests and demos)
  --workers N       storage worker threads, at least 3 (default 3)
  --config FILE     JSON config file (see config/default.json for every key)
  --version         print the version and exit
  --help            show this help

Clients sign every request with a credential of auth.credentials. Unless that setting
says otherwise, the one credential is the built-in development key, access key id
"${developmentCredential.accessKeyId}" (README: Security); it is accepted only on a loopback address.

Every setting can also be given as an environment variable:
${settings.map((s) => `  ${s.env.padEnd(envColumnChars)}${s.key}`).join('\n')}
Precedence: defaults < --config file < environment < flags.
`;

export interface ParsedArgs {
  help: boolean;
  version: boolean;
  configFile?: string;
  flags: Record<string, string>;
}

export function parseArgs(argv: string[]): ParsedArgs {
  const out: ParsedArgs = { help: false, version: false, flags: {} };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--help' || arg === '-h') {
      out.help = true;
      continue;
    }
    if (arg === '--version') {
      out.version = true;
      continue;
    }
    if (!arg.startsWith('--')) throw new ConfigError(`unexpected argument "${arg}" (see --help)`);
    const eq = arg.indexOf('=');
    const name = arg.slice(2, eq === -1 ? undefined : eq);
    let value: string | undefined = eq === -1 ? undefined : arg.slice(eq + 1);
    if (name !== 'config' && !(name in flagKeys)) throw new ConfigError(`unknown option --${name} (see --help)`);
    if (value === undefined && switchFlags.has(name)) value = 'true';
    if (value === undefined) {
      value = argv[++i];
      if (value === undefined) throw new ConfigError(`option --${name} needs a value`);
    }
    if (name === 'config') out.configFile = value;
    else out.flags[flagKeys[name]] = value;
  }
  return out;
}

