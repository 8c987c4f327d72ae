import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { link, mkdir, readFile, stat, unlink, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import path from 'node:path';
import type { Logger } from '../../logger.ts';
import type { DataKey } from './secret-box.ts';

/**
 * The operator's key-encryption key (KEK): it wraps the data keys stored in the database and is itself kept out
 * of it, in the file TIDEWATCH_SECRET_KEY_FILE names. Its id is a fingerprint, stored with each wrapped data key,
 * so a server started with another key says so instead of failing on every secret.
 */
export interface KeyEncryptionKey {
  readonly id: string;
  readonly key: Buffer;
  readonly file: string;
}

export const MAKE_KEY_HINT = 'make one with: openssl rand -base64 32 > secret.key && chmod 600 secret.key';

/** What `openssl rand -base64 32` writes: 32 bytes, 44 characters of standard base64. */
const KEY_TEXT = /^[A-Za-z0-9+/]{43}=$/;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;

export function keyId(key: Buffer): string {
  return createHash('sha256')
    .update('tidewatch key-encryption key\0')
    .update(key)
    .digest('base64url')
    .slice(0, 16);
}

/** Reads a key file (base64 of 32 random bytes). @throws naming the file and how to make a good one */
export async function readKeyFile(file: string, log?: Logger): Promise<KeyEncryptionKey> {
  let text: string;
  try {
    text = (await readFile(file, 'utf8')).trim();
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(`TIDEWATCH_SECRET_KEY_FILE: cannot read ${file} (${reason}); ${MAKE_KEY_HINT}`, {
      cause: error,
    });
  }
  if (!KEY_TEXT.test(text))
    throw new Error(`TIDEWATCH_SECRET_KEY_FILE: ${file} does not hold 32 bytes in base64; ${MAKE_KEY_HINT}`);
  if (((await stat(file)).mode & 0o077) !== 0)
    log?.warn({ file }, 'the secret key file is readable by other users of this machine: chmod 600 it');
  const key = Buffer.from(text, 'base64');
  return { id: keyId(key), key, file };
}

const wrapAad = (dataKeyId: string): Buffer => Buffer.from(`tidewatch data key ${dataKeyId}`);

/** A data key encrypted by the KEK: nonce, ciphertext and tag, 60 bytes in all. */
export function wrapDataKey(kek: KeyEncryptionKey, dataKey: DataKey): Buffer {
  const nonce = randomBytes(NONCE_BYTES);
  const cipher = createCipheriv('aes-256-gcm', kek.key, nonce);
  cipher.setAAD(wrapAad(dataKey.id));
  return Buffer.concat([nonce, cipher.update(dataKey.key), cipher.final(), cipher.getAuthTag()]);
}

/** @throws when the wrapped key was not made by this KEK for this id, or was changed */
export function unwrapDataKey(kek: KeyEncryptionKey, dataKeyId: string, wrapped: Buffer): DataKey {
  try {
    const decipher = createDecipheriv('aes-256-gcm', kek.key, wrapped.subarray(0, NONCE_BYTES));
    decipher.setAAD(wrapAad(dataKeyId));
    decipher.setAuthTag(wrapped.subarray(wrapped.length - TAG_BYTES));
    const key = Buffer.concat([
      decipher.update(wrapped.subarray(NONCE_BYTES, wrapped.length - TAG_BYTES)),
      decipher.final(),
    ]);
    return { id: dataKeyId, key };
  } catch {
    throw new Error(
      `data key ${dataKeyId} does not open with the key in ${kek.file} (key id ${kek.id}): the key file or the stored data key is not the one it was wrapped with`,
    );
  }
}

/** Where a development server keeps the key it made for itself: $XDG_DATA_HOME/tidewatch/secret.key. */
export function developmentKeyPath(env: NodeJS.ProcessEnv = process.env): string {
  // The XDG spec ignores a relative (or empty) XDG_DATA_HOME.
  const configured = env.XDG_DATA_HOME;
  const base =
    configured && path.isAbsolute(configured) ? configured : path.join(homedir(), '.local', 'share');
  return path.join(base, 'tidewatch', 'secret.key');
}

/**
 * The development key file, made on first use (mode 0600), shared by every checkout and test run on this
 * machine so one database opens from any of them. Made under a temporary name and linked into place, so
 * processes starting together all read the same complete key.
 */
export async function ensureDevelopmentKeyFile(file = developmentKeyPath()): Promise<string> {
  await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  const temporary = `${file}.${String(process.pid)}.${randomBytes(4).toString('hex')}`;
  await writeFile(temporary, `${randomBytes(32).toString('base64')}\n`, { mode: 0o600 });
  try {
    await link(temporary, file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  } finally {
    await unlink(temporary);
  }
  return file;
}

/**
 * The KEK the server runs with: the file TIDEWATCH_SECRET_KEY_FILE names or, outside production, the development
 * key (with a warning). Production refuses to start without a key file of its own: a key made up on the spot
 * would lock the secrets away with the machine it was made on.
 */
export async function loadKeyEncryptionKey(
  file: string | undefined,
  production: boolean,
  log?: Logger,
): Promise<KeyEncryptionKey> {
  if (file) return readKeyFile(file, log);
  if (production)
    throw new Error(`TIDEWATCH_SECRET_KEY_FILE must be set when NODE_ENV=production; ${MAKE_KEY_HINT}`);
  const development = await ensureDevelopmentKeyFile();
  log?.warn(
    { file: development },
    'TIDEWATCH_SECRET_KEY_FILE is not set: secrets in the database are encrypted with this development key',
  );
  return readKeyFile(development, log);
}
