import pg from 'pg';

/** Creates the database named in `adminUrl` when it does not exist yet (connecting to `postgres`). */
export async function ensureDatabaseExists(adminUrl: string): Promise<boolean> {
  const target = new URL(adminUrl);
  const name = decodeURIComponent(target.pathname.slice(1));
  if (!/^[A-Za-z0-9_-]{1,63}$/.test(name)) {
    throw new Error(`Refusing to create a database with the name "${name}"`);
  }
  const maintenance = new URL(adminUrl);
  maintenance.pathname = '/postgres';
  const client = new pg.Client({ connectionString: maintenance.toString() });
  await client.connect();
  try {
    const existing = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (existing.rowCount) return false;
    await client.query(`CREATE DATABASE "${name}"`);
    return true;
  } finally {
    await client.end();
  }
}

/** Drops a database, for tests that made their own. */
export async function dropDatabase(adminUrl: string): Promise<void> {
  const target = new URL(adminUrl);
  const name = decodeURIComponent(target.pathname.slice(1));
  const maintenance = new URL(adminUrl);
  maintenance.pathname = '/postgres';
  const client = new pg.Client({ connectionString: maintenance.toString() });
  await client.connect();
  try {
    await client.query(`DROP DATABASE IF EXISTS "${name.replaceAll('"', '')}" WITH (FORCE)`);
  } finally {
    await client.end();
  }
}
