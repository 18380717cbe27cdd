// The encryption-at-rest key: from the config (encryption.key, or MONODYNE_ENCRYPTION_KEY), or
// from a key file created with mode 0600 on first start. A check file beside the data records
// which key the data directory was created with, so a wrong, missing or new key is refused
// with a clear message instead of opening LMDB files it cannot read.
import { createHmac, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

export class EncryptionKeyError extends Error {}

export interface EncryptionSettings {
  enabled: boolean;
  /** 64 hex digits or base64 of 32 bytes; '' to use the key file. */
  key: string;
  /** '' means <dataDir>/encryption.key. */
  keyFile: string;
}

export interface EncryptionKeyResult {
  /** The key in the form lmdb-js takes (32 ASCII characters), or null when encryption is off. */
  lmdbKey: string | null;
  /** Where the key came from, for the start-up line (never the key itself). */
  source: string;
  /** Something the operator should hear about (e.g. a key file others can read). */
  warning: string | null;
}

const keyBytes = 32;
const checkFileName = 'encryption.check';
const defaultKeyFileName = 'encryption.key';

/** Parses a key as configured: 64 hex digits, or base64 (standard or url-safe) of 32 bytes. */
export function parseKey(text: string, where: string): Buffer {
  const t = text.trim();
  if (/^[0-9a-fA-F]{64}$/.test(t)) return Buffer.from(t, 'hex');
  if (/^[A-Za-z0-9+/_-]{43}=?$/.test(t)) {
    const bytes = Buffer.from(t.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
    if (bytes.length === keyBytes) return bytes;
  }
  throw new EncryptionKeyError(`${where} must be 32 bytes written as 64 hex digits (e.g. the output of "openssl rand -hex 32") or as base64`);
}

/**
 * lmdb-js takes a key of exactly 32 bytes passed as a string (it reads its UTF-8 bytes), so the
 * 32-byte key is turned into 32 base64 characters of an HMAC of it (192 bits of key material).
 */
export function lmdbKeyOf(key: Buffer): string {
  return createHmac('sha256', key).update('monodyne/lmdb-encryption-key/v1').digest('base64').slice(0, 32);
}

function keyCheckOf(key: Buffer): string {
  return createHmac('sha256', key).update('monodyne/encryption-key-check/v1').digest('hex');
}

/** True when the data directory already holds LMDB data (a catalog or a storage node). */
function holdsData(dataDir: string): boolean {
  if (!existsSync(dataDir)) return false;
  return readdirSync(dataDir).some((name) => name === 'catalog' || name.startsWith('node-'));
}

/** Resolves the key for `dataDir` (creating the key file and check file on first start). */
export function loadEncryptionKey(settings: EncryptionSettings, dataDir: string): EncryptionKeyResult {
  const checkPath = join(dataDir, checkFileName);
  const hasCheck = existsSync(checkPath);
  if (!settings.enabled) {
    if (hasCheck) {
      throw new EncryptionKeyError(
        `the data directory ${dataDir} is encrypted (${checkPath} exists) but encryption.enabled is false: ` +
          'set encryption.enabled to true and give its key (encryption.key, MONODYNE_ENCRYPTION_KEY or encryption.keyFile)',
      );
    }
    return { lmdbKey: null, source: 'off', warning: null };
  }
  if (!hasCheck && holdsData(dataDir)) {
    throw new EncryptionKeyError(
      `the data directory ${dataDir} holds data written without encryption: ` +
        'set encryption.enabled to false (MONODYNE_ENCRYPTION_ENABLED=false) to keep using it, or start with an empty data directory',
    );
  }
  let key: Buffer;
  let source: string;
  let warning: string | null = null;
  if (settings.key !== '') {
    key = parseKey(settings.key, 'encryption.key');
    source = 'encryption.key setting';
  } else {
    const keyFile = resolve(settings.keyFile !== '' ? settings.keyFile : join(dataDir, defaultKeyFileName));
    if (existsSync(keyFile)) {
      key = parseKey(readFileSync(keyFile, 'utf8'), `the key file ${keyFile}`);
      if ((statSync(keyFile).mode & 0o077) !== 0) {
        warning = `the encryption key file ${keyFile} can be read by other users; restrict it with: chmod 600 ${keyFile}`;
      }
      source = `key file ${keyFile}`;
    } else {
      if (hasCheck) {
        throw new EncryptionKeyError(
          `the data directory ${dataDir} is encrypted but its key file ${keyFile} is missing: ` +
            'restore the key file, or give the key in encryption.key (MONODYNE_ENCRYPTION_KEY)',
        );
      }
      key = randomBytes(keyBytes);
      // 'wx': never overwrite a key that appeared meanwhile; mode 0600: only the owner reads it.
      writeFileSync(keyFile, `${key.toString('hex')}\n`, { mode: 0o600, flag: 'wx' });
      chmodSync(keyFile, 0o600);
      source = `key file ${keyFile} (created)`;
    }
  }
  const check = keyCheckOf(key);
  if (hasCheck) {
    const recorded = (JSON.parse(readFileSync(checkPath, 'utf8')) as { keyCheck?: string }).keyCheck;
    if (recorded !== check) {
      throw new EncryptionKeyError(`the encryption key (from ${source}) is not the key the data directory ${dataDir} was encrypted with`);
    }
  } else {
    writeFileSync(checkPath, `${JSON.stringify({ cipher: 'lmdb-js ChaCha8', keyCheck: check })}\n`, { mode: 0o600 });
  }
  return { lmdbKey: lmdbKeyOf(key), source, warning };
}
