import { verifyCredential } from '@tidewatch/db';
import type { AssetCollection, AssetFeature, Device } from '@tidewatch/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../src/server.ts';
import { adminQuery, Api, startTestServer, tenantA, tenantB, tenantId } from './harness.ts';

describe('assets and devices', () => {
  let server: RunningServer;
  let api: Api;
  let admin: string;
  let tenant: string;

  beforeAll(async () => {
    server = await startTestServer();
    api = new Api(server.url);
    admin = await api.tokenFor(tenantA.email('admin'));
    tenant = await tenantId(tenantA.slug);
  });
  afterAll(async () => {
    await server.close();
  });

  it('filters assets by radius in metres and by bbox, matching PostGIS', async () => {
    const [plant] = await adminQuery<{ lng: number; lat: number }>(
      `SELECT ST_X(geom) AS lng, ST_Y(geom) AS lat FROM assets WHERE tenant_id = $1 AND kind = 'plant'`,
      [tenant],
    );
    const near = `${String(plant?.lng)},${String(plant?.lat)}`;

    const radius = await api.request<AssetCollection>(
      'GET',
      `/api/v1/assets?near=${near}&radius=800&limit=500`,
      { token: admin },
    );
    const expected = await adminQuery<{ id: string }>(
      `SELECT id FROM assets WHERE tenant_id = $1
          AND ST_DWithin(geom::geography, ST_SetSRID(ST_MakePoint($2, $3), 4326)::geography, 800)`,
      [tenant, plant?.lng, plant?.lat],
    );
    const bbox = await api.request<AssetCollection>(
      'GET',
      `/api/v1/assets?bbox=${String((plant?.lng ?? 0) - 0.01)},${String((plant?.lat ?? 0) - 0.01)},${String((plant?.lng ?? 0) + 0.01)},${String((plant?.lat ?? 0) + 0.01)}&kind=valve`,
      { token: admin },
    );

    expect(radius.status).toBe(200);
    expect(radius.body.features.map((f) => f.id).sort()).toEqual(expected.map((r) => r.id).sort());
    expect(
      bbox.body.features.every((f) => f.properties.kind === 'valve' && f.geometry.type === 'Point'),
    ).toBe(true);
  });

  it('pages through all assets with the cursor', async () => {
    const seen = new Set<string>();
    let cursor: string | null = null;
    do {
      const page: { body: AssetCollection } = await api.request<AssetCollection>(
        'GET',
        `/api/v1/assets?limit=100${cursor ? `&cursor=${cursor}` : ''}`,
        { token: admin },
      );
      page.body.features.forEach((f) => seen.add(f.id));
      cursor = page.body.nextCursor;
    } while (cursor);
    const [count] = await adminQuery<{ count: string }>(
      'SELECT count(*) FROM assets WHERE tenant_id = $1 AND archived_at IS NULL',
      [tenant],
    );

    expect(seen.size).toBe(Number(count?.count));
  });

  it("names the assets asked for by id, never another tenant's, and refuses a list too long or malformed", async () => {
    const own = await adminQuery<{ id: string; code: string }>(
      'SELECT id, code FROM assets WHERE tenant_id = $1 AND archived_at IS NULL ORDER BY code LIMIT 3',
      [tenant],
    );
    const [foreign] = await adminQuery<{ id: string }>('SELECT id FROM assets WHERE tenant_id = $1 LIMIT 1', [
      await tenantId(tenantB.slug),
    ]);
    const ids = [...own.map((row) => row.id), foreign?.id ?? ''].join(',');
    const page = await api.request<AssetCollection>('GET', `/api/v1/assets?ids=${ids}&limit=100`, {
      token: admin,
    });
    expect(page.status).toBe(200);
    expect(page.body.features.map((feature) => feature.properties.code).sort()).toEqual(
      own.map((row) => row.code),
    );

    const tooMany = Array.from({ length: 101 }, () => own[0]?.id ?? '').join(',');
    for (const bad of [tooMany, 'not-a-uuid', '']) {
      const refused = await api.request('GET', `/api/v1/assets?ids=${bad}`, { token: admin });
      expect(refused.status, bad.slice(0, 20)).toBe(400);
      expect(refused.headers.get('content-type')).toContain('application/problem+json');
    }
  });

  it('imports a GeoJSON FeatureCollection, placing features in the zone that contains them, and re-import updates', async () => {
    const [zone] = await adminQuery<{ id: string; lng: number; lat: number }>(
      `SELECT id, ST_X(ST_PointOnSurface(geom)) AS lng, ST_Y(ST_PointOnSurface(geom)) AS lat FROM zones WHERE tenant_id = $1 LIMIT 1`,
      [tenant],
    );
    const at = (dx: number): [number, number] => [(zone?.lng ?? 0) + dx, zone?.lat ?? 0];
    const collection = {
      type: 'FeatureCollection',
      features: [
        {
          type: 'Feature',
          geometry: { type: 'Point', coordinates: at(0) },
          properties: { code: 'IMP-V-1', name: 'Imported valve', kind: 'valve' },
        },
        {
          type: 'Feature',
          geometry: { type: 'Point', coordinates: at(0.001) },
          properties: { code: 'IMP-J-1', name: 'Imported junction', kind: 'junction' },
        },
        {
          type: 'Feature',
          geometry: { type: 'LineString', coordinates: [at(0), at(0.001)] },
          properties: {
            code: 'IMP-P-1',
            name: 'Imported main',
            kind: 'pipeline',
            diameterMm: 150,
            material: 'hdpe',
          },
        },
      ],
    };

    const first = await api.request('POST', '/api/v1/assets/import', { token: admin, body: collection });
    const again = await api.request('POST', '/api/v1/assets/import', { token: admin, body: collection });
    const valve = await api.request<AssetCollection>('GET', '/api/v1/assets?q=IMP-V-1', { token: admin });

    expect(first.body).toEqual({ created: 3, updated: 0 });
    expect(again.body).toEqual({ created: 0, updated: 3 });
    expect(valve.body.features[0]?.properties.zoneId).toBe(zone?.id);
  });

  it('provisions a device with a secret shown once and stored only as a hash; rotation replaces it', async () => {
    const created = await api.request<{ device: Device; secret: string }>('POST', '/api/v1/devices', {
      token: admin,
      body: { name: 'Test logger', transport: 'mqtt', metricKeys: ['pressure_bar', 'battery_v'] },
    });
    const id = created.body.device.id;
    const read = await api.request<Device>('GET', `/api/v1/devices/${id}`, { token: admin });
    const stored = async (): Promise<string> =>
      (await adminQuery<{ h: string }>('SELECT credential_hash AS h FROM devices WHERE id = $1', [id]))[0]
        ?.h ?? '';
    const firstHash = await stored();

    const rotated = await api.request<{ secret: string }>('POST', `/api/v1/devices/${id}/rotate-secret`, {
      token: admin,
    });
    const secondHash = await stored();

    expect(created.status).toBe(201);
    expect(created.body.secret.length).toBeGreaterThanOrEqual(32);
    expect(JSON.stringify(read.body)).not.toContain(created.body.secret);
    expect(read.body.series.map((s) => s.metricKey).sort()).toEqual(['battery_v', 'pressure_bar']);
    expect(firstHash).toMatch(/^\$argon2id\$/);
    expect(await verifyCredential(firstHash, created.body.secret)).toBe(true);
    expect(await verifyCredential(secondHash, created.body.secret)).toBe(false);
    expect(await verifyCredential(secondHash, rotated.body.secret)).toBe(true);
    const audit = await adminQuery<{ action: string }>(
      `SELECT action FROM audit_log WHERE resource_id = $1 ORDER BY id`,
      [id],
    );
    expect(audit.map((a) => a.action)).toEqual(['device.provision', 'device.rotate_secret']);
  });

  it('keeps a device named with a lone surrogate as a text column stores it (U+FFFD), and its provisioning on record', async () => {
    const created = await api.request<{ device: Device }>('POST', '/api/v1/devices', {
      token: admin,
      body: { name: 'Logger \uD800 north', transport: 'http', tags: ['site:north', 'battery'] },
    });
    expect(created.status).toBe(201);
    expect(created.body.device.name).toBe('Logger \uFFFD north');
    // Tags are a set, shown sorted.
    expect(created.body.device.tags).toEqual(['battery', 'site:north']);
    const [entry] = await adminQuery<{ details: { name: string } }>(
      `SELECT details FROM audit_log WHERE resource_id = $1 AND action = 'device.provision'`,
      [created.body.device.id],
    );
    expect(entry?.details.name).toBe('Logger \uFFFD north');
  });

  it('refuses a user limited to the same zone twice (400), instead of failing on the stored pair (500)', async () => {
    const [zone] = await adminQuery<{ id: string }>('SELECT id FROM zones WHERE tenant_id = $1 LIMIT 1', [
      tenant,
    ]);
    if (!zone) throw new Error('the seed has zones');
    const body = {
      email: 'twice-zoned@pune-east.example',
      displayName: 'Zoned twice',
      role: 'viewer',
      password: 'a-long-enough-password',
      zoneIds: [zone.id, zone.id],
    };
    const refused = await api.request<{ status: number }>('POST', '/api/v1/users', { token: admin, body });
    expect(refused.status).toBe(400);
    const created = await api.request<{ id: string }>('POST', '/api/v1/users', {
      token: admin,
      body: { ...body, zoneIds: [zone.id] },
    });
    expect(created.status).toBe(201);
    const patched = await api.request('PATCH', `/api/v1/users/${created.body.id}`, {
      token: admin,
      body: { zoneIds: [zone.id, zone.id.toUpperCase()] },
    });
    expect(patched.status).toBe(400);
  });

  it('records who did what, from where, under which request id', async () => {
    const response = await api.request<AssetFeature>('POST', '/api/v1/assets', {
      token: admin,
      headers: { 'x-request-id': 'audit-check-0001', 'user-agent': 'tidewatch-test' },
      body: {
        type: 'Feature',
        geometry: { type: 'Point', coordinates: [73.91, 18.55] },
        properties: { code: 'AUD-1', name: 'Audited valve', kind: 'valve' },
      },
    });
    const [entry] = await adminQuery<Record<string, unknown>>(
      `SELECT action, resource_type, resource_id, request_id, host(ip) AS ip, user_agent, actor_type FROM audit_log
        WHERE request_id = 'audit-check-0001'`,
    );

    expect(response.status).toBe(201);
    expect(entry).toEqual({
      action: 'asset.create',
      resource_type: 'asset',
      resource_id: response.body.id,
      request_id: 'audit-check-0001',
      ip: '127.0.0.1',
      user_agent: 'tidewatch-test',
      actor_type: 'user',
    });
  });
});
