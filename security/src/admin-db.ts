import pg from 'pg';
import { inject } from 'vitest';

/** The database owner's view, past row-level security: for arranging fixtures and for checking what is stored. */
export class AdminDb {
  private readonly pool = new pg.Pool({
    connectionString: inject('adminUrl'),
    max: 2,
    application_name: 'tidewatch-security',
  });

  async query<T extends pg.QueryResultRow>(sql: string, params: unknown[] = []): Promise<T[]> {
    return (await this.pool.query<T>(sql, params)).rows;
  }

  async one<T extends pg.QueryResultRow>(sql: string, params: unknown[] = []): Promise<T> {
    const [row] = await this.query<T>(sql, params);
    if (!row) throw new Error(`no row for: ${sql}`);
    return row;
  }

  async tenantId(slug: string): Promise<string> {
    return (await this.one<{ id: string }>('SELECT id FROM tenants WHERE slug = $1', [slug])).id;
  }

  close(): Promise<void> {
    return this.pool.end();
  }
}
