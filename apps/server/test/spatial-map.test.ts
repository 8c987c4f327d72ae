import type { AreaSearchResult, DownstreamTrace, MapLayers } from '@tidewatch/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../src/server.ts';
import { adminQuery, Api, startTestServer, tenantA, tenantB, tenantId } from './harness.ts';

interface Edge {
  id: string;
  from_asset_id: string;
  to_asset_id: string;
}

/** An independent breadth-first walk over the seeded edges, to check the server's recursive query against. */
function downstreamOf(start: string, edges: readonly Edge[]): Map<string, number> {
  const depth = new Map([[start, 0]]);
  let frontier = edges.filter((edge) => edge.id === start);
  for (let hop = 1; frontier.length > 0; hop += 1) {
    const ends = new Set(frontier.map((edge) => edge.to_asset_id));
    frontier = edges.filter((edge) => ends.has(edge.from_asset_id) && !depth.has(edge.id));
    for (const edge of frontier) depth.set(edge.id, hop);
  }
  return depth;
}

describe('map layers and spatial tools', () => {
  let server: RunningServer;
  let api: Api;
  let token: string;
  let tenant: string;
  let edges: Edge[];

  beforeAll(async () => {
    server = await startTestServer();
    api = new Api(server.url);
    token = await api.tokenFor(tenantB.email('operator'));
    tenant = await tenantId(tenantB.slug);
    edges = await adminQuery<Edge>(
      `SELECT id, from_asset_id, to_asset_id FROM assets WHERE tenant_id = $1 AND kind = 'pipeline'`,
      [tenant],
    );
  });
  afterAll(async () => {
    await server.close();
  });

  it('sends every asset of the tenant as columns, coloured by its worst open alert', async () => {
    const [counts] = await adminQuery<{ points: string; pipes: string; vertices: string }>(
      `SELECT count(*) FILTER (WHERE kind <> 'pipeline') AS points, count(*) FILTER (WHERE kind = 'pipeline') AS pipes,
              sum(ST_NPoints(geom)) FILTER (WHERE kind = 'pipeline') AS vertices
         FROM assets WHERE tenant_id = $1`,
      [tenant],
    );
    const [alerted] = await adminQuery<{ asset_id: string; priority: string; lng: number; lat: number }>(
      `SELECT al.asset_id, al.priority, ST_X(a.geom) AS lng, ST_Y(a.geom) AS lat
         FROM alerts al JOIN assets a ON a.id = al.asset_id
        WHERE al.tenant_id = $1 AND al.closed_at IS NULL AND a.kind <> 'pipeline'
          AND al.state IN ('active_unacknowledged', 'active_acknowledged', 'returned_unacknowledged')
        ORDER BY al.priority LIMIT 1`,
      [tenant],
    );

    const response = await api.request<MapLayers>('GET', '/api/v1/map/layers', { token });

    const { points, pipes, bbox } = response.body;
    expect(response.status).toBe(200);
    expect(points.count).toBe(Number(counts?.points));
    expect(pipes.count).toBe(Number(counts?.pipes));
    for (const column of [
      points.ids,
      points.codes,
      points.kinds,
      points.alertLevels,
      points.unacknowledged,
    ]) {
      expect(column).toHaveLength(points.count);
    }
    expect(points.positions).toHaveLength(points.count * 2);
    expect(pipes.coordinates).toHaveLength(Number(counts?.vertices) * 2);
    expect(pipes.pathStarts[0]).toBe(0);
    expect(pipes.pathStarts.every((start, i) => i === 0 || start > (pipes.pathStarts[i - 1] ?? 0))).toBe(
      true,
    );
    expect(bbox?.[0]).toBeLessThan(bbox?.[2] ?? 0);
    // The seeded scenario leaves open alerts; the one of highest priority colours its asset at its level.
    expect(alerted).toBeDefined();
    const index = points.ids.indexOf(alerted?.asset_id ?? '');
    const level = { critical: 4, high: 3, medium: 2, low: 1 }[alerted?.priority ?? 'low'] ?? 0;
    expect(points.alertLevels[index]).toBe(level);
    expect(points.positions[index * 2]).toBeCloseTo(alerted?.lng ?? 0, 5);
    expect(points.positions[index * 2 + 1]).toBeCloseTo(alerted?.lat ?? 0, 5);
  });

  it('limits a zone-limited user to the assets of their zones', async () => {
    const zoneToken = await api.tokenFor(tenantA.email('zone-operator'));
    const [expected] = await adminQuery<{ n: string }>(
      `SELECT count(*) AS n FROM assets a JOIN user_zones uz ON uz.zone_id = a.zone_id
         JOIN users u ON u.id = uz.user_id WHERE u.email = $1 AND a.kind <> 'pipeline'`,
      [tenantA.email('zone-operator')],
    );

    const response = await api.request<MapLayers>('GET', '/api/v1/map/layers', { token: zoneToken });

    expect(response.status).toBe(200);
    expect(response.body.points.count).toBe(Number(expected?.n));
    expect(response.body.points.ids).not.toContain(edges[0]?.from_asset_id ?? '');
  });

  it('lists the assets inside a drawn polygon exactly as PostGIS does', async () => {
    const [box] = await adminQuery<{ w: number; s: number; e: number; n: number }>(
      `SELECT ST_XMin(ext) AS w, ST_YMin(ext) AS s, ST_XMax(ext) AS e, ST_YMax(ext) AS n
         FROM (SELECT ST_Extent(geom) AS ext FROM assets WHERE tenant_id = $1) x`,
      [tenant],
    );
    const { w = 0, s = 0, e = 0, n = 0 } = box ?? {};
    // A triangle over the south-west half of the network.
    const polygon = {
      type: 'Polygon' as const,
      coordinates: [
        [
          [w, s],
          [w + (e - w) * 0.8, s],
          [w, s + (n - s) * 0.8],
          [w, s],
        ] as [number, number][],
      ],
    };
    const expected = await adminQuery<{ id: string }>(
      `SELECT id FROM assets WHERE tenant_id = $1
          AND ST_Intersects(geom, ST_SetSRID(ST_GeomFromGeoJSON($2), 4326)) ORDER BY code`,
      [tenant, JSON.stringify(polygon)],
    );

    const response = await api.request<AreaSearchResult>('POST', '/api/v1/spatial/area-search', {
      token,
      body: { polygon },
    });
    const pumps = await api.request<AreaSearchResult>('POST', '/api/v1/spatial/area-search', {
      token,
      body: { polygon, kind: 'pump' },
    });

    expect(response.status).toBe(200);
    expect(expected.length).toBeGreaterThan(5);
    expect(response.body.items.map((item) => item.id)).toEqual(expected.map((row) => row.id));
    expect(response.body.truncated).toBe(false);
    expect(pumps.body.items.length).toBeGreaterThan(0);
    expect(pumps.body.items.every((item) => item.kind === 'pump')).toBe(true);
  });

  it('lists the assets within a radius, and rejects an open ring or a mixed request with 400', async () => {
    const [center] = await adminQuery<{ lng: number; lat: number }>(
      `SELECT ST_X(geom) AS lng, ST_Y(geom) AS lat FROM assets WHERE tenant_id = $1 AND kind = 'plant' LIMIT 1`,
      [tenant],
    );
    const [expected] = await adminQuery<{ n: string }>(
      `SELECT count(*) AS n FROM assets WHERE tenant_id = $1
          AND ST_DWithin(geom::geography, ST_SetSRID(ST_MakePoint($2, $3), 4326)::geography, 1500)`,
      [tenant, center?.lng, center?.lat],
    );
    const circle = { center: [center?.lng, center?.lat], radiusM: 1500 };

    const inRadius = await api.request<AreaSearchResult>('POST', '/api/v1/spatial/area-search', {
      token,
      body: circle,
    });
    const open = await api.request<{ errors: unknown[] }>('POST', '/api/v1/spatial/area-search', {
      token,
      body: {
        polygon: {
          type: 'Polygon',
          coordinates: [
            [
              [0, 0],
              [1, 0],
              [1, 1],
              [0, 1],
            ],
          ],
        },
      },
    });
    const mixed = await api.request('POST', '/api/v1/spatial/area-search', {
      token,
      body: {
        ...circle,
        polygon: {
          type: 'Polygon',
          coordinates: [
            [
              [0, 0],
              [1, 0],
              [1, 1],
              [0, 0],
            ],
          ],
        },
      },
    });

    expect(inRadius.status).toBe(200);
    expect(inRadius.body.items.length).toBe(Number(expected?.n));
    expect(open.status).toBe(400);
    expect(open.headers.get('content-type')).toContain('application/problem+json');
    expect(mixed.status).toBe(400);
  });

  it('traces everything downstream of a pipe, with the hop count of each', async () => {
    // The pipe leaving the plant feeds the most; pick the trunk main with the largest downstream tree.
    const [trunk] = await adminQuery<{ id: string }>(
      `SELECT p.id FROM assets p JOIN assets plant ON plant.id = p.from_asset_id
        WHERE p.tenant_id = $1 AND plant.kind = 'plant' ORDER BY p.diameter_mm DESC LIMIT 1`,
      [tenant],
    );
    const expected = downstreamOf(trunk?.id ?? '', edges);
    const fedAssets = new Set(edges.filter((edge) => expected.has(edge.id)).map((edge) => edge.to_asset_id));

    const response = await api.request<DownstreamTrace>(
      'GET',
      `/api/v1/spatial/pipes/${trunk?.id ?? ''}/downstream`,
      { token },
    );

    expect(response.status).toBe(200);
    expect(expected.size).toBeGreaterThan(3);
    expect(new Map(response.body.pipes.map((pipe) => [pipe.id, pipe.depth]))).toEqual(expected);
    expect(new Set(response.body.assets.map((asset) => asset.id))).toEqual(fedAssets);
  });

  it('ends the trace on a loop and answers 404 for a point asset or another tenant’s pipe', async () => {
    const tenantAId = await tenantId(tenantA.slug);
    const [foreign] = await adminQuery<{ id: string }>(
      `SELECT id FROM assets WHERE tenant_id = $1 AND kind = 'pipeline' LIMIT 1`,
      [tenantAId],
    );
    const [point] = await adminQuery<{ id: string }>(
      `SELECT id FROM assets WHERE tenant_id = $1 AND kind = 'tank' LIMIT 1`,
      [tenant],
    );
    // Whatever loops the seed closed, every pipe appears once.
    const leaf = edges[edges.length - 1];

    const trace = await api.request<DownstreamTrace>(
      'GET',
      `/api/v1/spatial/pipes/${leaf?.id ?? ''}/downstream`,
      {
        token,
      },
    );
    const other = await api.request('GET', `/api/v1/spatial/pipes/${foreign?.id ?? ''}/downstream`, {
      token,
    });
    const notPipe = await api.request('GET', `/api/v1/spatial/pipes/${point?.id ?? ''}/downstream`, {
      token,
    });

    expect(trace.status).toBe(200);
    const ids = trace.body.pipes.map((pipe) => pipe.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(other.status).toBe(404);
    expect(notPipe.status).toBe(404);
  });
});
