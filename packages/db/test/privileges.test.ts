import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { asTenant, connect, demoTenantIds, disconnect, type Connections, type TenantIds } from './helpers.ts';
import { cascadePaths, foreignKeys, HISTORY_TABLES, privilegeSnapshot } from './privilege-snapshot.ts';

/** The SQLSTATE a statement failed with, or null when it succeeded. */
async function failure(work: Promise<unknown>): Promise<string | null> {
  try {
    await work;
    return null;
  } catch (error) {
    return (error as { code?: string }).code ?? String(error);
  }
}

const PERMISSION_DENIED = '42501';
const FOREIGN_KEY_VIOLATION = '23503';

// Like PostgreSQL's own privileges.sql: any change to who may do what must show up here and be reviewed.
describe('database privileges', () => {
  let db: Connections;
  let tenants: TenantIds;

  beforeAll(async () => {
    db = await connect();
    tenants = await demoTenantIds(db.admin);
  });
  afterAll(async () => {
    await disconnect(db);
  });

  it('match the reviewed snapshot (rerun with -u after reviewing a deliberate change)', async () => {
    await expect(await privilegeSnapshot(db.admin)).toMatchFileSnapshot('./privileges.expected.txt');
  });

  it('let no delete anywhere cascade into history or blank what it names', async () => {
    expect(cascadePaths(await foreignKeys(db.admin), HISTORY_TABLES)).toEqual([]);

    // The check sees a cascade the moment one is added.
    await db.admin.query('BEGIN');
    try {
      await db.admin.query(`ALTER TABLE alerts DROP CONSTRAINT alerts_rule_id_fkey,
        ADD CONSTRAINT alerts_rule_id_fkey FOREIGN KEY (rule_id) REFERENCES alert_rules (id) ON DELETE CASCADE`);
      expect(cascadePaths(await foreignKeys(db.admin), HISTORY_TABLES)).toContain(
        'alert_rules -> alerts.rule_id (CASCADE)',
      );
    } finally {
      await db.admin.query('ROLLBACK');
    }
  });

  it('refuse even the owner deleting a rule, asset, zone, device or user that history names', async () => {
    const { rows } = await db.admin.query<{
      rule_id: string;
      asset_id: string;
      zone_id: string;
      device_id: string;
    }>(
      `SELECT rule_id, asset_id, zone_id, device_id FROM alerts
        WHERE tenant_id = $1 AND asset_id IS NOT NULL AND zone_id IS NOT NULL AND device_id IS NOT NULL LIMIT 1`,
      [tenants.b],
    );
    const named = rows[0];
    expect(named).toBeDefined();
    const acknowledger = await db.admin.query<{ id: string }>(
      'SELECT acknowledged_by AS id FROM alerts WHERE tenant_id = $1 AND acknowledged_by IS NOT NULL LIMIT 1',
      [tenants.b],
    );
    const deletes: [string, string | undefined][] = [
      ['DELETE FROM alert_rules WHERE id = $1', named?.rule_id],
      ['DELETE FROM assets WHERE id = $1', named?.asset_id],
      ['DELETE FROM zones WHERE id = $1', named?.zone_id],
      ['DELETE FROM devices WHERE id = $1', named?.device_id],
      ['DELETE FROM users WHERE id = $1', acknowledger.rows[0]?.id],
      ['DELETE FROM tenants WHERE id = $1', tenants.b],
    ];
    for (const [sql, id] of deletes) {
      expect(id, sql).toBeDefined();
      await db.admin.query('BEGIN');
      try {
        expect(await failure(db.admin.query(sql, [id])), sql).toBe(FOREIGN_KEY_VIOLATION);
      } finally {
        await db.admin.query('ROLLBACK');
      }
    }
  });

  it('keep the application role from deleting history or rewriting what happened', async () => {
    const context = { tenantId: tenants.b, role: 'tenant_admin' };
    const attempt = (sql: string): Promise<string | null> =>
      asTenant(db.app, context, () => failure(db.app.query(sql)));

    for (const table of HISTORY_TABLES) {
      expect(await attempt(`DELETE FROM ${table}`), table).toBe(PERMISSION_DENIED);
      expect(await attempt(`TRUNCATE ${table}`), table).toBe(PERMISSION_DENIED);
    }
    const rewrites = [
      'UPDATE alerts SET raised_value = 0',
      'UPDATE alerts SET raised_at = now()',
      'UPDATE alerts SET rule_id = rule_id',
      'UPDATE alerts SET message = $$nothing happened$$',
      'UPDATE alert_transitions SET comment = NULL',
      'UPDATE audit_log SET details = $${}$$',
      'UPDATE incidents SET opened_at = now()',
      'UPDATE incidents SET number = number',
      'UPDATE incident_notes SET body = $$edited$$',
      'UPDATE incident_alerts SET alert_id = alert_id',
      'UPDATE maintenance_logs SET work_done = $$edited$$',
      'UPDATE device_commands SET command = $$other$$',
      'UPDATE device_downtimes SET started_at = now()',
    ];
    for (const sql of rewrites) expect(await attempt(sql), sql).toBe(PERMISSION_DENIED);

    // What the application does change still works.
    const allowed = [
      `UPDATE alerts SET last_value = last_value WHERE false`,
      `UPDATE incidents SET title = title WHERE false`,
      `UPDATE device_commands SET state = state WHERE false`,
      `UPDATE device_downtimes SET ended_at = ended_at WHERE false`,
    ];
    for (const sql of allowed) expect(await attempt(sql), sql).toBeNull();
  });

  it('keep the application role from creating objects or reading other tenants through PostGIS statistics', async () => {
    await db.admin.query('ANALYZE assets');
    const context = { tenantId: tenants.a, role: 'tenant_admin' };
    const attempt = (sql: string): Promise<string | null> =>
      asTenant(db.app, context, () => failure(db.app.query(sql)));

    for (const sql of [
      `SELECT ST_EstimatedExtent('assets', 'geom')`,
      `SELECT ST_EstimatedExtent('public', 'assets', 'geom')`,
      `SELECT _postgis_stats('assets', 'geom')`,
      `SELECT _postgis_selectivity('assets', 'geom', ST_MakeEnvelope(78, 17, 79, 18, 4326))`,
      `SELECT _postgis_join_selectivity('assets', 'geom', 'zones', 'geom')`,
      `SELECT _postgis_index_extent('assets_tenant_geom_idx', 'geom')`,
      'CREATE TABLE spy (id int)',
      'CREATE FUNCTION app_role_spy() RETURNS int LANGUAGE sql AS $$ SELECT 1 $$',
    ]) {
      expect(await attempt(sql), sql).toBe(PERMISSION_DENIED);
    }
    // The spatial functions the server uses still answer, from the tenant's own rows.
    const { rows } = await asTenant(db.app, context, () =>
      db.app.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM assets WHERE ST_DWithin(geom::geography, ST_SetSRID(ST_MakePoint(73.9, 18.5), 4326)::geography, 1e6)`,
      ),
    );
    expect(rows[0]?.n).toBeGreaterThan(0);
  });
});
