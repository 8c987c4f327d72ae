import { randomBytes } from 'node:crypto';
import { APPLICATION_ROLE } from '../config.ts';
import { dropDatabase, ensureDatabaseExists } from '../database-admin.ts';
import { applyMigrations } from '../migrate.ts';
import { seedDemo, type SeedCounts } from '../seed/seed-database.ts';

export interface TestDatabase {
  readonly name: string;
  /** Owner connection: migrations, seeding, and assertions that must see every tenant. */
  readonly adminUrl: string;
  /** Application-role connection, subject to row-level security like the server. */
  readonly appUrl: string;
  readonly seedCounts: SeedCounts | null;
  drop(): Promise<void>;
}

/** The PostgreSQL server tests run against; TEST_DATABASE_ADMIN_URL points elsewhere. */
export function testServerUrl(): URL {
  return new URL(process.env.TEST_DATABASE_ADMIN_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres');
}

/**
 * Creates a database of its own for a test run, optionally migrated and seeded with the demo tenants.
 * @example
 * const db = await createTestDatabase({ migrate: true, seed: true });
 * afterAll(() => db.drop());
 */
export async function createTestDatabase(
  options: { readonly migrate?: boolean; readonly seed?: boolean } = {},
): Promise<TestDatabase> {
  const name = `tidewatch_test_${randomBytes(5).toString('hex')}`;
  const admin = testServerUrl();
  admin.pathname = `/${name}`;
  const app = new URL(admin);
  app.username = APPLICATION_ROLE;
  app.password = process.env.TEST_DATABASE_APP_PASSWORD ?? '';
  const adminUrl = admin.toString();
  await ensureDatabaseExists(adminUrl);
  if (options.migrate || options.seed) await applyMigrations(adminUrl);
  const seedCounts = options.seed ? await seedDemo({ adminUrl }) : null;
  return { name, adminUrl, appUrl: app.toString(), seedCounts, drop: () => dropDatabase(adminUrl) };
}
