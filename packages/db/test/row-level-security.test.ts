import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { APPLICATION_ROLE } from '../src/config.ts';
import { asTenant, connect, demoTenantIds, disconnect, type Connections, type TenantIds } from './helpers.ts';

// Tables the application may read that belong to no tenant.
const PLATFORM_TABLES = new Set(['spatial_ref_sys']);
const TELEMETRY_TABLES = new Set(['telemetry', 'telemetry_dirty', 'telemetry_1m', 'telemetry_1h']);

/** The SQL that counts one tenant's rows of a table, as the owner sees them. */
function ownedRowsSql(table: string): string {
  if (TELEMETRY_TABLES.has(table)) {
    return `SELECT count(*) FROM ${table} WHERE series_id IN (SELECT id FROM series WHERE tenant_id = $1)`;
  }
  if (table === 'tenants') return 'SELECT count(*) FROM tenants WHERE id = $1';
  return `SELECT count(*) FROM ${table} WHERE tenant_id = $1`;
}

/** Sessions, outbox rows, device tags and authenticators only appear at run time; arrange one of each for B. */
async function giveTenantBRowsWhereTheSeedHasNone(db: Connections, tenantB: string): Promise<void> {
  await db.admin.query(
    `WITH u AS (SELECT id FROM users WHERE tenant_id = $1 LIMIT 1),
          s AS (INSERT INTO sessions (tenant_id, user_id, expires_at, user_agent)
                SELECT $1, id, now() + interval '1 day', 'rls-test' FROM u RETURNING id, user_id)
     INSERT INTO refresh_tokens (tenant_id, session_id, user_id, token_hash, expires_at)
     SELECT $1, s.id, s.user_id, sha256('rls-test'::bytea), now() + interval '1 day' FROM s`,
    [tenantB],
  );
  await db.admin.query(
    `INSERT INTO user_totp (user_id, tenant_id, secret_sealed)
     SELECT id, tenant_id, 'rls-test' FROM users WHERE tenant_id = $1 LIMIT 1`,
    [tenantB],
  );
  await db.admin.query(
    `INSERT INTO notification_outbox (tenant_id, channel, target, payload) VALUES ($1, 'email', 'rls-test', '{}')`,
    [tenantB],
  );
  // A bucket waiting for the rollup job.
  await db.admin.query(
    `INSERT INTO telemetry_dirty (series_id, bucket)
     SELECT id, date_trunc('minute', now()) FROM series WHERE tenant_id = $1 LIMIT 1`,
    [tenantB],
  );
  await db.admin.query(
    `INSERT INTO alert_floods (tenant_id, active, count, since) VALUES ($1, false, 0, NULL)
     ON CONFLICT (tenant_id) DO NOTHING`,
    [tenantB],
  );
  await db.admin.query(
    `INSERT INTO alert_rule_states (rule_id, target_key, tenant_id)
     SELECT id, 'rls-test', tenant_id FROM alert_rules WHERE tenant_id = $1 LIMIT 1`,
    [tenantB],
  );
  await db.admin.query(
    `WITH t AS (INSERT INTO tags (tenant_id, key) VALUES ($1, 'rls-test') RETURNING id)
     INSERT INTO device_tags (tenant_id, device_id, tag_id)
     SELECT $1, (SELECT id FROM devices WHERE tenant_id = $1 LIMIT 1), t.id FROM t`,
    [tenantB],
  );
}

describe('row-level security', () => {
  let db: Connections;
  let tenants: TenantIds;
  let readableTables: string[];

  beforeAll(async () => {
    db = await connect();
    tenants = await demoTenantIds(db.admin);
    const { rows } = await db.admin.query<{ table_name: string }>(
      `SELECT c.relname AS table_name
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND NOT c.relispartition
          AND has_table_privilege($1, c.oid, 'SELECT')
        ORDER BY 1`,
      [APPLICATION_ROLE],
    );
    readableTables = rows.map((row) => row.table_name).filter((name) => !PLATFORM_TABLES.has(name));
    await giveTenantBRowsWhereTheSeedHasNone(db, tenants.b);
  });
  afterAll(async () => {
    await db.admin.query(`DELETE FROM sessions WHERE user_agent = 'rls-test'`);
    await db.admin.query(`DELETE FROM notification_outbox WHERE target = 'rls-test'`);
    await db.admin.query(`DELETE FROM user_totp WHERE secret_sealed = 'rls-test'`);
    await db.admin.query(
      `DELETE FROM device_tags WHERE tag_id IN (SELECT id FROM tags WHERE key = 'rls-test')`,
    );
    await db.admin.query(`DELETE FROM tags WHERE key = 'rls-test'`);
    await db.admin.query(`DELETE FROM alert_rule_states WHERE target_key = 'rls-test'`);
    await disconnect(db);
  });

  it('the application role owns nothing and cannot bypass it', async () => {
    const role = await db.admin.query<{ rolsuper: boolean; rolbypassrls: boolean }>(
      'SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = $1',
      [APPLICATION_ROLE],
    );
    const owned = await db.admin.query(
      `SELECT c.relname FROM pg_class c JOIN pg_roles r ON r.oid = c.relowner WHERE r.rolname = $1`,
      [APPLICATION_ROLE],
    );

    expect(role.rows[0]).toEqual({ rolsuper: false, rolbypassrls: false });
    expect(owned.rows).toEqual([]);
  });

  it('is enabled on every table the application can read', async () => {
    const { rows } = await db.admin.query<{ relname: string }>(
      `SELECT relname FROM pg_class WHERE relname = ANY($1) AND NOT relrowsecurity`,
      [readableTables],
    );

    expect(readableTables.length).toBeGreaterThanOrEqual(30);
    expect(rows).toEqual([]);
  });

  it("tenant A's context reads exactly A's rows of every table, even without a WHERE", async () => {
    for (const table of readableTables) {
      const ownA = await db.admin.query<{ count: string }>(ownedRowsSql(table), [tenants.a]);
      const ownB = await db.admin.query<{ count: string }>(ownedRowsSql(table), [tenants.b]);
      const seen = await asTenant(db.app, { tenantId: tenants.a, role: 'tenant_admin' }, async () => {
        const all = await db.app.query<{ count: string }>(`SELECT count(*) FROM ${table}`);
        const ofB = await db.app.query<{ count: string }>(ownedRowsSql(table), [tenants.b]);
        return { all: Number(all.rows[0]?.count), ofB: Number(ofB.rows[0]?.count) };
      });

      expect.soft(seen.ofB, `${table}: rows of tenant B seen from A`).toBe(0);
      expect.soft(seen.all, `${table}: rows seen from A`).toBe(Number(ownA.rows[0]?.count));
      expect.soft(Number(ownB.rows[0]?.count), `${table}: tenant B has rows to hide`).toBeGreaterThan(0);
    }
  });

  it('with no context set, every tenant table reads as empty', async () => {
    for (const table of readableTables) {
      const { rows } = await db.app.query<{ count: string }>(`SELECT count(*) FROM ${table}`);
      expect.soft(Number(rows[0]?.count), table).toBe(0);
    }
  });

  it("refuses to write a row into another tenant from A's context", async () => {
    const attempt = asTenant(db.app, { tenantId: tenants.a, role: 'tenant_admin' }, () =>
      db.app.query(`INSERT INTO tags (tenant_id, key, value) VALUES ($1, 'smuggled', 'x')`, [tenants.b]),
    );

    await expect(attempt).rejects.toThrow(/row-level security/);
  });

  it('cannot move a row of A into B by updating its tenant', async () => {
    const attempt = asTenant(db.app, { tenantId: tenants.a, role: 'tenant_admin' }, () =>
      db.app.query(`UPDATE zones SET tenant_id = $1`, [tenants.b]),
    );

    await expect(attempt).rejects.toThrow(/row-level security/);
  });

  it('keeps the audit log and alert history append-only for the application', async () => {
    for (const statement of [
      'UPDATE audit_log SET action = $1',
      'DELETE FROM audit_log WHERE action = $1',
      'UPDATE alert_transitions SET comment = $1',
      'DELETE FROM alert_transitions WHERE comment = $1',
    ]) {
      const attempt = asTenant(db.app, { tenantId: tenants.a, role: 'super_admin' }, () =>
        db.app.query(statement, ['tampered']),
      );
      await expect(attempt, statement).rejects.toThrow(/permission denied/);
    }
  });

  it('lets the application append to the audit log of its own tenant only', async () => {
    const insert = `INSERT INTO audit_log (tenant_id, actor_type, action, resource_type) VALUES ($1, 'system', 'test.append', 'test')`;

    await asTenant(db.app, { tenantId: tenants.a, role: 'operator' }, () =>
      db.app.query(insert, [tenants.a]),
    );
    await expect(
      asTenant(db.app, { tenantId: tenants.a, role: 'operator' }, () => db.app.query(insert, [tenants.b])),
    ).rejects.toThrow(/row-level security/);
  });
});
