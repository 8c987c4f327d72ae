import {
  assetImportSchema,
  type AssetExport,
  type AssetFeature,
  type AssetInput,
  type Problem,
} from '@tidewatch/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../src/server.ts';
import { adminQuery, Api, startTestServer, tenantA, tenantB, tenantId } from './harness.ts';

/** Codes of this run, so the test finds (and removes) only its own assets. */
const PREFIX = `XP${String(Date.now())}`;

/** A feature with its ids replaced by codes: what must survive a round trip whatever ids the assets get. */
function byCode(collection: AssetExport): unknown[] {
  const codes = new Map(collection.features.map((f) => [String(f.id), f.properties.code]));
  const code = (id: string | null | undefined) => (id ? (codes.get(id) ?? `foreign:${id}`) : null);
  return collection.features.map(({ id: _id, ...feature }) => ({
    ...feature,
    properties: {
      ...feature.properties,
      fromAssetId: code(feature.properties.fromAssetId),
      toAssetId: code(feature.properties.toAssetId),
    },
  }));
}

describe('asset export', () => {
  let server: RunningServer;
  let api: Api;
  let adminA: string;
  let adminB: string;

  beforeAll(async () => {
    server = await startTestServer();
    api = new Api(server.url);
    adminA = await api.tokenFor(tenantA.email('admin'));
    adminB = await api.tokenFor(tenantB.email('admin'));
  });
  afterAll(async () => {
    await adminQuery(`DELETE FROM assets WHERE code LIKE $1`, [`${PREFIX}%`]);
    await server.close();
  });

  const exportOf = (token: string, query = '') =>
    api.request<AssetExport>('GET', `/api/v1/assets/export${query}`, { token });

  const importInto = (token: string, collection: unknown) =>
    api.request<{ created: number; updated: number }>('POST', '/api/v1/assets/import', {
      token,
      body: collection,
    });

  /** Two points and the pipe between them, created one by one as an admin would. */
  async function createNetwork(
    token: string,
    tag: string,
    origin: [number, number],
    zoneId: string | null,
  ): Promise<string[]> {
    const [lng, lat] = origin;
    const create = async (feature: AssetInput) => {
      const response = await api.request<AssetFeature>('POST', '/api/v1/assets', { token, body: feature });
      expect(response.status, JSON.stringify(response.body)).toBe(201);
      return response.body.id;
    };
    const tank = await create({
      type: 'Feature',
      geometry: { type: 'Point', coordinates: [lng, lat] },
      properties: {
        code: `${PREFIX}-${tag}-TNK`,
        name: 'Export tank',
        kind: 'tank',
        zoneId,
        attributes: { capacityL: 250_000, roof: 'domed' },
      },
    });
    const valve = await create({
      type: 'Feature',
      geometry: { type: 'Point', coordinates: [lng + 0.0123456789, lat + 0.001] },
      properties: { code: `${PREFIX}-${tag}-VLV`, name: 'Export valve', kind: 'valve', zoneId },
    });
    const pipe = await create({
      type: 'Feature',
      geometry: {
        type: 'LineString',
        coordinates: [
          [lng, lat],
          [lng + 0.006, lat + 0.0004],
          [lng + 0.0123456789, lat + 0.001],
        ],
      },
      properties: {
        code: `${PREFIX}-${tag}-PIPE`,
        name: 'Export main',
        kind: 'pipeline',
        zoneId,
        diameterMm: 150,
        material: 'hdpe',
        installedOn: '2019-04-01',
        fromAssetId: tank,
        toAssetId: valve,
      },
    });
    return [tank, valve, pipe];
  }

  it('exports every asset of the tenant in a file the import schema takes as it is', async () => {
    const response = await exportOf(adminA);
    const [stored] = await adminQuery<{ n: number }>(
      'SELECT count(*)::integer AS n FROM assets WHERE tenant_id = $1 AND archived_at IS NULL',
      [await tenantId(tenantA.slug)],
    );

    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('application/geo+json');
    expect(response.headers.get('content-disposition')).toMatch(
      /^attachment; filename="assets-.*\.geojson"$/,
    );
    expect(response.body.features).toHaveLength(stored?.n ?? -1);
    expect(response.body.features.length).toBeGreaterThan(0);
    const parsed = assetImportSchema.safeParse(response.body);
    expect(parsed.error?.issues.slice(0, 3)).toBeUndefined();
    expect(new Set(response.body.features.map((f) => f.properties.code)).size).toBe(stored?.n);
  });

  it('comes back the same after its assets were deleted: fields, zone, attributes and the pipe between them', async () => {
    const [zone] = await adminQuery<{ id: string }>('SELECT id FROM zones WHERE tenant_id = $1 LIMIT 1', [
      await tenantId(tenantA.slug),
    ]);
    const ids = await createNetwork(adminA, 'DEL', [73.85, 18.51], zone?.id ?? null);
    const before = await exportOf(adminA, `?q=${PREFIX}-DEL`);
    expect(before.body.features.map((f) => f.properties.code)).toEqual([
      `${PREFIX}-DEL-PIPE`,
      `${PREFIX}-DEL-TNK`,
      `${PREFIX}-DEL-VLV`,
    ]);
    expect(before.body.features[0]?.properties).toMatchObject({
      fromAssetId: ids[0],
      toAssetId: ids[1],
      diameterMm: 150,
      material: 'hdpe',
      installedOn: '2019-04-01',
      zoneId: zone?.id,
    });

    const unchanged = await importInto(adminA, before.body);
    for (const id of [...ids].reverse()) {
      expect((await api.request('DELETE', `/api/v1/assets/${id}`, { token: adminA })).status).toBe(204);
    }
    const restored = await importInto(adminA, before.body);
    const after = await exportOf(adminA, `?q=${PREFIX}-DEL`);

    expect(unchanged.body).toEqual({ created: 0, updated: 3 });
    expect(restored.status, JSON.stringify(restored.body)).toBe(200);
    expect(restored.body).toEqual({ created: 3, updated: 0 });
    expect(after.body.features.map((f) => f.id)).not.toContain(ids[0]);
    expect(byCode(after.body)).toEqual(byCode(before.body));
    expect(JSON.stringify(byCode(after.body))).not.toContain('foreign:');
  });

  it('moves to another tenant when it names no zone, with the pipe linked to that tenant’s assets', async () => {
    await createNetwork(adminA, 'MOVE', [12.49, 41.89], null);
    const fromA = await exportOf(adminA, `?q=${PREFIX}-MOVE`);
    const zoned = await exportOf(adminA, `?q=${PREFIX}-DEL`);

    const refused = await importInto(adminB, zoned.body);
    const moved = await importInto(adminB, fromA.body);
    const inB = await exportOf(adminB, `?q=${PREFIX}-MOVE`);

    expect(refused.status).toBe(400);
    expect((refused.body as unknown as Problem).errors?.[0]?.path).toBe('properties.zoneId');
    expect(moved.body).toEqual({ created: 3, updated: 0 });
    expect(byCode(inB.body)).toEqual(byCode(fromA.body));
    const idsInB = new Set(inB.body.features.map((f) => String(f.id)));
    const pipe = inB.body.features.find((f) => f.properties.kind === 'pipeline');
    expect(idsInB.has(pipe?.properties.fromAssetId ?? '')).toBe(true);
    expect(idsInB.has(pipe?.properties.toAssetId ?? '')).toBe(true);
  });

  it("shows nothing of another tenant's, whatever the filter", async () => {
    const [zoneOfB] = await adminQuery<{ id: string }>('SELECT id FROM zones WHERE tenant_id = $1 LIMIT 1', [
      await tenantId(tenantB.slug),
    ]);

    const foreignZone = await exportOf(adminA, `?zoneId=${zoneOfB?.id ?? ''}`);
    const othersCodes = await exportOf(adminB, `?q=${PREFIX}-DEL`);

    expect(foreignZone.status).toBe(200);
    expect(foreignZone.body.features).toEqual([]);
    expect(othersCodes.body.features).toEqual([]);
  });
});
