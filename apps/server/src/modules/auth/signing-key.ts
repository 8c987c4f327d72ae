import type pg from 'pg';

/** The access-token key: from ACCESS_TOKEN_KEY, or the one kept in the database for all instances. */
export async function loadSigningKey(pool: pg.Pool, configured: string | undefined): Promise<Uint8Array> {
  if (configured !== undefined) {
    const key = Buffer.from(configured, 'base64');
    if (key.length < 32) throw new Error('ACCESS_TOKEN_KEY must be base64 of at least 32 bytes');
    return key;
  }
  const { rows } = await pool.query<{ key: Buffer }>('SELECT auth_signing_key() AS key');
  const key = rows[0]?.key;
  if (!key) throw new Error('The database returned no signing key');
  return key;
}
