// HTTPS for the front door: the configured certificate and key files, checked at start-up
// (readable, a matching PEM pair) so a mistake is a clear message, not a listener that fails.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { createSecureContext } from 'node:tls';
import type { TlsFiles } from '../protocol/front-door.ts';

export class TlsConfigError extends Error {}

export interface TlsSettings {
  certFile: string;
  keyFile: string;
  passphrase: string;
}

/** The files to serve HTTPS with, or null for plain HTTP (neither file configured). */
export function tlsFilesOf(settings: TlsSettings): TlsFiles | null {
  if (settings.certFile === '' && settings.keyFile === '') return null;
  if (settings.certFile === '' || settings.keyFile === '') {
    throw new TlsConfigError('tls.certFile and tls.keyFile go together: set both (PEM files) to serve HTTPS, or neither for HTTP');
  }
  const certFile = resolve(settings.certFile);
  const keyFile = resolve(settings.keyFile);
  const read = (path: string, what: string) => {
    try {
      return readFileSync(path);
    } catch (err) {
      throw new TlsConfigError(`cannot read the TLS ${what} ${path}: ${(err as Error).message}`);
    }
  };
  const cert = read(certFile, 'certificate (tls.certFile)');
  const key = read(keyFile, 'private key (tls.keyFile)');
  try {
    createSecureContext({ cert, key, passphrase: settings.passphrase || undefined });
  } catch (err) {
    throw new TlsConfigError(`the TLS certificate ${certFile} and key ${keyFile} are not a usable PEM pair: ${(err as Error).message}`);
  }
  return { certFile, keyFile, passphrase: settings.passphrase };
}
