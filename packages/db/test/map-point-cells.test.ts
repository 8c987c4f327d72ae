import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  asTenant,
  connect,
  demoTenantIds,
  disconnect,
  rolledBack,
  type Connections,
  type TenantIds,
} from './helpers.ts';

interface CellRow {
  readonly key: string;
  readonly count: number;
  readonly x: number;
  readonly y: number;
}

/** The cells as kept, one line per tenant, level, cell and zone; sums rounded to the centimetre. */
const KEPT = `
  SELECT concat_ws('/', tenant_id, level, cx, cy, zone_id) AS key, count,
         round(sum_x::numeric, 2)::float8 AS x, round(sum_y::numeric, 2)::float8 AS y
    FROM map_point_cells ORDER BY 1`;

/** The same cells counted afresh from the drawn points: every level from the point's own tile of zoom `level`. */
const COUNTED = `
  WITH drawn AS (
    SELECT a.tenant_id, a.zone_id, ST_Transform(a.geom, 3857) AS merc
      FROM assets a
     WHERE a.kind <> 'pipeline' AND a.archived_at IS NULL AND abs(ST_Y(a.geom)) <= 85.0511287798
  )
  SELECT concat_ws('/', d.tenant_id, l.level, t.cx, t.cy, d.zone_id) AS key, count(*)::int AS count,
         round(sum(ST_X(d.merc))::numeric, 2)::float8 AS x, round(sum(ST_Y(d.merc))::numeric, 2)::float8 AS y
    FROM drawn d
   CROSS JOIN generate_series(4, 18) AS l (level)
   CROSS JOIN LATERAL (
     SELECT floor((ST_X(d.merc) + 20037508.342789244) / (40075016.68557849 / 2 ^ l.level))::int AS cx,
            floor((20037508.342789244 - ST_Y(d.merc)) / (40075016.68557849 / 2 ^ l.level))::int AS cy
   ) t
   GROUP BY d.tenant_id, l.level, t.cx, t.cy, d.zone_id ORDER BY 1`;

// The clusters of zoomed-out map tiles are read from these counts; they must always equal a fresh count.
describe('map point cells', () => {
  let db: Connections;
  let tenants: TenantIds;

  beforeAll(async () => {
    db = await connect();
    tenants = await demoTenantIds(db.admin);
  });
  afterAll(async () => {
    await disconnect(db);
  });

  async function expectCellsCurrent(): Promise<void> {
    const kept = await db.admin.query<CellRow>(KEPT);
    const counted = await db.admin.query<CellRow>(COUNTED);
    expect(kept.rows.length).toBeGreaterThan(0);
    expect(kept.rows).toEqual(counted.rows);
  }

  it('count every drawn point of the seeded network at every level', async () => {
    await expectCellsCurrent();
    // Each level holds every point once.
    const { rows } = await db.admin.query<{ level: number; points: number }>(
      'SELECT level, sum(count)::int AS points FROM map_point_cells GROUP BY level ORDER BY level',
    );
    const { rows: drawn } = await db.admin.query<{ points: number }>(
      `SELECT count(*)::int AS points FROM assets WHERE kind <> 'pipeline' AND archived_at IS NULL`,
    );
    expect(rows).toEqual(Array.from({ length: 15 }, (_, i) => ({ level: i + 4, points: drawn[0]?.points })));
  });

  it('follow inserts, moves, re-zoning, archiving and deletes, one row or thousands at a time', async () => {
    await rolledBack(db.admin, async () => {
      const tenant = tenants.b;
      const { rows: zones } = await db.admin.query<{ id: string }>(
        'SELECT id FROM zones WHERE tenant_id = $1 ORDER BY code LIMIT 2',
        [tenant],
      );
      const [zoneA, zoneB] = zones.map((zone) => zone.id);
      await db.admin.query(
        `INSERT INTO assets (tenant_id, zone_id, code, name, kind, geom)
         SELECT $1, CASE WHEN g % 3 = 0 THEN NULL WHEN g % 3 = 1 THEN $2::uuid ELSE $3::uuid END,
                'CELL-' || g, 'Cell test ' || g, 'valve',
                ST_SetSRID(ST_MakePoint(78.3 + (g % 97) * 0.003, 17.3 + (g / 97) * 0.003), 4326)
           FROM generate_series(1, 3000) AS g`,
        [tenant, zoneA, zoneB],
      );
      await expectCellsCurrent();

      await db.admin.query(
        `UPDATE assets SET geom = ST_Translate(geom, 0.05, -0.02) WHERE code LIKE 'CELL-1%' AND tenant_id = $1`,
        [tenant],
      );
      await db.admin.query(`UPDATE assets SET zone_id = $2 WHERE code LIKE 'CELL-2%' AND tenant_id = $1`, [
        tenant,
        zoneA,
      ]);
      await db.admin.query(
        `UPDATE assets SET archived_at = now() WHERE code LIKE 'CELL-3%' AND tenant_id = $1`,
        [tenant],
      );
      // An update that moves nothing (a rename, maintenance) leaves the counts alone.
      await db.admin.query(
        `UPDATE assets SET name = name || ' renamed', maintenance_since = now() WHERE tenant_id = $1`,
        [tenant],
      );
      await expectCellsCurrent();

      await db.admin.query(`DELETE FROM assets WHERE code LIKE 'CELL-4%' AND tenant_id = $1`, [tenant]);
      // A zone archived: its assets lose their zone, all in one statement.
      await db.admin.query('UPDATE assets SET zone_id = NULL WHERE zone_id = $1', [zoneB]);
      await expectCellsCurrent();

      // Cells that lost their last point go.
      const { rows: empty } = await db.admin.query('SELECT 1 FROM map_point_cells WHERE count = 0');
      expect(empty).toEqual([]);
    });
    await expectCellsCurrent();
  });

  it('are kept by the application role’s own edits, and read only by their tenant', async () => {
    await db.app.query('BEGIN');
    try {
      await db.app.query(`SELECT app_set_context($1::uuid, NULL, 'tenant_admin')`, [tenants.a]);
      await db.app.query(
        `INSERT INTO assets (tenant_id, code, name, kind, geom)
         VALUES ($1, 'CELL-APP-1', 'Application edit', 'flow_meter', ST_SetSRID(ST_MakePoint(73.9, 18.5), 4326))`,
        [tenants.a],
      );
      const { rows } = await db.app.query<{ tenant_id: string }>(
        'SELECT DISTINCT tenant_id FROM map_point_cells',
      );
      expect(rows).toEqual([{ tenant_id: tenants.a }]);
      await db.app.query('SAVEPOINT write');
      await expect(db.app.query('UPDATE map_point_cells SET count = count + 1')).rejects.toMatchObject({
        code: '42501',
      });
      await db.app.query('ROLLBACK TO SAVEPOINT write');
      // Seen from the owner's connection after the commit below would be the same: check inside, then discard.
      const { rows: counted } = await db.app.query<{ count: number }>(
        `SELECT sum(count)::int AS count FROM map_point_cells WHERE level = 15`,
      );
      const { rows: drawn } = await db.app.query<{ count: number }>(
        `SELECT count(*)::int AS count FROM assets WHERE kind <> 'pipeline' AND archived_at IS NULL`,
      );
      expect(counted).toEqual(drawn);
    } finally {
      await db.app.query('ROLLBACK');
    }
    await asTenant(db.app, { tenantId: tenants.b, role: 'operator' }, async () => {
      const { rows } = await db.app.query<{ tenant_id: string }>(
        'SELECT DISTINCT tenant_id FROM map_point_cells',
      );
      expect(rows).toEqual([{ tenant_id: tenants.b }]);
    });
  });
});
