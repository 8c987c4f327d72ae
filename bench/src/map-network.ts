import { demoTenants } from '@tidewatch/db/testing';
import pg from 'pg';

/** The synthetic network covers a square this many degrees wide around the tenant's centre (about 33 km). */
export const SPAN_DEGREES = 0.3;
/** The tenant the synthetic network is added to. */
export const [hyderabad] = demoTenants;

/**
 * Point assets of every kind and short pipelines of two bends, scattered over the square; returns the tenant. Codes
 * have seven digits: `lpad` cuts a longer number, and with six the millionth asset was a duplicate.
 */
export async function insertNetwork(
  adminUrl: string,
  assetCount: number,
  segmentCount: number,
): Promise<string> {
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    const tenant = await admin.query<{ id: string }>('SELECT id FROM tenants WHERE slug = $1', [
      hyderabad.slug,
    ]);
    const tenantId = tenant.rows[0]?.id;
    if (!tenantId) throw new Error(`no tenant ${hyderabad.slug}`);
    const [lng, lat] = hyderabad.center;
    await admin.query(
      `INSERT INTO assets (tenant_id, code, name, kind, geom)
       SELECT $1, 'BENCH-A-' || lpad(g::text, 7, '0'), 'Bench asset ' || g,
              (enum_range(NULL::asset_kind))[1 + g % 10],
              ST_SetSRID(ST_MakePoint($2 + (random() - 0.5) * $4, $3 + (random() - 0.5) * $4), 4326)
         FROM generate_series(1, $5::int) AS g`,
      [tenantId, lng, lat, SPAN_DEGREES, assetCount],
    );
    await admin.query(
      `INSERT INTO assets (tenant_id, code, name, kind, geom, diameter_mm, material)
       SELECT $1, 'BENCH-P-' || lpad(g::text, 7, '0'), 'Bench main ' || g, 'pipeline',
              ST_SetSRID(ST_MakeLine(ARRAY[
                ST_MakePoint(x, y),
                ST_MakePoint(x + dx * 0.5 + dy * 0.2, y + dy * 0.5 - dx * 0.2),
                ST_MakePoint(x + dx, y + dy)]), 4326),
              (ARRAY[100, 150, 200, 300, 450, 600])[1 + g % 6],
              (enum_range(NULL::pipe_material))[1 + g % 8]
         FROM (SELECT g, $2 + (random() - 0.5) * $4 AS x, $3 + (random() - 0.5) * $4 AS y,
                      cos(a) * len AS dx, sin(a) * len AS dy
                 FROM (SELECT g, random() * 2 * pi() AS a, 0.0005 + random() * 0.003 AS len
                         FROM generate_series(1, $5::int) AS g) AS s) AS p`,
      [tenantId, lng, lat, SPAN_DEGREES, segmentCount],
    );
    await admin.query('ANALYZE assets');
    // The bulk load's pages are written out now, not by the kernel while the benchmark times the console.
    await admin.query('CHECKPOINT');
    return tenantId;
  } finally {
    await admin.end();
  }
}
