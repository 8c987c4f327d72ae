import { randomBytes } from 'node:crypto';
import type pg from 'pg';
import { SecretBox } from '../secrets/secret-box.ts';
import { signingKeyContext } from '../secrets/stored-secrets.ts';

interface StoredKey {
  sealed: string | null;
  plain: Buffer | null;
}

type Queryable = Pick<pg.ClientBase, 'query'>;

/**
 * Stores `sealed` if the row still holds what was read (nothing, an older release's plaintext, or a value
 * sealed under an older data key), and answers what the row holds afterwards: this instance's key, or the key
 * another instance stored first.
 */
async function store(db: Queryable, sealed: string, read: StoredKey | undefined): Promise<string> {
  const { rows } = await db.query<{ sealed: string | null }>(
    'SELECT auth_signing_key_store($1, $2, $3) AS sealed',
    [sealed, read?.sealed ?? null, read?.plain ?? null],
  );
  const stored = rows[0]?.sealed;
  if (!stored) throw new Error('The signing key could not be stored');
  return stored;
}

/**
 * The key kept in the database for all instances, sealed: made on first use, sealed if an older release
 * stored it in plaintext, sealed again if it is under an older data key.
 */
export async function storedSigningKey(db: Queryable, secrets: SecretBox): Promise<Uint8Array> {
  const { rows } = await db.query<StoredKey>('SELECT sealed, plain FROM auth_signing_key_stored()');
  const read = rows[0];
  if (read?.sealed) {
    const key = await secrets.open(read.sealed, signingKeyContext);
    if (SecretBox.dataKeyOf(read.sealed) !== secrets.activeDataKey)
      await store(db, secrets.seal(key, signingKeyContext), read);
    return key;
  }
  const key = read?.plain ?? randomBytes(32);
  return secrets.open(await store(db, secrets.seal(key, signingKeyContext), read), signingKeyContext);
}

/** The access-token key: from ACCESS_TOKEN_KEY, or the one kept (sealed) in the database for all instances. */
export async function loadSigningKey(
  pool: pg.Pool,
  configured: string | undefined,
  secrets: SecretBox,
): Promise<Uint8Array> {
  const stored = await storedSigningKey(pool, secrets);
  if (configured === undefined) return stored;
  const key = Buffer.from(configured, 'base64');
  if (key.length < 32) throw new Error('ACCESS_TOKEN_KEY must be base64 of at least 32 bytes');
  return key;
}
