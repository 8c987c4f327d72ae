import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  connect,
  demoTenantIds,
  disconnect,
  rolledBack,
  type Connections,
  type TenantIds,
} from './helpers.ts';

const BUDGET = 2000;

/** Slots as kept, against a fresh count of the drawn pipes: one line per tenant, zoom and tile that differ. */
const SLOT_DRIFT = `
  WITH counted AS (
    SELECT m.tenant_id, z.zoom, m.tx >> (11 - z.zoom) AS tx, m.ty >> (11 - z.zoom) AS ty, count(*)::int AS taken
      FROM map_pipe_zooms m JOIN generate_series(0, 11) AS z (zoom) ON z.zoom >= m.min_zoom
     GROUP BY 1, 2, 3, 4
  )
  SELECT concat_ws('/', coalesce(c.tenant_id, s.tenant_id), coalesce(c.zoom, s.zoom), coalesce(c.tx, s.tx),
                   coalesce(c.ty, s.ty), c.taken, s.taken) AS drift
    FROM counted c FULL JOIN map_pipe_slots s
      ON s.tenant_id = c.tenant_id AND s.zoom = c.zoom AND s.tx = c.tx AND s.ty = c.ty
   WHERE c.taken IS DISTINCT FROM s.taken`;

/** Drawn pipes that are no longer what they were drawn as: gone, archived, moved, too small or too early. */
const STALE = `
  SELECT m.asset_id FROM map_pipe_zooms m LEFT JOIN assets a ON a.id = m.asset_id
   WHERE a.id IS NULL OR a.kind <> 'pipeline' OR a.archived_at IS NOT NULL OR NOT ST_OrderingEquals(a.geom, m.geom)
      OR a.diameter_mm < 200 OR (a.diameter_mm < 450 AND m.min_zoom < 11)`;

// Which pipes a zoomed-out tile draws: at most BUDGET a tile, the larger first, kept as the network is edited.
describe('map pipe zooms', () => {
  let db: Connections;
  let tenants: TenantIds;

  beforeAll(async () => {
    db = await connect();
    tenants = await demoTenantIds(db.admin);
  });
  afterAll(async () => {
    await disconnect(db);
  });

  async function expectConsistent(): Promise<void> {
    expect((await db.admin.query(SLOT_DRIFT)).rows).toEqual([]);
    expect((await db.admin.query(STALE)).rows).toEqual([]);
    const { rows } = await db.admin.query<{ most: number | null }>(
      'SELECT max(taken) AS most FROM map_pipe_slots',
    );
    expect(rows[0]?.most ?? 0).toBeLessThanOrEqual(BUDGET);
  }

  /** `count` pipes of `diameter` mm in a 0.01° square at the tenant's town, codes `prefix`1.. */
  const insertPipes = (prefix: string, count: number, diameter: number, lengthDegrees = 0.0003) =>
    db.admin.query(
      `INSERT INTO assets (tenant_id, code, name, kind, geom, diameter_mm)
       SELECT $1, $2 || g, 'Pipe zoom test', 'pipeline',
              ST_SetSRID(ST_MakeLine(ST_MakePoint(78.45 + (g % 50) * 0.0002, 17.40 + (g / 50) * 0.0002),
                                     ST_MakePoint(78.45 + (g % 50) * 0.0002 + $5, 17.40 + (g / 50) * 0.0002)), 4326),
              $4
         FROM generate_series(1, $3::int) AS g`,
      [tenants.b, prefix, count, diameter, lengthDegrees],
    );

  const drawnCount = async (prefix: string, zoom: number): Promise<number> => {
    const { rows } = await db.admin.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM map_pipe_zooms m JOIN assets a ON a.id = m.asset_id
        WHERE a.code LIKE $1 || '%' AND m.min_zoom <= $2`,
      [prefix, zoom],
    );
    return rows[0]?.n ?? -1;
  };

  it('draw every large main of the seeded network from zoom 0, and distribution mains from zoom 11', async () => {
    await expectConsistent();
    const { rows } = await db.admin.query<{ tier: string; zoom: number | null; n: number }>(
      `SELECT CASE WHEN a.diameter_mm >= 450 THEN 'trunk' WHEN a.diameter_mm >= 200 THEN 'distribution' ELSE 'small' END AS tier,
              m.min_zoom AS zoom, count(*)::int AS n
         FROM assets a LEFT JOIN map_pipe_zooms m ON m.asset_id = a.id
        WHERE a.kind = 'pipeline' AND a.archived_at IS NULL GROUP BY 1, 2 ORDER BY 1, 2`,
    );
    // A town's network is far from any tile's budget: nothing waits for a closer zoom.
    expect(rows.map((row) => `${row.tier}:${String(row.zoom)}`).sort()).toEqual(
      [
        ...(rows.some((row) => row.tier === 'distribution') ? ['distribution:11'] : []),
        ...(rows.some((row) => row.tier === 'small') ? ['small:null'] : []),
        ...(rows.some((row) => row.tier === 'trunk') ? ['trunk:0'] : []),
      ].sort(),
    );
  });

  it('hold no tile past its budget, the larger and longer mains first, as pipes are added, edited and removed', async () => {
    await rolledBack(db.admin, async () => {
      // More trunk mains in one spot than a tile may hold: the longer ones are drawn from zoom 0.
      await insertPipes('ZOOM-LONG-', 1200, 600, 0.0004);
      await insertPipes('ZOOM-SHORT-', 1200, 600, 0.0001);
      await expectConsistent();
      expect(await drawnCount('ZOOM-LONG-', 0)).toBe(1200);
      const shortAtZero = await drawnCount('ZOOM-SHORT-', 0);
      expect(shortAtZero).toBeGreaterThan(0);
      expect(shortAtZero).toBeLessThan(1200);
      // The tiles over that spot are full, at every zoom.
      const { rows: full } = await db.admin.query<{ zoom: number }>(
        'SELECT zoom FROM map_pipe_slots WHERE tenant_id = $1 AND taken = $2 ORDER BY zoom',
        [tenants.b, BUDGET],
      );
      expect(full.map((row) => row.zoom)).toEqual(Array.from({ length: 12 }, (_, zoom) => zoom));

      // Full tiles take no more, one pipe at a time or many; smaller mains wait for zoom 12.
      await insertPipes('ZOOM-SMALL-', 500, 300);
      await insertPipes('ZOOM-ONE-', 1, 600, 0.0001);
      await expectConsistent();
      expect(await drawnCount('ZOOM-SMALL-', 11)).toBe(0);

      // Removing drawn pipes frees their slots for the next ones written.
      await db.admin.query(`DELETE FROM assets WHERE code LIKE 'ZOOM-LONG-1%' AND tenant_id = $1`, [
        tenants.b,
      ]);
      await db.admin.query(
        `UPDATE assets SET archived_at = now() WHERE code LIKE 'ZOOM-LONG-2%' AND tenant_id = $1`,
        [tenants.b],
      );
      await expectConsistent();
      await insertPipes('ZOOM-LATE-', 20, 450, 0.0004);
      expect(await drawnCount('ZOOM-LATE-', 0)).toBe(20);

      // Moved, resized or renamed pipes: moved and resized ones are placed again, renamed ones keep their zoom.
      await db.admin.query(
        `UPDATE assets SET geom = ST_Translate(geom, 0.3, 0) WHERE code LIKE 'ZOOM-LONG-3%' AND tenant_id = $1`,
        [tenants.b],
      );
      await db.admin.query(
        `UPDATE assets SET diameter_mm = 100 WHERE code LIKE 'ZOOM-LONG-4%' AND tenant_id = $1`,
        [tenants.b],
      );
      await db.admin.query(`UPDATE assets SET name = 'Renamed' WHERE code LIKE 'ZOOM-%' AND tenant_id = $1`, [
        tenants.b,
      ]);
      await expectConsistent();
      expect(await drawnCount('ZOOM-LONG-4', 11)).toBe(0);
    });
    await expectConsistent();
  });
});
