import { randomBytes } from 'node:crypto';
import type pg from 'pg';
import { unwrapDataKey, wrapDataKey, type KeyEncryptionKey } from './key-encryption-key.ts';
import { SecretBox, type DataKey, type Keyring } from './secret-box.ts';

interface KeyringRow {
  id: string;
  kek_id: string;
  wrapped: Buffer;
  active: boolean;
}

type Queryable = Pick<pg.ClientBase, 'query'>;

export function newDataKey(): DataKey {
  return { id: randomBytes(9).toString('base64url'), key: randomBytes(32) };
}

function wrongKey(kek: KeyEncryptionKey, others: readonly string[]): Error {
  return new Error(
    `The secrets in this database are protected by another key-encryption key (key id ${others.join(', ')}), ` +
      `but TIDEWATCH_SECRET_KEY_FILE (${kek.file}) holds key id ${kek.id}. Start with the key file they were ` +
      `made with; to change keys, run npm run secrets:rotate -- --new-key-file <new file> with the old file in ` +
      `TIDEWATCH_SECRET_KEY_FILE.`,
  );
}

/** The database's data keys, unwrapped with the KEK; null when there are none yet. @throws for another KEK */
async function readKeyring(db: Queryable, kek: KeyEncryptionKey): Promise<Keyring | null> {
  const { rows } = await db.query<KeyringRow>('SELECT id, kek_id, wrapped, active FROM secret_keyring()');
  if (rows.length === 0) return null;
  const others = [...new Set(rows.filter((row) => row.kek_id !== kek.id).map((row) => row.kek_id))];
  if (others.length > 0) throw wrongKey(kek, others);
  const keys = rows.map((row) => unwrapDataKey(kek, row.id, row.wrapped));
  const active = rows.find((row) => row.active) ?? rows[rows.length - 1];
  return { keys, activeId: active?.id ?? '' };
}

/**
 * Opens the database's keyring with the KEK and returns the box that seals and opens every stored secret. The
 * first server on a database without data keys makes one. Fails loudly, at start, when the data keys were
 * wrapped by another KEK or do not unwrap.
 */
export async function openSecretBox(db: Queryable, kek: KeyEncryptionKey): Promise<SecretBox> {
  let keyring = await readKeyring(db, kek);
  if (!keyring) {
    const first = newDataKey();
    await db.query('SELECT secret_keyring_init($1, $2, $3)', [first.id, kek.id, wrapDataKey(kek, first)]);
    keyring = await readKeyring(db, kek);
    if (!keyring) throw new Error('the first data key was not stored');
  }
  const initial = keyring;
  return new SecretBox(initial, async () => (await readKeyring(db, kek)) ?? initial);
}

/**
 * Re-wraps every data key under `to`, in one transaction (all or none): keys already under `to` are left as they
 * are, so running it again changes nothing. The command runs it as the schema owner. @returns how many changed
 */
export async function rewrapDataKeys(
  client: pg.ClientBase,
  from: KeyEncryptionKey,
  to: KeyEncryptionKey,
): Promise<number> {
  await client.query('BEGIN');
  try {
    const { rows } = await client.query<KeyringRow>(
      'SELECT id, kek_id, wrapped, active FROM secret_data_keys ORDER BY created_at, id FOR UPDATE',
    );
    const unknown = [
      ...new Set(rows.filter((r) => r.kek_id !== from.id && r.kek_id !== to.id).map((r) => r.kek_id)),
    ];
    if (unknown.length > 0) throw wrongKey(from, unknown);
    let changed = 0;
    for (const row of rows.filter((r) => r.kek_id === from.id && from.id !== to.id)) {
      const wrapped = wrapDataKey(to, unwrapDataKey(from, row.id, row.wrapped));
      await client.query(
        'UPDATE secret_data_keys SET kek_id = $2, wrapped = $3, wrapped_at = now() WHERE id = $1',
        [row.id, to.id, wrapped],
      );
      changed += 1;
    }
    await client.query('COMMIT');
    return changed;
  } catch (error) {
    await client.query('ROLLBACK');
    throw error;
  }
}

/** Adds a data key and makes it the one new secrets are sealed under; the others stay to open what they sealed. */
export async function addActiveDataKey(client: pg.ClientBase, kek: KeyEncryptionKey): Promise<string> {
  const key = newDataKey();
  await client.query('BEGIN');
  try {
    await client.query('UPDATE secret_data_keys SET active = false WHERE active');
    await client.query(
      'INSERT INTO secret_data_keys (id, kek_id, wrapped, active) VALUES ($1, $2, $3, true)',
      [key.id, kek.id, wrapDataKey(kek, key)],
    );
    await client.query('COMMIT');
    return key.id;
  } catch (error) {
    await client.query('ROLLBACK');
    throw error;
  }
}
