import pg from 'pg';
import { inject } from 'vitest';

export interface Connections {
  readonly admin: pg.Client;
  readonly app: pg.Client;
}

/** An owner connection and an application-role connection to the seeded test database. */
export async function connect(): Promise<Connections> {
  const admin = new pg.Client({ connectionString: inject('seededAdminUrl') });
  const app = new pg.Client({ connectionString: inject('seededAppUrl') });
  await admin.connect();
  await app.connect();
  return { admin, app };
}

export async function disconnect(connections: Connections): Promise<void> {
  await connections.admin.end();
  await connections.app.end();
}

export interface TenantIds {
  readonly a: string;
  readonly b: string;
}

export async function demoTenantIds(admin: pg.Client): Promise<TenantIds> {
  const { rows } = await admin.query<{ id: string; slug: string }>(
    `SELECT id, slug FROM tenants WHERE slug IN ('hyderabad-west', 'pune-east') ORDER BY slug`,
  );
  // B is Hyderabad: the tenant with the ThingSpeak binding and the incident, so it has rows everywhere.
  const [b, a] = rows;
  if (!a || !b) throw new Error('the seeded test database lacks the demo tenants');
  return { a: a.id, b: b.id };
}

/** Runs `work` on the application connection inside a transaction with the given context, then rolls back. */
export async function asTenant<T>(
  app: pg.Client,
  context: { tenantId: string | null; userId?: string | null; role?: string | null },
  work: () => Promise<T>,
): Promise<T> {
  await app.query('BEGIN');
  try {
    await app.query('SELECT app_set_context($1::uuid, $2::uuid, $3)', [
      context.tenantId,
      context.userId ?? null,
      context.role ?? null,
    ]);
    return await work();
  } finally {
    await app.query('ROLLBACK');
  }
}

/** Runs `work` on `client` inside a transaction and rolls it back, so the seeded data stays as it was. */
export async function rolledBack(client: pg.Client, work: () => Promise<void>): Promise<void> {
  await client.query('BEGIN');
  try {
    await work();
  } finally {
    await client.query('ROLLBACK');
  }
}
