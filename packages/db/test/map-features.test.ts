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

/** What the map draws of every live asset, computed afresh from assets (the tile query's own rules). */
const FRESH = `
  SELECT a.id AS asset_id, a.tenant_id, a.zone_id, a.kind, a.code, a.maintenance_since IS NOT NULL AS in_maintenance,
         a.diameter_mm, a.from_asset_id IS NOT NULL OR a.to_asset_id IS NOT NULL AS directed,
         CASE WHEN f.geom IS NOT NULL THEN ST_Distance(ST_StartPoint(a.geom), f.geom) > ST_Distance(ST_EndPoint(a.geom), f.geom)
              WHEN t.geom IS NOT NULL THEN ST_Distance(ST_EndPoint(a.geom), t.geom) > ST_Distance(ST_StartPoint(a.geom), t.geom)
              ELSE false END AS against_flow,
         ST_AsEWKB(a.geom) AS shape
    FROM assets a LEFT JOIN assets f ON f.id = a.from_asset_id LEFT JOIN assets t ON t.id = a.to_asset_id
   WHERE a.archived_at IS NULL`;

const KEPT = `
  SELECT asset_id, tenant_id, zone_id, kind, code, in_maintenance, diameter_mm, directed, against_flow,
         ST_AsEWKB(geom) AS shape
    FROM map_features`;

/** Rows kept and rows computed afresh that differ, either way (empty when map_features is current). */
const DRIFT = `
  SELECT 'kept' AS side, d.asset_id::text, d.code FROM ((${KEPT}) EXCEPT (${FRESH})) d
  UNION ALL
  SELECT 'fresh', d.asset_id::text, d.code FROM ((${FRESH}) EXCEPT (${KEPT})) d`;

/** Drawn mains whose drawing differs from their row in map_features (or that have none). */
const MAINS_DRIFT = `
  SELECT z.asset_id::text FROM map_pipe_zooms z LEFT JOIN map_features f ON f.asset_id = z.asset_id
   WHERE f.asset_id IS NULL
      OR (z.tenant_id, z.zone_id, z.code, z.in_maintenance, z.diameter_mm, z.directed, z.against_flow, ST_AsEWKB(z.geom))
         IS DISTINCT FROM
         (f.tenant_id, f.zone_id, f.code, f.in_maintenance, f.diameter_mm, f.directed, f.against_flow, ST_AsEWKB(f.geom))`;

// The map's copy of the live assets in map order: what a tile reads instead of assets.
describe('map features', () => {
  let db: Connections;
  let tenants: TenantIds;

  beforeAll(async () => {
    db = await connect();
    tenants = await demoTenantIds(db.admin);
  });
  afterAll(async () => {
    await disconnect(db);
  });

  /** `count` valves of tenant B, codes `prefix`1.., in random order over a square `span`° a side from `corner`. */
  const insertValves = (prefix: string, count: number, corner: [number, number], span: number) =>
    db.admin.query(
      `INSERT INTO assets (tenant_id, code, name, kind, geom)
       SELECT $1, $2 || g, 'Map feature test', 'valve',
              ST_SetSRID(ST_MakePoint($4 + random() * $6, $5 + random() * $6), 4326)
         FROM generate_series(1, $3::int) AS g`,
      [tenants.b, prefix, count, corner[0], corner[1], span],
    );

  const expectCurrent = async () => {
    expect((await db.admin.query(DRIFT)).rows).toEqual([]);
    expect((await db.admin.query(MAINS_DRIFT)).rows).toEqual([]);
  };

  it('hold every live asset of the seeded network as the map draws it', async () => {
    await expectCurrent();
    const { rows } = await db.admin.query<{ n: number }>('SELECT count(*)::int AS n FROM map_features');
    expect(rows[0]?.n).toBeGreaterThan(0);
  });

  it('follow inserts, edits, zone and maintenance changes, archiving, moved end assets and deletes', async () => {
    await rolledBack(db.admin, async () => {
      const { rows: zones } = await db.admin.query<{ id: string }>(
        'SELECT id FROM zones WHERE tenant_id = $1 ORDER BY code LIMIT 2',
        [tenants.b],
      );
      // 400 valves in random order and 200 pipes, some from a valve to another (so drawn in their flow).
      await insertValves('FEAT-V-', 400, [78.45, 17.4], 0.02);
      await db.admin.query(
        `INSERT INTO assets (tenant_id, code, name, kind, geom, diameter_mm, from_asset_id, to_asset_id)
         SELECT $1, 'FEAT-P-' || g, 'Feature pipe', 'pipeline',
                CASE WHEN g % 2 = 0 THEN ST_MakeLine(f.geom, t.geom) ELSE ST_MakeLine(t.geom, f.geom) END,
                150 + 2 * g, CASE WHEN g % 3 <> 0 THEN f.id END, CASE WHEN g % 3 <> 1 THEN t.id END
           FROM generate_series(1, 200) AS g
           JOIN assets f ON f.tenant_id = $1 AND f.code = 'FEAT-V-' || g
           JOIN assets t ON t.tenant_id = $1 AND t.code = 'FEAT-V-' || (g + 200)`,
        [tenants.b],
      );
      await expectCurrent();
      const { rows: reversed } = await db.admin.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM map_features m JOIN assets a ON a.id = m.asset_id
          WHERE a.code LIKE 'FEAT-P-%' AND m.against_flow`,
      );
      expect(reversed[0]?.n).toBe(100);

      // Edits of what is drawn, and of what is not (a name), in statements of many rows and of one.
      await db.admin.query(`UPDATE assets SET zone_id = $2 WHERE tenant_id = $1 AND code LIKE 'FEAT-V-1%'`, [
        tenants.b,
        zones[0]?.id,
      ]);
      await db.admin.query(
        `UPDATE assets SET maintenance_since = now(), maintenance_reason = 'Test'
          WHERE tenant_id = $1 AND code LIKE 'FEAT-V-2%'`,
        [tenants.b],
      );
      await db.admin.query(`UPDATE assets SET zone_id = $2 WHERE tenant_id = $1 AND code LIKE 'FEAT-P-3%'`, [
        tenants.b,
        zones[1]?.id,
      ]);
      await db.admin.query(
        `UPDATE assets SET maintenance_since = now() WHERE tenant_id = $1 AND code LIKE 'FEAT-P-4%'`,
        [tenants.b],
      );
      await db.admin.query(
        `UPDATE assets SET code = 'FEAT-Q-150' WHERE tenant_id = $1 AND code = 'FEAT-P-150'`,
        [tenants.b],
      );
      await db.admin.query(`UPDATE assets SET code = 'FEAT-X-1' WHERE tenant_id = $1 AND code = 'FEAT-V-3'`, [
        tenants.b,
      ]);
      await db.admin.query(`UPDATE assets SET name = 'Renamed' WHERE tenant_id = $1 AND code LIKE 'FEAT-%'`, [
        tenants.b,
      ]);
      await db.admin.query(`UPDATE assets SET diameter_mm = 900 WHERE tenant_id = $1 AND code = 'FEAT-P-7'`, [
        tenants.b,
      ]);
      await expectCurrent();

      // End assets moved across their pipes: the pipes' direction is judged again.
      await db.admin.query(
        `UPDATE assets SET geom = ST_Translate(geom, 0.05, 0.05) WHERE tenant_id = $1 AND code LIKE 'FEAT-V-4%'`,
        [tenants.b],
      );
      await db.admin.query(
        `UPDATE assets SET geom = ST_Translate(geom, -0.05, 0) WHERE tenant_id = $1 AND code LIKE 'FEAT-V-20_'`,
        [tenants.b],
      );
      await expectCurrent();

      // Archived and deleted: off the map; an end asset deleted leaves its pipes undirected (ON DELETE SET NULL).
      await db.admin.query(
        `UPDATE assets SET archived_at = now() WHERE tenant_id = $1 AND code LIKE 'FEAT-P-1%'`,
        [tenants.b],
      );
      await db.admin.query(`DELETE FROM assets WHERE tenant_id = $1 AND code LIKE 'FEAT-V-5%'`, [tenants.b]);
      await expectCurrent();
      const { rows: left } = await db.admin.query<{ archived: number; zoned: number }>(
        `SELECT count(*) FILTER (WHERE a.code LIKE 'FEAT-P-1%')::int AS archived,
                count(*) FILTER (WHERE m.zone_id = $1)::int AS zoned
           FROM map_features m JOIN assets a ON a.id = m.asset_id WHERE a.code LIKE 'FEAT-%'`,
        [zones[0]?.id],
      );
      expect(left[0]).toEqual({ archived: 0, zoned: 111 });
    });
    await expectCurrent();
  });

  it('write an import in map order, so neighbours on the map share pages', async () => {
    await rolledBack(db.admin, async () => {
      await insertValves('ORDER-', 20000, [78.3, 17.3], 0.4);
      // The imported rows in one small corner of the area (about 1/400 of them): a handful of pages here, one page
      // nearly each in assets, where they lie in the order they came.
      const pages = async (table: string, id: string) =>
        (
          await db.admin.query<{ n: number; rows: number }>(
            `SELECT count(DISTINCT (ctid::text::point)[0])::int AS n, count(*)::int AS rows
               FROM ${table} WHERE ${id} IN (SELECT id FROM assets WHERE code LIKE 'ORDER-%')
                AND geom && ST_MakeEnvelope(78.3, 17.3, 78.32, 17.32, 4326)`,
          )
        ).rows[0];
      const inMapOrder = await pages('map_features', 'asset_id');
      const asWritten = await pages('assets', 'id');
      expect(inMapOrder?.rows).toBe(asWritten?.rows);
      expect(asWritten?.n).toBeGreaterThan(20);
      expect(inMapOrder?.n ?? 0).toBeLessThan((asWritten?.n ?? 0) / 4);
    });
  });

  it('show a tenant only its own features', async () => {
    const own = await asTenant(db.app, { tenantId: tenants.a }, () =>
      db.app.query<{ n: number; others: number }>(
        `SELECT count(*)::int AS n, count(*) FILTER (WHERE tenant_id <> $1)::int AS others FROM map_features`,
        [tenants.a],
      ),
    );
    expect(own.rows[0]?.n).toBeGreaterThan(0);
    expect(own.rows[0]?.others).toBe(0);
  });
});
