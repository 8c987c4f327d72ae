import type { AlertRulePreview, AssetCollection, AssetFeature, Device, Page } from '@tidewatch/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tileOf } from '../src/testing/slippy-tiles.ts';
import { decodeVectorTile } from '../src/testing/vector-tile-decode.ts';
import { AlertTestKit } from './alert-fixtures.ts';
import { adminQuery, tenantA, tenantB, tenantId } from './harness.ts';

describe('tags on assets and devices: lists, map tiles and alert rules', () => {
  let kit: AlertTestKit;
  /** The zone of tenant A's zone-limited operator, and another zone of the tenant. */
  let ownZone: { id: string; lng: number; lat: number };
  let otherZone: { id: string; lng: number; lat: number };
  const run = String(Date.now()).slice(-8);
  const tag = `crew-${run}`;

  beforeAll(async () => {
    kit = await AlertTestKit.start(tenantA);
    const zones = await adminQuery<{ id: string; lng: number; lat: number; own: boolean }>(
      `SELECT z.id, ST_X(ST_PointOnSurface(z.geom)) AS lng, ST_Y(ST_PointOnSurface(z.geom)) AS lat,
              EXISTS (SELECT 1 FROM user_zones uz JOIN users u ON u.id = uz.user_id
                       WHERE uz.zone_id = z.id AND u.email = $2) AS own
         FROM zones z WHERE z.tenant_id = $1 AND z.archived_at IS NULL ORDER BY z.code`,
      [await tenantId(tenantA.slug), tenantA.email('zone-operator')],
    );
    const own = zones.find((z) => z.own);
    const other = zones.find((z) => !z.own);
    if (!own || !other) throw new Error('the demo tenant has a zone-limited operator and other zones');
    ownZone = own;
    otherZone = other;
  });
  afterAll(async () => {
    await kit.close();
  });

  async function createAsset(code: string, zone: typeof ownZone, tags?: string[]): Promise<AssetFeature> {
    const response = await kit.api.request<AssetFeature>('POST', '/api/v1/assets', {
      token: await kit.token('admin'),
      body: {
        type: 'Feature',
        geometry: { type: 'Point', coordinates: [zone.lng, zone.lat] },
        properties: {
          code,
          name: `Tag test ${code}`,
          kind: 'tank',
          zoneId: zone.id,
          ...(tags ? { tags } : {}),
        },
      },
    });
    expect(response.status, JSON.stringify(response.body)).toBe(201);
    return response.body;
  }

  async function assetsTagged(filter: string, role = 'admin', tenant = tenantA): Promise<string[]> {
    const token = await kit.api.tokenFor(tenant.email(role));
    const response = await kit.api.request<AssetCollection>(
      'GET',
      `/api/v1/assets?tag=${encodeURIComponent(filter)}&limit=500`,
      { token },
    );
    expect(response.status, JSON.stringify(response.body)).toBe(200);
    return response.body.features.map((f) => f.properties.code).sort();
  }

  it('writes tags on create and change, answers them sorted, and filters the asset list by tag or key', async () => {
    const first = await createAsset(`TG-A-${run}`, ownZone, [`${tag}:north`, 'criticality:high']);
    expect(first.properties.tags).toEqual([`${tag}:north`, 'criticality:high']);
    const second = await createAsset(`TG-B-${run}`, otherZone);
    expect(second.properties.tags).toEqual([]);

    const changed = await kit.api.request<AssetFeature>('PATCH', `/api/v1/assets/${second.id}`, {
      token: await kit.token('admin'),
      body: { tags: [`${tag}:south`] },
    });
    expect(changed.status, JSON.stringify(changed.body)).toBe(200);
    expect(changed.body.properties.tags).toEqual([`${tag}:south`]);

    expect(await assetsTagged(tag)).toEqual([`TG-A-${run}`, `TG-B-${run}`]);
    expect(await assetsTagged(`${tag}:south`)).toEqual([`TG-B-${run}`]);
    expect(await assetsTagged(`${tag}:east`)).toEqual([]);

    const bad = await kit.api.request('GET', '/api/v1/assets?tag=Not%20A%20Tag', {
      token: await kit.token('admin'),
    });
    expect(bad.status).toBe(400);
    const badWrite = await kit.api.request('PATCH', `/api/v1/assets/${second.id}`, {
      token: await kit.token('admin'),
      body: { tags: ['x', 'x'] },
    });
    expect(badWrite.status).toBe(400);
    // The whole list is replaced.
    const cleared = await kit.api.request<AssetFeature>('PATCH', `/api/v1/assets/${first.id}`, {
      token: await kit.token('admin'),
      body: { tags: [`${tag}:north`] },
    });
    expect(cleared.body.properties.tags).toEqual([`${tag}:north`]);
  });

  it('never shows a tagged asset across tenants or outside a zone-limited user’s zones', async () => {
    expect(await assetsTagged(tag, 'zone-operator')).toEqual([`TG-A-${run}`]);
    expect(await assetsTagged(tag, 'admin', tenantB)).toEqual([]);
    // Tenant B writing the same tag creates its own tag row; tenant A's assets stay out of its lists.
    const b = await kit.api.request<AssetCollection>('GET', '/api/v1/assets?limit=1', {
      token: await kit.api.tokenFor(tenantB.email('admin')),
    });
    const bAsset = b.body.features[0];
    if (!bAsset) throw new Error('tenant B has assets');
    const tagged = await kit.api.request<AssetFeature>('PATCH', `/api/v1/assets/${bAsset.id}`, {
      token: await kit.api.tokenFor(tenantB.email('admin')),
      body: { tags: [...bAsset.properties.tags, `${tag}:north`] },
    });
    expect(tagged.status, JSON.stringify(tagged.body)).toBe(200);
    expect(await assetsTagged(tag, 'admin', tenantB)).toEqual([bAsset.properties.code]);
    expect(await assetsTagged(tag)).toEqual([`TG-A-${run}`, `TG-B-${run}`]);
    const rows = await adminQuery<{ tenants: number }>(
      'SELECT count(DISTINCT tenant_id)::int AS tenants FROM tags WHERE key = $1',
      [tag],
    );
    expect(rows[0]?.tenants).toBe(2);
    // A tenant A user cannot reach tenant B's asset to tag it.
    const cross = await kit.api.request('PATCH', `/api/v1/assets/${bAsset.id}`, {
      token: await kit.token('admin'),
      body: { tags: ['stolen'] },
    });
    expect(cross.status).toBe(404);
  });

  it('tags devices at provisioning and on change, and filters the device list by tag', async () => {
    const token = await kit.token('admin');
    const created = await kit.api.request<{ device: Device }>('POST', '/api/v1/devices', {
      token,
      body: { name: `Tagged logger ${run}`, metricKeys: ['level_cm'], tags: [`${tag}:logger`] },
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect(created.body.device.tags).toEqual([`${tag}:logger`]);
    const listed = await kit.api.request<Page<Device>>('GET', `/api/v1/devices?tag=${tag}&limit=200`, {
      token,
    });
    expect(listed.body.items.map((d) => d.id)).toEqual([created.body.device.id]);
    const changed = await kit.api.request<Device>('PATCH', `/api/v1/devices/${created.body.device.id}`, {
      token,
      body: { tags: [] },
    });
    expect(changed.body.tags).toEqual([]);
    const after = await kit.api.request<Page<Device>>('GET', `/api/v1/devices?tag=${tag}&limit=200`, {
      token,
    });
    expect(after.body.items).toEqual([]);
    const other = await kit.api.request<Page<Device>>('GET', `/api/v1/devices?tag=${tag}`, {
      token: await kit.api.tokenFor(tenantB.email('admin')),
    });
    expect(other.body.items).toEqual([]);
  });

  it('raises a tag rule for the series of a tagged asset and not for others, and previews the same targets', async () => {
    const ruleTag = `pumpset-${run}`;
    const tagged = await createAsset(`TG-R1-${run}`, ownZone, [`${ruleTag}:a`]);
    const untagged = await createAsset(`TG-R2-${run}`, ownZone);
    const onTagged = await kit.device(['level_cm'], tagged.id);
    const onUntagged = await kit.device(['level_cm'], untagged.id);
    const [metric] = await adminQuery<{ id: string }>(
      'SELECT id FROM metrics WHERE key = $1 AND tenant_id = $2',
      ['level_cm', await tenantId(tenantA.slug)],
    );
    const fields = {
      condition: 'high' as const,
      scope: 'tag' as const,
      tag: ruleTag,
      metricId: metric?.id ?? null,
      setpoint: 100,
    };

    const rule = await kit.rule(fields);
    expect(rule.tag).toBe(ruleTag);
    await kit.send(onTagged, 'level_cm', [[60, 120]]);
    await kit.send(onUntagged, 'level_cm', [[60, 130]]);
    const raised = await kit.only(rule);
    expect(raised.assetId).toBe(tagged.id);

    const preview = await kit.api.request<AlertRulePreview>('POST', '/api/v1/alert-rules/preview', {
      token: await kit.token('supervisor'),
      body: { name: 'Preview', priority: 'high', ...fields },
    });
    expect(preview.status, JSON.stringify(preview.body)).toBe(200);
    expect(preview.body.targets.map((t) => t.assetId)).toEqual([tagged.id]);
    expect(preview.body.targets[0]?.raiseCount).toBe(1);

    // Tagging the second asset brings its series under the rule at once.
    const retag = await kit.api.request('PATCH', `/api/v1/assets/${untagged.id}`, {
      token: await kit.token('admin'),
      body: { tags: [`${ruleTag}:b`] },
    });
    expect(retag.status).toBe(200);
    await kit.send(onUntagged, 'level_cm', [[30, 140]]);
    const alerts = await kit.alertsOf(rule);
    expect(alerts.map((a) => a.assetId).sort()).toEqual([tagged.id, untagged.id].sort());

    // A tag rule needs its tag, and a zone-limited supervisor may not write one over the whole tenant.
    const missing = await kit.api.request('POST', '/api/v1/alert-rules', {
      token: await kit.token('supervisor'),
      body: { name: 'No tag', priority: 'high', ...fields, tag: null },
    });
    expect(missing.status).toBe(400);
  });

  it('carries tags in the map tiles (as ,tag,tag,) for the console to filter by, after a tag change', async () => {
    const token = await kit.token('admin');
    const at = tileOf(ownZone.lng, ownZone.lat, 16);
    const fetchTile = async () => {
      const response = await fetch(
        `${kit.server.url}/api/v1/map/tiles/${String(at.z)}/${String(at.x)}/${String(at.y)}.mvt`,
        { headers: { authorization: `Bearer ${token}` } },
      );
      expect(response.status).toBe(200);
      return decodeVectorTile(new Uint8Array(await response.arrayBuffer()));
    };
    const code = `TG-A-${run}`;
    const before = (await fetchTile()).points?.find((f) => f.properties.code === code);
    expect(before?.properties.tags).toBe(`,${tag}:north,`);

    const [asset] = await adminQuery<{ id: string }>('SELECT id FROM assets WHERE code = $1', [code]);
    await kit.api.request('PATCH', `/api/v1/assets/${asset?.id ?? ''}`, {
      token,
      body: { tags: [`${tag}:north`, 'alpha'] },
    });
    const after = (await fetchTile()).points?.find((f) => f.properties.code === code);
    expect(after?.properties.tags).toBe(`,alpha,${tag}:north,`);
  });
});
