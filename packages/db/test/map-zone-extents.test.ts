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

interface BoxRow {
  readonly key: string;
  readonly west: number;
  readonly south: number;
  readonly east: number;
  readonly north: number;
}

/** The boxes as kept, one line per tenant and zone. */
const KEPT = `
  SELECT concat_ws('/', tenant_id, zone_id) AS key, west, south, east, north
    FROM map_zone_extents ORDER BY 1`;

/** The same boxes computed afresh from the assets that are not archived. */
const COMPUTED = `
  SELECT concat_ws('/', tenant_id, zone_id) AS key,
         ST_XMin(box) AS west, ST_YMin(box) AS south, ST_XMax(box) AS east, ST_YMax(box) AS north
    FROM (SELECT tenant_id, zone_id, ST_Extent(geom) AS box FROM assets WHERE archived_at IS NULL GROUP BY 1, 2) x
   ORDER BY 1`;

// The console's first camera is read from these boxes; they must always equal a fresh pass over the assets.
describe('map zone extents', () => {
  let db: Connections;
  let tenants: TenantIds;

  beforeAll(async () => {
    db = await connect();
    tenants = await demoTenantIds(db.admin);
  });
  afterAll(async () => {
    await disconnect(db);
  });

  async function expectBoxesCurrent(): Promise<void> {
    const kept = await db.admin.query<BoxRow>(KEPT);
    const computed = await db.admin.query<BoxRow>(COMPUTED);
    expect(kept.rows.length).toBeGreaterThan(0);
    expect(kept.rows).toEqual(computed.rows);
  }

  it('hold the box of every zone of the seeded network', async () => {
    await expectBoxesCurrent();
  });

  it('follow inserts, moves off the edge and inside, re-zoning, archiving and deletes', async () => {
    await rolledBack(db.admin, async () => {
      const tenant = tenants.b;
      const { rows: zones } = await db.admin.query<{ id: string }>(
        'SELECT id FROM zones WHERE tenant_id = $1 ORDER BY code LIMIT 2',
        [tenant],
      );
      const [zoneA, zoneB] = zones.map((zone) => zone.id);
      // Points and pipes, some far outside the seeded network so that they make the boxes' edges.
      await db.admin.query(
        `INSERT INTO assets (tenant_id, zone_id, code, name, kind, geom)
         SELECT $1, CASE WHEN g % 3 = 0 THEN NULL WHEN g % 3 = 1 THEN $2::uuid ELSE $3::uuid END,
                'BOX-' || g, 'Box test ' || g, 'valve',
                ST_SetSRID(ST_MakePoint(77.0 + (g % 97) * 0.03, 16.0 + (g / 97) * 0.03), 4326)
           FROM generate_series(1, 2000) AS g`,
        [tenant, zoneA, zoneB],
      );
      await db.admin.query(
        `INSERT INTO assets (tenant_id, zone_id, code, name, kind, diameter_mm, geom)
         VALUES ($1, $2, 'BOX-PIPE', 'Box test main', 'pipeline', 600,
                 ST_SetSRID(ST_MakeLine(ST_MakePoint(76.5, 15.5), ST_MakePoint(80.5, 18.5)), 4326))`,
        [tenant, zoneA],
      );
      await expectBoxesCurrent();

      // The corner points moved inward, others outward, one zone's edge re-zoned, another archived.
      await db.admin.query(
        `UPDATE assets SET geom = ST_Translate(geom, 0.01, 0.01) WHERE code IN ('BOX-1', 'BOX-2', 'BOX-3') AND tenant_id = $1`,
        [tenant],
      );
      await db.admin.query(
        `UPDATE assets SET geom = ST_Translate(geom, -0.5, 0.7) WHERE code LIKE 'BOX-19%' AND tenant_id = $1`,
        [tenant],
      );
      await expectBoxesCurrent();
      await db.admin.query(`UPDATE assets SET zone_id = $2 WHERE code = 'BOX-PIPE' AND tenant_id = $1`, [
        tenant,
        zoneB,
      ]);
      await db.admin.query(
        `UPDATE assets SET archived_at = now() WHERE code LIKE 'BOX-2%' AND tenant_id = $1`,
        [tenant],
      );
      // A rename moves nothing.
      await db.admin.query(`UPDATE assets SET name = name || ' renamed' WHERE tenant_id = $1`, [tenant]);
      await expectBoxesCurrent();

      await db.admin.query(`DELETE FROM assets WHERE code LIKE 'BOX-1%' AND tenant_id = $1`, [tenant]);
      await db.admin.query(`DELETE FROM assets WHERE code = 'BOX-PIPE' AND tenant_id = $1`, [tenant]);
      // A zone given up: its assets lose their zone in one statement, and its box goes.
      await db.admin.query('UPDATE assets SET zone_id = NULL WHERE zone_id = $1', [zoneB]);
      await expectBoxesCurrent();
      const { rows: gone } = await db.admin.query('SELECT 1 FROM map_zone_extents WHERE zone_id = $1', [
        zoneB,
      ]);
      expect(gone).toEqual([]);
    });
    await expectBoxesCurrent();
  });

  it('are read by their tenant alone, and the application cannot write them', async () => {
    await asTenant(db.app, { tenantId: tenants.a, role: 'operator' }, async () => {
      const { rows } = await db.app.query<{ tenant_id: string }>(
        'SELECT DISTINCT tenant_id FROM map_zone_extents',
      );
      expect(rows).toEqual([{ tenant_id: tenants.a }]);
      await expect(db.app.query('UPDATE map_zone_extents SET west = west - 1')).rejects.toMatchObject({
        code: '42501',
      });
    });
  });
});
