import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { asTenant, connect, demoTenantIds, disconnect, type Connections, type TenantIds } from './helpers.ts';

// Everything within 500 m of a point, the query behind "what is near this burst".
const RADIUS_QUERY = `
  SELECT id, code FROM assets
   WHERE ST_DWithin(geom::geography, ST_SetSRID(ST_MakePoint($1, $2), 4326)::geography, $3)`;

describe('spatial queries', () => {
  let db: Connections;
  let tenants: TenantIds;
  let center: { lng: number; lat: number };

  beforeAll(async () => {
    db = await connect();
    tenants = await demoTenantIds(db.admin);
    const { rows } = await db.admin.query<{ lng: number; lat: number }>(
      `SELECT ST_X(geom) AS lng, ST_Y(geom) AS lat FROM assets WHERE tenant_id = $1 AND kind = 'plant'`,
      [tenants.a],
    );
    center = rows[0] ?? { lng: 0, lat: 0 };
  });
  afterAll(async () => {
    await disconnect(db);
  });

  it('a radius query over assets uses the GiST index', async () => {
    const plan = await asTenant(db.app, { tenantId: tenants.a, role: 'operator' }, async () => {
      const { rows } = await db.app.query<{ 'QUERY PLAN': string }>(`EXPLAIN ${RADIUS_QUERY}`, [
        center.lng,
        center.lat,
        500,
      ]);
      return rows.map((row) => row['QUERY PLAN']).join('\n');
    });

    expect(plan).toMatch(/Index Scan (using|on) assets_tenant_geog_idx/);
  });

  it('a radius query returns the assets within the distance, measured in metres', async () => {
    const found = await asTenant(db.app, { tenantId: tenants.a, role: 'operator' }, async () => {
      const { rows } = await db.app.query<{ id: string }>(RADIUS_QUERY, [center.lng, center.lat, 500]);
      return rows.map((row) => row.id).sort();
    });
    const { rows: expected } = await db.admin.query<{ id: string }>(
      `SELECT id FROM assets
        WHERE tenant_id = $1 AND ST_Distance(geom::geography, ST_SetSRID(ST_MakePoint($2, $3), 4326)::geography) <= 500`,
      [tenants.a, center.lng, center.lat],
    );

    expect(found.length).toBeGreaterThan(0);
    expect(found).toEqual(expected.map((row) => row.id).sort());
  });

  it('a bounding-box query uses the planar GiST index', async () => {
    const plan = await asTenant(db.app, { tenantId: tenants.a, role: 'operator' }, async () => {
      const { rows } = await db.app.query<{ 'QUERY PLAN': string }>(
        `EXPLAIN SELECT id FROM assets WHERE geom && ST_MakeEnvelope($1, $2, $3, $4, 4326)`,
        [center.lng - 0.005, center.lat - 0.005, center.lng + 0.005, center.lat + 0.005],
      );
      return rows.map((row) => row['QUERY PLAN']).join('\n');
    });

    expect(plan).toMatch(/Index Scan (using|on) assets_tenant_geom_idx/);
  });
});
