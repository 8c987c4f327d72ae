import type { MapExtent, MapVersion } from '@tidewatch/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../src/server.ts';
import { adminQuery, Api, startTestServer, tenantA, tenantB, tenantId } from './harness.ts';
import { descendantAt, tileBounds, tileOf } from '../src/testing/slippy-tiles.ts';
import { decodeVectorTile, type DecodedTile } from '../src/testing/vector-tile-decode.ts';

interface TileResponse {
  readonly status: number;
  readonly headers: Headers;
  readonly tile: DecodedTile;
}

/** The points of each cluster cell of a tile (1/16 of it a side: the tiles of zoom z + 4), counted here. */
function cellsOf<P extends { lng: number; lat: number }>(
  points: readonly P[],
  at: { z: number; x: number; y: number },
): Map<string, P[]> {
  const cells = new Map<string, P[]>();
  for (const point of points) {
    const cell = tileOf(point.lng, point.lat, at.z + 4);
    if (cell.x >> 4 !== at.x || cell.y >> 4 !== at.y) continue;
    const key = `${String(cell.x)}/${String(cell.y)}`;
    cells.set(key, [...(cells.get(key) ?? []), point]);
  }
  return cells;
}

const ids = (tile: DecodedTile, layer: string): string[] =>
  (tile[layer] ?? []).map((feature) => String(feature.properties.id));

describe('network vector tiles', () => {
  let server: RunningServer;
  let api: Api;

  async function fetchTile(
    token: string,
    at: { z: number; x: number; y: number },
    headers: Record<string, string> = {},
  ): Promise<TileResponse> {
    const response = await fetch(
      `${server.url}/api/v1/map/tiles/${String(at.z)}/${String(at.x)}/${String(at.y)}.mvt`,
      { headers: { authorization: `Bearer ${token}`, ...headers } },
    );
    const bytes = new Uint8Array(await response.arrayBuffer());
    return { status: response.status, headers: response.headers, tile: decodeVectorTile(bytes) };
  }

  const mapVersion = async (token: string): Promise<MapVersion> =>
    (await api.request<MapVersion>('GET', '/api/v1/map/version', { token })).body;

  interface AssetRow {
    id: string;
    code: string;
    kind: string;
    zone_id: string | null;
    lng: number;
    lat: number;
  }
  const assetsOf = (tenant: string) =>
    adminQuery<AssetRow>(
      `SELECT id, code, kind::text, zone_id, ST_X(ST_PointOnSurface(geom)) AS lng, ST_Y(ST_PointOnSurface(geom)) AS lat
         FROM assets WHERE tenant_id = $1 AND archived_at IS NULL ORDER BY code`,
      [tenant],
    );

  beforeAll(async () => {
    server = await startTestServer();
    api = new Api(server.url);
  });
  afterAll(async () => {
    await server.close();
  });

  it("holds the tenant's points, pipes and zones up close, as gzipped MVT", async () => {
    const token = await api.tokenFor(tenantB.email('operator'));
    const assets = await assetsOf(await tenantId(tenantB.slug));
    const point = assets.find((asset) => asset.kind !== 'pipeline');
    if (!point) throw new Error('the seed has point assets');

    const response = await fetchTile(token, tileOf(point.lng, point.lat, 15), { 'accept-encoding': 'gzip' });

    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/vnd.mapbox-vector-tile');
    expect(response.headers.get('content-encoding')).toBe('gzip');
    expect(response.headers.get('cache-control')).toBe('private, no-cache');
    const feature = response.tile.points?.find((f) => f.properties.id === point.id);
    expect(feature?.properties).toMatchObject({ code: point.code, kind: point.kind });
    // Up close the console colours assets from its alert feed: the tile holds the network alone.
    expect(feature?.properties.alarm).toBeUndefined();
    expect(feature?.type).toBe('point');
    expect(response.tile.clusters).toBeUndefined();
    expect(response.tile.zones?.length ?? 0).toBeGreaterThan(0);
    for (const pipe of response.tile.pipes ?? []) {
      expect(pipe.type).toBe('line');
      expect([0, 1, 2]).toContain(pipe.properties.tier);
      expect(typeof pipe.properties.directed).toBe('boolean');
    }
  });

  it('clusters points zoomed out, with counts and the worst alarm, and keeps alarmed assets single', async () => {
    const token = await api.tokenFor(tenantB.email('operator'));
    const tenant = await tenantId(tenantB.slug);
    const assets = await assetsOf(tenant);
    const points = assets.filter((asset) => asset.kind !== 'pipeline');
    const [alarmed] = await adminQuery<{ asset_id: string; priority: string }>(
      `SELECT al.asset_id, al.priority::text FROM alerts al JOIN assets a ON a.id = al.asset_id
        WHERE al.tenant_id = $1 AND al.closed_at IS NULL AND a.kind <> 'pipeline'
          AND al.state IN ('active_unacknowledged', 'active_acknowledged', 'returned_unacknowledged') LIMIT 1`,
      [tenant],
    );
    const first = points[0];
    if (!first) throw new Error('the seed has point assets');
    // A zoom where one tile covers the whole town.
    const at = tileOf(first.lng, first.lat, 8);
    expect(
      points.every((p) => tileOf(p.lng, p.lat, 8).x === at.x && tileOf(p.lng, p.lat, 8).y === at.y),
    ).toBe(true);

    const { status, tile } = await fetchTile(token, at);

    expect(status).toBe(200);
    const clusters = tile.clusters ?? [];
    expect(clusters.length).toBeGreaterThan(0);
    expect(clusters.every((c) => Number(c.properties.count) > 1)).toBe(true);
    const clustered = clusters.reduce((n, c) => n + Number(c.properties.count), 0);
    const single = (tile.points ?? []).filter((p) => Number(p.properties.alarm) === 0).length;
    expect(clustered + single).toBe(points.length);
    if (alarmed) {
      expect(ids(tile, 'points')).toContain(alarmed.asset_id);
      expect(Math.max(...clusters.map((c) => Number(c.properties.alarm)), 0)).toBeGreaterThan(0);
    }
  });

  it('clusters exactly the points of each cell at every clustered zoom, for a zone-limited operator too, as edits move them', async () => {
    const tenant = await tenantId(tenantA.slug);
    const adminToken = await api.tokenFor(tenantA.email('admin'));
    const email = tenantA.email('zone-operator');
    const zones = (
      await adminQuery<{ zone_id: string }>(
        'SELECT uz.zone_id FROM user_zones uz JOIN users u ON u.id = uz.user_id WHERE u.email = $1',
        [email],
      )
    ).map((row) => row.zone_id);
    const viewers = [
      { token: await api.tokenFor(tenantA.email('operator')), sees: (_: AssetRow) => true },
      {
        token: await api.tokenFor(email),
        sees: (a: AssetRow) => a.zone_id !== null && zones.includes(a.zone_id),
      },
    ];
    const alarmedIds = async () =>
      new Set(
        (
          await adminQuery<{ asset_id: string }>(
            `SELECT DISTINCT asset_id FROM alerts WHERE tenant_id = $1 AND closed_at IS NULL AND asset_id IS NOT NULL
                AND state IN ('active_unacknowledged', 'active_acknowledged', 'returned_unacknowledged')`,
            [tenant],
          )
        ).map((row) => row.asset_id),
      );

    const seen = { clusters: 0, lone: 0 };
    /** What a clustered tile should hold, counted here from the points themselves: cells of 1/16 of a tile. */
    async function expectClustersOf(at: { z: number; x: number; y: number }): Promise<void> {
      const points = (await assetsOf(tenant)).filter((a) => a.kind !== 'pipeline');
      const alarmed = await alarmedIds();
      for (const viewer of viewers) {
        const cells = cellsOf(points.filter(viewer.sees), at);
        const { tile } = await fetchTile(viewer.token, at);
        const counts = (tile.clusters ?? []).map((c) => Number(c.properties.count)).sort((a, b) => a - b);
        const expectedCounts = [...cells.values()]
          .filter((members) => members.length > 1)
          .map((members) => members.length)
          .sort((a, b) => a - b);
        expect(counts).toEqual(expectedCounts);
        // Lone points, and points in alarm (those reaching past the tile's edge too), drawn on their own.
        const lone = [...cells.values()].filter((m) => m.length === 1).map((m) => m[0]?.id ?? '');
        const singles = ids(tile, 'points').filter((id) => !alarmed.has(id));
        expect(singles.sort()).toEqual(lone.filter((id) => !alarmed.has(id)).sort());
        seen.clusters += counts.length;
        seen.lone += lone.length;
      }
    }

    const points = (await assetsOf(tenant)).filter((a) => a.kind !== 'pipeline');
    const first = points[0];
    if (!first) throw new Error('the seed has point assets');
    for (const z of [6, 9, 10, 11]) await expectClustersOf(tileOf(first.lng, first.lat, z));
    expect(seen.clusters).toBeGreaterThan(0);
    expect(seen.lone).toBeGreaterThan(0);

    // An edit moves a point out of its cluster, and the next tile counts it in its new cell.
    const moved = await api.request('PATCH', `/api/v1/assets/${first.id}`, {
      token: adminToken,
      body: { geometry: { type: 'Point', coordinates: [first.lng + 0.004, first.lat - 0.003] } },
    });
    expect(moved.status).toBe(200);
    for (const z of [9, 10, 11]) await expectClustersOf(tileOf(first.lng, first.lat, z));
    await api.request('PATCH', `/api/v1/assets/${first.id}`, {
      token: adminToken,
      body: { geometry: { type: 'Point', coordinates: [first.lng, first.lat] } },
    });
  });

  it("never holds another tenant's features", async () => {
    const tokenB = await api.tokenFor(tenantB.email('operator'));
    const assetsA = await assetsOf(await tenantId(tenantA.slug));
    const idsA = new Set(assetsA.map((asset) => asset.id));
    const tiles = new Set(assetsA.map((a) => JSON.stringify(tileOf(a.lng, a.lat, 14))));

    const tokenA = await api.tokenFor(tenantA.email('operator'));
    let seenByA = 0;
    for (const key of [...tiles].slice(0, 10)) {
      const at = JSON.parse(key) as { z: number; x: number; y: number };
      const { status, tile } = await fetchTile(tokenB, at);
      expect([200, 204]).toContain(status);
      for (const layer of ['points', 'pipes'])
        expect(ids(tile, layer).filter((id) => idsA.has(id))).toEqual([]);
      seenByA += ids((await fetchTile(tokenA, at)).tile, 'points').filter((id) => idsA.has(id)).length;
    }
    // The same tiles hold A's assets for A.
    expect(seenByA).toBeGreaterThan(0);
  });

  it("holds nothing outside a zone-limited operator's zones", async () => {
    const email = tenantA.email('zone-operator');
    const zoneToken = await api.tokenFor(email);
    const fullToken = await api.tokenFor(tenantA.email('operator'));
    const zones = (
      await adminQuery<{ zone_id: string }>(
        'SELECT uz.zone_id FROM user_zones uz JOIN users u ON u.id = uz.user_id WHERE u.email = $1',
        [email],
      )
    ).map((row) => row.zone_id);
    expect(zones.length).toBeGreaterThan(0);
    const assets = await assetsOf(await tenantId(tenantA.slug));
    const allowed = new Set(
      assets.filter((a) => a.zone_id !== null && zones.includes(a.zone_id)).map((a) => a.id),
    );
    const outside = assets.filter((a) => !allowed.has(a.id));
    expect(outside.length).toBeGreaterThan(0);

    const views = new Set([
      ...outside.map((a) => JSON.stringify(tileOf(a.lng, a.lat, 15))),
      ...assets.map((a) => JSON.stringify(tileOf(a.lng, a.lat, 9))),
    ]);
    let seenOutside = 0;
    for (const key of views) {
      const at = JSON.parse(key) as { z: number; x: number; y: number };
      const limited = await fetchTile(zoneToken, at);
      const full = await fetchTile(fullToken, at);
      for (const layer of ['points', 'pipes']) {
        expect(ids(limited.tile, layer).filter((id) => !allowed.has(id))).toEqual([]);
        seenOutside += ids(full.tile, layer).filter((id) => !allowed.has(id)).length;
      }
      expect(ids(limited.tile, 'zones').filter((id) => !zones.includes(id))).toEqual([]);
    }
    // The same tiles do hold those features for an operator of the whole tenant.
    expect(seenOutside).toBeGreaterThan(0);
  });

  it("gives each caller the extent of the assets they see, and follows an edit that moves the network's edge", async () => {
    const extentFor = async (token: string) =>
      (await api.request<MapExtent>('GET', '/api/v1/map/extent', { token })).body.bbox;
    const computed = async (tenant: string, zones: readonly string[] | null) => {
      const [row] = await adminQuery<{ w: number; s: number; e: number; n: number }>(
        `SELECT ST_XMin(x) AS w, ST_YMin(x) AS s, ST_XMax(x) AS e, ST_YMax(x) AS n
           FROM (SELECT ST_Extent(geom) AS x FROM assets
                  WHERE tenant_id = $1 AND archived_at IS NULL AND ($2::uuid[] IS NULL OR zone_id = ANY($2::uuid[]))) b`,
        [tenant, zones],
      );
      return row ? [row.w, row.s, row.e, row.n] : null;
    };
    const tenant = await tenantId(tenantA.slug);
    const email = tenantA.email('zone-operator');
    const zones = (
      await adminQuery<{ zone_id: string }>(
        'SELECT uz.zone_id FROM user_zones uz JOIN users u ON u.id = uz.user_id WHERE u.email = $1',
        [email],
      )
    ).map((row) => row.zone_id);
    const admin = await api.tokenFor(tenantA.email('admin'));
    const zoneOperator = await api.tokenFor(email);

    const whole = await extentFor(admin);
    expect(whole).toEqual(await computed(tenant, null));
    const limited = await extentFor(zoneOperator);
    expect(limited).toEqual(await computed(tenant, zones));
    expect(limited).not.toEqual(whole);
    // Another tenant's network lies elsewhere: never part of this one's extent.
    expect(await extentFor(await api.tokenFor(tenantB.email('admin')))).toEqual(
      await computed(await tenantId(tenantB.slug), null),
    );

    // A valve placed east of everything widens the extent; moved back inside, the extent shrinks again.
    const [west = 0, south = 0, east = 0, north = 0] = whole ?? [];
    const created = await api.request<{ id: string }>('POST', '/api/v1/assets', {
      token: admin,
      body: {
        type: 'Feature',
        geometry: { type: 'Point', coordinates: [east + 0.2, (south + north) / 2] },
        properties: { code: 'EXTENT-EDGE-1', name: 'Placed for the extent test', kind: 'valve' },
      },
    });
    expect(created.status).toBe(201);
    expect(await extentFor(admin)).toEqual([west, south, east + 0.2, north]);
    const moved = await api.request('PATCH', `/api/v1/assets/${created.body.id}`, {
      token: admin,
      body: { geometry: { type: 'Point', coordinates: [(west + east) / 2, (south + north) / 2] } },
    });
    expect(moved.status).toBe(200);
    expect(await extentFor(admin)).toEqual(whole);
    expect(await extentFor(zoneOperator)).toEqual(limited);
  });

  it('answers 304 to the current ETag, and a new tile after an edit or an import', async () => {
    const token = await api.tokenFor(tenantB.email('admin'));
    const assets = await assetsOf(await tenantId(tenantB.slug));
    const point = assets.find((asset) => asset.kind !== 'pipeline');
    if (!point) throw new Error('the seed has point assets');
    const at = tileOf(point.lng, point.lat, 16);

    const first = await fetchTile(token, at);
    const etag = first.headers.get('etag') ?? '';
    expect(etag).not.toBe('');
    const again = await fetchTile(token, at, { 'if-none-match': etag });
    expect(again.status).toBe(304);

    const before = await mapVersion(token);
    const moved = await api.request('PATCH', `/api/v1/assets/${point.id}`, {
      token,
      body: {
        name: 'Moved for the tile test',
        geometry: { type: 'Point', coordinates: [point.lng + 1e-5, point.lat] },
      },
    });
    expect(moved.status).toBe(200);
    const afterEdit = await mapVersion(token);
    expect(afterEdit.network).toBeGreaterThan(before.network);

    const edited = await fetchTile(token, at, { 'if-none-match': etag });
    expect(edited.status).toBe(200);
    const [x, y] = edited.tile.points?.find((f) => f.properties.id === point.id)?.first ?? [];
    const [x0] = first.tile.points?.find((f) => f.properties.id === point.id)?.first ?? [];
    expect(x).toBeGreaterThan(x0 ?? Infinity);
    expect(y).toBeDefined();

    const imported = await api.request<{ created: number }>('POST', '/api/v1/assets/import', {
      token,
      body: {
        type: 'FeatureCollection',
        features: [
          {
            type: 'Feature',
            geometry: { type: 'Point', coordinates: [point.lng + 2e-5, point.lat] },
            properties: { code: 'TILE-IMPORT-1', name: 'Imported for the tile test', kind: 'valve' },
          },
        ],
      },
    });
    expect(imported.status).toBe(200);
    expect((await mapVersion(token)).network).toBeGreaterThan(afterEdit.network);
    const afterImport = await fetchTile(token, at, { 'if-none-match': edited.headers.get('etag') ?? '' });
    expect(afterImport.status).toBe(200);
    expect(afterImport.tile.points?.map((f) => f.properties.code)).toContain('TILE-IMPORT-1');
  });

  it('draws each pipe in its direction of flow, and follows the edits of what a tile draws', async () => {
    const token = await api.tokenFor(tenantB.email('admin'));
    // Two valves far from the seeded town, and a main digitised from the second to the first while it flows
    // from the first to the second: it is drawn reversed, starting at the first valve.
    const [lng, lat] = [78.9, 17.9];
    const create = async (properties: Record<string, unknown>, geometry: Record<string, unknown>) => {
      const response = await api.request<{ id: string }>('POST', '/api/v1/assets', {
        token,
        body: { type: 'Feature', geometry, properties },
      });
      expect(response.status, JSON.stringify(response.body)).toBe(201);
      return response.body.id;
    };
    const upstream = await create(
      { code: 'FLOW-UP', name: 'Upstream valve', kind: 'valve' },
      { type: 'Point', coordinates: [lng, lat] },
    );
    const downstream = await create(
      { code: 'FLOW-DOWN', name: 'Downstream valve', kind: 'valve' },
      { type: 'Point', coordinates: [lng + 0.001, lat] },
    );
    const main = await create(
      {
        code: 'FLOW-MAIN',
        name: 'Main against its digitising',
        kind: 'pipeline',
        diameterMm: 300,
        fromAssetId: upstream,
        toAssetId: downstream,
      },
      {
        type: 'LineString',
        coordinates: [
          [lng + 0.001, lat],
          [lng, lat],
        ],
      },
    );
    const at = tileOf(lng + 0.0005, lat, 15);
    const drawn = async () => {
      const { tile } = await fetchTile(token, at);
      const pipe = tile.pipes?.find((f) => f.properties.id === main);
      const start = tile.points?.find((f) => f.properties.id === upstream)?.first ?? [];
      const end = tile.points?.find((f) => f.properties.id === downstream)?.first ?? [];
      return { pipe, start, end, tile };
    };

    const first = await drawn();
    expect(first.pipe?.properties).toMatchObject({
      code: 'FLOW-MAIN',
      directed: true,
      tier: 1,
      inMaintenance: false,
    });
    expect(first.pipe?.first).toEqual(first.start);

    // The upstream valve moved past the other end: the main now runs as digitised, from its first vertex.
    const moved = await api.request('PATCH', `/api/v1/assets/${upstream}`, {
      token,
      body: { geometry: { type: 'Point', coordinates: [lng + 0.0012, lat] } },
    });
    expect(moved.status).toBe(200);
    const after = await drawn();
    expect(after.end).not.toEqual([]);
    expect(after.pipe?.first).toEqual(after.end);

    const inMaintenance = await api.request('PUT', `/api/v1/assets/${main}/maintenance`, {
      token,
      body: { inMaintenance: true, reason: 'Relining' },
    });
    expect(inMaintenance.status).toBe(200);
    const resized = await api.request('PATCH', `/api/v1/assets/${main}`, {
      token,
      body: { diameterMm: 500 },
    });
    expect(resized.status).toBe(200);
    expect((await drawn()).pipe?.properties).toMatchObject({ inMaintenance: true, tier: 2, diameterMm: 500 });

    for (const id of [main, upstream, downstream]) {
      expect((await api.request('DELETE', `/api/v1/assets/${id}`, { token })).status).toBe(204);
    }
    const gone = await drawn();
    expect(gone.pipe).toBeUndefined();
    expect(gone.start).toEqual([]);
  });

  it('clusters a tile of zoom 12 to 14 only where it holds more points than are drawn one by one', async () => {
    // A tenant of its own, so the other tests never see its crowd: two zones side by side, an operator of the
    // whole tenant and one limited to the western zone.
    const [tenant] = await adminQuery<{ id: string }>(
      `INSERT INTO tenants (slug, name) VALUES ('dense-map', 'Dense map') RETURNING id`,
    );
    if (!tenant) throw new Error('no tenant');
    const [demoUser] = await adminQuery<{ password_hash: string }>(
      'SELECT password_hash FROM users WHERE email = $1',
      [tenantA.email('operator')],
    );
    // A zoom-12 tile in central Europe, and its north-western zoom-15 tile crowded (so are the zoom-13 and zoom-14
    // tiles over it): the western and eastern halves of that tile are the two zones.
    const tile12 = tileOf(10.03, 50.03, 12);
    const [tile13, tile14, tile15] = [13, 14, 15].map((z) => descendantAt(tile12, z));
    if (!tile13 || !tile14 || !tile15) throw new Error('no tiles');
    const { west, east, north, south } = tileBounds(tile15);
    const middle = (west + east) / 2;
    const zones = await adminQuery<{ id: string }>(
      `INSERT INTO zones (tenant_id, code, name, geom)
       SELECT $1, 'Z' || i, 'Zone ' || i, ST_Multi(ST_MakeEnvelope(w, $4, e, $5, 4326))
         FROM (VALUES (1, $2::float8, $6::float8), (2, $6::float8, $3::float8)) AS v (i, w, e)
       ORDER BY i RETURNING id`,
      [tenant.id, west, east, south, north, middle],
    );
    const [westZone, eastZone] = zones.map((zone) => zone.id);
    await adminQuery(
      `INSERT INTO users (tenant_id, email, display_name, role, password_hash)
       VALUES ($1, 'operator@dense-map.example', 'Operator', 'operator', $2),
              ($1, 'zone-operator@dense-map.example', 'Zone operator', 'operator', $2)`,
      [tenant.id, demoUser?.password_hash],
    );
    await adminQuery(
      `INSERT INTO user_zones (tenant_id, user_id, zone_id)
       SELECT $1, id, $2 FROM users WHERE email = 'zone-operator@dense-map.example'`,
      [tenant.id, westZone],
    );
    // 3,000 points in the western half and 2,000 in the eastern (5,000 in the tile, past the 4,096 drawn one by
    // one), kept off the tile's edges; a trunk main and a service pipe across the middle.
    const inset = (east - west) * 0.02;
    await adminQuery(
      `INSERT INTO assets (tenant_id, zone_id, code, name, kind, geom)
       SELECT $1, CASE WHEN g <= 3000 THEN $2::uuid ELSE $3::uuid END, 'DENSE-' || g, 'Dense ' || g, 'valve',
              ST_SetSRID(ST_MakePoint(
                CASE WHEN g <= 3000 THEN $4::float8 + random() * ($5::float8 - $4::float8)
                     ELSE $5::float8 + random() * ($6::float8 - $5::float8) END,
                $7::float8 + random() * ($8::float8 - $7::float8)), 4326)
         FROM generate_series(1, 5000) AS g`,
      [
        tenant.id,
        westZone,
        eastZone,
        west + inset,
        middle - inset,
        east - inset,
        south + inset,
        north - inset,
      ],
    );
    const midLat = (north + south) / 2;
    const pipes = await adminQuery<{ id: string; code: string }>(
      `INSERT INTO assets (tenant_id, zone_id, code, name, kind, diameter_mm, geom)
       VALUES ($1, $2, 'DENSE-MAIN', 'Trunk main', 'pipeline', 600,
               ST_SetSRID(ST_MakeLine(ST_MakePoint($3::float8, $5::float8), ST_MakePoint($4::float8, $5::float8 + 0.001)), 4326)),
              ($1, $2, 'DENSE-SERVICE', 'Service pipe', 'pipeline', 100,
               ST_SetSRID(ST_MakeLine(ST_MakePoint($3::float8, $5::float8 - 0.002), ST_MakePoint($4::float8, $5::float8 - 0.001)), 4326))
       RETURNING id, code`,
      [tenant.id, westZone, west + inset * 2, middle - inset * 2, midLat],
    );
    const main = pipes.find((pipe) => pipe.code === 'DENSE-MAIN')?.id;
    const service = pipes.find((pipe) => pipe.code === 'DENSE-SERVICE')?.id;
    try {
      const full = await api.tokenFor('operator@dense-map.example');
      const limited = await api.tokenFor('zone-operator@dense-map.example');
      const points = (await assetsOf(tenant.id)).filter((a) => a.kind !== 'pipeline');

      // The whole tenant at zoom 12 to 14: clusters of the cells of zoom z + 4, counted here from the points.
      for (const at of [tile12, tile13, tile14]) {
        const cells = [...cellsOf(points, at).values()].map((members) => members.length);
        const { status, tile } = await fetchTile(full, at);
        expect(status).toBe(200);
        const counts = (tile.clusters ?? []).map((c) => Number(c.properties.count)).sort((a, b) => a - b);
        expect(counts).toEqual(cells.filter((n) => n > 1).sort((a, b) => a - b));
        expect(ids(tile, 'points').length).toBe(cells.filter((n) => n === 1).length);
        // The mains of the zoomed-out map, not every pipe.
        expect(ids(tile, 'pipes')).toContain(main);
        expect(ids(tile, 'pipes')).not.toContain(service);
      }

      // The zone-limited operator sees 3,000 of them in the same zoom-12 tile: drawn one by one, every pipe.
      const sparse = await fetchTile(limited, tile12);
      expect(sparse.status).toBe(200);
      expect(sparse.tile.clusters).toBeUndefined();
      const westPoints = points.filter((p) => p.zone_id === westZone).map((p) => p.id);
      expect(ids(sparse.tile, 'points').sort()).toEqual(westPoints.sort());
      expect(ids(sparse.tile, 'pipes').sort()).toEqual([main, service].sort());

      // From zoom 15 every tile is drawn one by one, however full.
      const close = await fetchTile(full, tile15);
      expect(close.tile.clusters).toBeUndefined();
      expect(ids(close.tile, 'points').sort()).toEqual(points.map((p) => p.id).sort());

      // Archiving the eastern half leaves 3,000: the whole tenant's tile is drawn one by one again.
      await adminQuery(`UPDATE assets SET archived_at = now() WHERE zone_id = $1`, [eastZone]);
      const thinned = await fetchTile(full, tile12);
      expect(thinned.tile.clusters).toBeUndefined();
      expect(ids(thinned.tile, 'points').sort()).toEqual(westPoints.sort());
    } finally {
      await adminQuery('DELETE FROM assets WHERE tenant_id = $1', [tenant.id]);
    }
  });

  it('cuts the clustered tiles again after an alert transition, and keeps the close-up tiles, which hold none', async () => {
    const token = await api.tokenFor(tenantB.email('operator'));
    const tenant = await tenantId(tenantB.slug);
    const [alert] = await adminQuery<{ id: string; state: string; lng: number; lat: number }>(
      `SELECT al.id, al.state::text, ST_X(a.geom) AS lng, ST_Y(a.geom) AS lat
         FROM alerts al JOIN assets a ON a.id = al.asset_id
        WHERE al.tenant_id = $1 AND al.closed_at IS NULL AND a.kind <> 'pipeline' LIMIT 1`,
      [tenant],
    );
    if (!alert) throw new Error('the seed has open alerts');
    const close = tileOf(alert.lng, alert.lat, 16);
    const clustered = tileOf(alert.lng, alert.lat, 10);
    const firstClose = await fetchTile(token, close);
    const firstClustered = await fetchTile(token, clustered);
    const before = await mapVersion(token);

    // A comment on the alert: a transition to the same state, as the alert engine records it.
    await adminQuery(
      `INSERT INTO alert_transitions (tenant_id, alert_id, from_state, to_state, comment)
       VALUES ($1, $2, $3::alert_state, $3::alert_state, 'tile test')`,
      [tenant, alert.id, alert.state],
    );

    const after = await mapVersion(token);
    expect(after.alarms).toBeGreaterThan(before.alarms);
    expect(after.network).toBe(before.network);
    const againClustered = await fetchTile(token, clustered, {
      'if-none-match': firstClustered.headers.get('etag') ?? '',
    });
    expect(againClustered.status).toBe(200);
    expect(againClustered.headers.get('etag')).not.toBe(firstClustered.headers.get('etag'));
    const againClose = await fetchTile(token, close, {
      'if-none-match': firstClose.headers.get('etag') ?? '',
    });
    expect(againClose.status).toBe(304);
  });

  it('answers 204 where nothing is, and refuses tiles off the grid', async () => {
    const token = await api.tokenFor(tenantB.email('operator'));
    // The middle of the South Pacific.
    expect((await fetchTile(token, tileOf(-140, -40, 12))).status).toBe(204);
    const off = await api.request('GET', '/api/v1/map/tiles/3/8/0.mvt', { token });
    expect(off.status).toBe(400);
  });
});
