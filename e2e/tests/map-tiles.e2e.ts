import { demoEmail, demoTenants } from '@tidewatch/db/testing';
import { tileBounds, tileOf } from '@tidewatch/server/testing/slippy-tiles';
import { MAX_DETAILED_TILE_POINTS } from '@tidewatch/shared';
import { describe, expect, it } from 'vitest';
import { accessToken, adminRows, createHighRule } from '../src/api.ts';
import { screenshot } from '../src/browser.ts';
import { consoleSuite } from '../src/console-suite.ts';
import { connectDemoDevice } from '../src/demo-device.ts';
import { signIn } from '../src/console.ts';
import {
  centrePixel,
  centreProbe,
  colourShare,
  featureIds,
  isColour,
  moveCamera,
  openMap,
  watchNetworkTiles,
} from '../src/map-page.ts';

const [hyderabad, puneTenant] = demoTenants;
/** The map's colour of a `high` alarm (network-style.ts). */
const HIGH_RGB = [240, 130, 30] as const;
/** The map's colour of a cluster, or an asset, without alarms (network-style.ts, drawn at 0.86 opacity). */
const CLUSTER_RGB = [46, 125, 160] as const;
const RECOLOURED_WITHIN_MS = 1000;

/** The camera of a map address: zoom, then latitude and longitude, as MapLibre writes it. */
const mapAt = (zoom: number, [lng, lat]: readonly [number, number]) =>
  `#map=${String(zoom)}/${String(lat)}/${String(lng)}`;

describe('the map drawn from vector tiles', () => {
  const suite = consoleSuite();

  it('gives a zone-limited operator tiles holding nothing outside their zones, zoomed in and out', async () => {
    const email = demoEmail('zone-operator', hyderabad);
    const zones = (
      await adminRows<{ zone_id: string }>(
        'SELECT uz.zone_id FROM user_zones uz JOIN users u ON u.id = uz.user_id WHERE u.email = $1',
        [email],
      )
    ).map((row) => row.zone_id);
    expect(zones.length).toBeGreaterThan(0);
    const page = await signIn(suite.browser, suite.server.url, email);
    const tiles = watchNetworkTiles(page);
    await openMap(page, `${suite.server.url}/?view=map`);
    await tiles.settled();
    // Out to the whole city and beyond it: clustered tiles over every zone of the tenant.
    await moveCamera(page, mapAt(10, hyderabad.center));
    await tiles.settled();
    await screenshot(page, 'map-zone-operator');

    const answers = await tiles.answers();
    const assetIds = [
      ...new Set(
        answers.flatMap(({ tile }) => [...featureIds(tile, 'points'), ...featureIds(tile, 'pipes')]),
      ),
    ];
    const zoneIds = [...new Set(answers.flatMap(({ tile }) => featureIds(tile, 'zones')))];
    expect(assetIds.length).toBeGreaterThan(0);
    const outside = await adminRows<{ code: string }>(
      'SELECT code FROM assets WHERE id = ANY($1::uuid[]) AND (zone_id IS NULL OR zone_id <> ALL($2::uuid[]))',
      [assetIds, zones],
    );
    expect(outside).toEqual([]);
    expect(zoneIds.every((id) => zones.includes(id))).toBe(true);
    // A cluster counts assets it does not name: per tile, never more than the operator's zones hold (alarmed
    // assets are counted in their cluster and also drawn alone, so only the clusters are summed).
    const [inZones] = await adminRows<{ n: string }>(
      "SELECT count(*) AS n FROM assets WHERE zone_id = ANY($1::uuid[]) AND kind <> 'pipeline' AND archived_at IS NULL",
      [zones],
    );
    const [tenantPoints] = await adminRows<{ n: string }>(
      `SELECT count(*) AS n FROM assets a JOIN tenants t ON t.id = a.tenant_id
        WHERE t.slug = $1 AND a.kind <> 'pipeline' AND a.archived_at IS NULL`,
      [hyderabad.slug],
    );
    expect(Number(inZones?.n)).toBeLessThan(Number(tenantPoints?.n));
    for (const { tile } of answers) {
      const counted = (tile.clusters ?? []).reduce(
        (sum, cluster) => sum + Number(cluster.properties.count),
        0,
      );
      expect(counted).toBeLessThanOrEqual(Number(inZones?.n));
    }
    await page.context().close();
  });

  it("never serves another tenant's network, even with the camera over it", async () => {
    const over = `${suite.server.url}/?view=map${mapAt(13, hyderabad.center)}`;
    const pune = await signIn(suite.browser, suite.server.url, demoEmail('operator', puneTenant));
    const puneTiles = watchNetworkTiles(pune);
    await openMap(pune, over);
    await puneTiles.settled();
    await screenshot(pune, 'map-other-tenant-empty');
    const seen = await puneTiles.answers();
    expect(seen.length).toBeGreaterThan(0);
    expect(seen.every(({ status, tile }) => status === 204 || Object.keys(tile).length === 0)).toBe(true);
    await pune.context().close();

    // The same view as Hyderabad's own operator is full of its network.
    const own = await signIn(suite.browser, suite.server.url, demoEmail('operator', hyderabad));
    const ownTiles = watchNetworkTiles(own);
    await openMap(own, over);
    await ownTiles.settled();
    const drawn = (await ownTiles.answers()).flatMap(({ tile }) => featureIds(tile, 'points'));
    expect(drawn.length).toBeGreaterThan(0);
    await own.context().close();
  });

  it('draws a dense district as clusters up to zoom 14 and asset by asset from zoom 15', async () => {
    // A tenant of its own, so no other test sees its crowd, with one operator.
    const [tenant] = await adminRows<{ id: string }>(
      `INSERT INTO tenants (slug, name) VALUES ('dense-district', 'Dense district') RETURNING id`,
    );
    const [demoUser] = await adminRows<{ password_hash: string }>(
      'SELECT password_hash FROM users WHERE email = $1',
      [demoEmail('operator', hyderabad)],
    );
    if (!tenant || !demoUser) throw new Error('no tenant or demo user');
    const email = 'operator@dense-district.example';
    await adminRows(
      `INSERT INTO users (tenant_id, email, display_name, role, password_hash)
       VALUES ($1, $2, 'Operator', 'operator', $3)`,
      [tenant.id, email, demoUser.password_hash],
    );
    // More valves than a tile draws one by one, in one zoom-15 tile east of the city (on land), kept off its edges.
    const crowdSize = MAX_DETAILED_TILE_POINTS + 1000;
    const { west, east, north, south } = tileBounds(
      tileOf(hyderabad.center[0] + 0.3, hyderabad.center[1], 15),
    );
    const inset = (east - west) * 0.05;
    await adminRows(
      `INSERT INTO assets (tenant_id, code, name, kind, geom)
       SELECT $1, 'CROWD-' || g, 'Crowd ' || g, 'valve',
              ST_SetSRID(ST_MakePoint($2::float8 + random() * ($3::float8 - $2::float8),
                                      $4::float8 + random() * ($5::float8 - $4::float8)), 4326)
         FROM generate_series(1, $6::int) AS g`,
      [tenant.id, west + inset, east - inset, south + inset, north - inset, crowdSize],
    );
    const centre = [(west + east) / 2, (north + south) / 2] as const;
    const tileZoom = (url: string) => Number(/\/map\/tiles\/(\d+)\//.exec(url)?.[1]);
    try {
      const page = await signIn(suite.browser, suite.server.url, email);
      const map = page.getByTestId('tenant-map');

      // Zoom 14: clusters, which between them count every valve, and nothing drawn valve by valve.
      const clustered = watchNetworkTiles(page);
      await openMap(page, `${suite.server.url}/?view=map${mapAt(14.3, centre)}`);
      await clustered.settled();
      // One answer per tile: the page asks for its first view's tiles before the map exists, then MapLibre again.
      const at14 = [
        ...new Map((await clustered.answers()).map((answer) => [answer.url, answer])).values(),
      ].filter(({ url }) => tileZoom(url) === 14);
      expect(at14.length).toBeGreaterThan(0);
      const counted = at14.reduce(
        (sum, { tile }) =>
          sum +
          (tile.clusters ?? []).reduce((n, cluster) => n + Number(cluster.properties.count), 0) +
          (tile.points ?? []).length,
        0,
      );
      expect(counted).toBe(crowdSize);
      expect(at14.some(({ tile }) => (tile.clusters ?? []).length > 0)).toBe(true);
      // On screen: the cluster layers are drawn at this zoom (half a per cent of the map at least; 2.5 % seen).
      const clusterShare = await colourShare(suite.browser, await map.screenshot(), CLUSTER_RGB, 40);
      await screenshot(page, 'map-dense-clusters');
      expect(clusterShare).toBeGreaterThan(0.005);

      // Zoom 15: the same district valve by valve, no clusters.
      const detailed = watchNetworkTiles(page);
      await moveCamera(page, mapAt(15.3, centre));
      await detailed.settled();
      const at15 = (await detailed.answers()).filter(({ url }) => tileZoom(url) === 15);
      expect(at15.length).toBeGreaterThan(0);
      expect(at15.every(({ tile }) => tile.clusters === undefined)).toBe(true);
      expect(new Set(at15.flatMap(({ tile }) => featureIds(tile, 'points'))).size).toBe(crowdSize);
      // Drawn: thousands of symbols take SwiftShader a second or two after the tiles are in.
      let pointShare = 0;
      for (const deadline = Date.now() + 15_000; pointShare < 0.005 && Date.now() < deadline;) {
        await new Promise((resolve) => setTimeout(resolve, 250));
        pointShare = await colourShare(suite.browser, await map.screenshot(), CLUSTER_RGB, 40);
      }
      await screenshot(page, 'map-dense-detailed');
      expect(pointShare).toBeGreaterThan(0.005);
      await page.context().close();
    } finally {
      await adminRows('DELETE FROM assets WHERE tenant_id = $1', [tenant.id]);
    }
  });

  it('recolours an asset within a second of an alarm raised over MQTT, without fetching a tile', async () => {
    // A tank with a level series of an MQTT device, quiet (no open alert, not in maintenance).
    const [series] = await adminRows<{
      id: number;
      device_id: string;
      last: number | null;
      lng: number;
      lat: number;
    }>(
      `SELECT s.id, s.device_id, ST_X(a.geom) AS lng, ST_Y(a.geom) AS lat,
              (SELECT value FROM telemetry r WHERE r.series_id = s.id ORDER BY time DESC LIMIT 1) AS last
         FROM series s JOIN tenants t ON t.id = s.tenant_id JOIN metrics m ON m.id = s.metric_id
         JOIN devices d ON d.id = s.device_id JOIN assets a ON a.id = d.asset_id
        WHERE t.slug = $1 AND m.key = 'level_cm' AND d.transport = 'mqtt' AND d.disabled_at IS NULL
          AND d.credential_hash IS NOT NULL AND a.kind <> 'pipeline' AND a.maintenance_since IS NULL
          AND NOT EXISTS (SELECT 1 FROM calibrations c WHERE c.series_id = s.id)
          AND NOT EXISTS (SELECT 1 FROM alerts al WHERE al.asset_id = a.id AND al.closed_at IS NULL)
        ORDER BY s.id DESC LIMIT 1`,
      [hyderabad.slug],
    );
    if (!series) throw new Error('no quiet MQTT level series in the seed');
    const setpoint = Math.round((series.last ?? 300) + 200);
    await createHighRule(
      suite.server.url,
      await accessToken(suite.server.url, demoEmail('supervisor', hyderabad)),
      {
        name: 'E2E map recolour',
        seriesId: series.id,
        setpoint,
        priority: 'high',
      },
    );

    const page = await signIn(suite.browser, suite.server.url, demoEmail('operator', hyderabad));
    const tiles = watchNetworkTiles(page);
    const alertFrames: number[] = [];
    page.on('websocket', (socket) => {
      socket.on('framereceived', ({ payload }) => {
        if (payload.toString().startsWith('42["alert"')) alertFrames.push(Date.now());
      });
    });
    await openMap(page, `${suite.server.url}/?view=map${mapAt(18, [series.lng, series.lat])}`);
    await tiles.settled();
    const map = page.getByTestId('tenant-map');
    expect(isColour(await centrePixel(suite.browser, page, map), HIGH_RGB)).toBe(false);
    const tilesBefore = tiles.requested.length;
    expect(tilesBefore).toBeGreaterThan(0);

    const device = await connectDemoDevice(suite.server.mqttUrl, series.device_id);
    const publishedAt = Date.now();
    try {
      await device.publishAsync(
        `devices/${series.device_id}/telemetry`,
        JSON.stringify({ values: { level_cm: setpoint + 50 } }),
        { qos: 1 },
      );
    } finally {
      await device.endAsync();
    }
    // Probed screenshot by screenshot: the first that shows the alarm colour bounds when it was drawn.
    let recolouredAt = 0;
    while (!recolouredAt && Date.now() - publishedAt < 5000) {
      const probe = await centreProbe(suite.browser, page, map);
      if (isColour(probe.rgb, HIGH_RGB)) recolouredAt = probe.shotAt;
    }
    expect(recolouredAt).toBeGreaterThan(0);
    const recolouredAfterMs = recolouredAt - publishedAt;
    console.info(
      `MQTT publish to the asset recoloured on the map: ${String(recolouredAfterMs)} ms ` +
        `(the alert reached the page's socket after ${String((alertFrames[0] ?? 0) - publishedAt)} ms)`,
    );
    await screenshot(page, 'map-alarm-recoloured');
    expect(recolouredAfterMs).toBeLessThan(RECOLOURED_WITHIN_MS);

    // The console asks for the map version after alarms settle; up close that fetches no tile either.
    await new Promise((resolve) => setTimeout(resolve, 3500));
    expect(tiles.requested.slice(tilesBefore)).toEqual([]);
    await page.context().close();
  });
});
