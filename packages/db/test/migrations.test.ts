import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyMigrations, MIGRATIONS_DIR, readMigrations } from '../src/migrate.ts';
import { createTestDatabase, type TestDatabase } from '../src/testing/index.ts';

/** Everything a migration could change, as one comparable text. */
async function schemaFingerprint(url: string): Promise<string> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const parts = await Promise.all([
      client.query(`SELECT table_name, column_name, data_type, is_nullable, column_default
                      FROM information_schema.columns WHERE table_schema = 'public' ORDER BY 1, 2`),
      client.query(`SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' ORDER BY 1`),
      client.query(`SELECT tablename, policyname, qual, with_check FROM pg_policies ORDER BY 1, 2`),
      client.query(`SELECT p.proname, pg_get_function_identity_arguments(p.oid) FROM pg_proc p
                      JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = 'public' ORDER BY 1, 2`),
      client.query(`SELECT grantee, table_name, privilege_type FROM information_schema.role_table_grants
                      WHERE table_schema = 'public' ORDER BY 1, 2, 3`),
      client.query(`SELECT migration_name, checksum, finished_at FROM "_prisma_migrations" ORDER BY 1`),
      client.query(`SELECT extname FROM pg_extension ORDER BY 1`),
    ]);
    return JSON.stringify(parts.map((part): unknown[] => part.rows));
  } finally {
    await client.end();
  }
}

describe('migrations', () => {
  let db: TestDatabase;

  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => {
    await db.drop();
  });

  it('apply to an empty database, and a second run changes nothing', async () => {
    const expected = (await readMigrations()).map((m) => m.name);

    const first = await applyMigrations(db.adminUrl);
    const afterFirst = await schemaFingerprint(db.adminUrl);
    const second = await applyMigrations(db.adminUrl);
    const afterSecond = await schemaFingerprint(db.adminUrl);

    expect(first.applied).toEqual(expected);
    expect(second.applied).toEqual([]);
    expect(second.alreadyApplied).toEqual(expected);
    expect(afterSecond).toBe(afterFirst);
  });

  it('create PostGIS and record each migration the way prisma migrate deploy does', async () => {
    const client = new pg.Client({ connectionString: db.adminUrl });
    await client.connect();
    try {
      const postgis = await client.query<{ version: string }>('SELECT postgis_lib_version() AS version');
      const recorded = await client.query<{ checksum: string; applied_steps_count: number }>(
        'SELECT checksum, applied_steps_count FROM "_prisma_migrations" ORDER BY migration_name',
      );
      const migrations = await readMigrations();

      expect(postgis.rows[0]?.version).toMatch(/^3\./);
      expect(recorded.rows.map((row) => row.checksum)).toEqual(migrations.map((m) => m.checksum));
      expect(recorded.rows.every((row) => row.applied_steps_count === 1)).toBe(true);
    } finally {
      await client.end();
    }
  });

  it('leave the spatial predicates leakproof, so indexes serve them under row-level security', async () => {
    const client = new pg.Client({ connectionString: db.adminUrl });
    await client.connect();
    try {
      const { rows } = await client.query<{ name: string }>(
        `SELECT oid::regprocedure::text AS name FROM pg_proc
          WHERE proname IN ('geometry_overlaps', 'geography_overlaps', 'st_dwithin', 'st_intersects')
            AND NOT proleakproof AND pronargs > 1 AND NOT (proargtypes[0] = 'text'::regtype)`,
      );
      expect(rows).toEqual([]);
    } finally {
      await client.end();
    }
  });

  it('refuse to run when an applied migration was edited afterwards', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'tidewatch-migrations-'));
    try {
      await cp(MIGRATIONS_DIR, dir, { recursive: true });
      const [firstName] = (await readMigrations(dir)).map((m) => m.name);
      const file = path.join(dir, firstName ?? '', 'migration.sql');
      await writeFile(file, `${await readFile(file, 'utf8')}\n-- edited\n`);

      await expect(applyMigrations(db.adminUrl, { dir })).rejects.toThrow(/was changed after it was applied/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('roll back a failing migration completely and name it', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'tidewatch-migrations-'));
    try {
      await cp(MIGRATIONS_DIR, dir, { recursive: true });
      const broken = path.join(dir, '29991231000000_broken');
      await cp(path.join(dir, (await readMigrations(dir))[0]?.name ?? ''), broken, { recursive: true });
      await writeFile(
        path.join(broken, 'migration.sql'),
        'CREATE TABLE half_done (id int);\nSELECT * FROM missing_table;\n',
      );
      const before = await schemaFingerprint(db.adminUrl);

      await expect(applyMigrations(db.adminUrl, { dir })).rejects.toThrow(/29991231000000_broken failed/);
      expect(await schemaFingerprint(db.adminUrl)).toBe(before);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
