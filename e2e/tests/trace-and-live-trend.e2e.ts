import { readFile } from 'node:fs/promises';
import { demoEmail, demoTenants } from '@tidewatch/db/testing';
import type { DownstreamTrace } from '@tidewatch/shared';
import type { Locator, Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { accessToken, adminRows } from '../src/api.ts';
import { screenshot } from '../src/browser.ts';
import { consoleSuite } from '../src/console-suite.ts';
import { connectDemoDevice } from '../src/demo-device.ts';
import { signIn } from '../src/console.ts';

const [hyderabad] = demoTenants;
const LIVE_WITHIN_MS = 5000;

interface TracedPipe {
  readonly code: string;
  readonly depth: number;
}

const byDepthThenCode = (a: TracedPipe, b: TracedPipe): number =>
  a.depth - b.depth || (a.code < b.code ? -1 : a.code > b.code ? 1 : 0);

/**
 * Every pipe downstream of every pipeline of the tenant, with its fewest hops: water flows along a pipe from its
 * `from` asset to its `to` asset, into each pipe that leaves that asset. Written apart from the server's query
 * (all simple paths, shortest kept), so the two are checked against each other.
 */
async function downstreamOfEveryPipe(tenantSlug: string) {
  return adminRows<{ start_id: string; start_code: string; code: string; depth: number }>(
    `WITH RECURSIVE pipes AS (
       SELECT a.id, a.code, a.from_asset_id, a.to_asset_id FROM assets a JOIN tenants t ON t.id = a.tenant_id
        WHERE t.slug = $1 AND a.kind = 'pipeline'
     ), reach (start_id, id, depth, path) AS (
       SELECT id, id, 0, ARRAY[id] FROM pipes
       UNION ALL
       SELECT r.start_id, n.id, r.depth + 1, r.path || n.id
         FROM reach r JOIN pipes p ON p.id = r.id JOIN pipes n ON n.from_asset_id = p.to_asset_id
        WHERE n.id <> ALL (r.path)
     )
     SELECT r.start_id, s.code AS start_code, p.code, min(r.depth)::int AS depth
       FROM reach r JOIN pipes p ON p.id = r.id JOIN pipes s ON s.id = r.start_id
      GROUP BY r.start_id, s.code, p.code`,
    [tenantSlug],
  );
}

/** The point assets the traced pipes lead into, as codes. */
async function assetsFedBy(pipeCodes: readonly string[], tenantSlug: string): Promise<string[]> {
  const rows = await adminRows<{ code: string }>(
    `SELECT DISTINCT fed.code FROM assets p JOIN tenants t ON t.id = p.tenant_id JOIN assets fed ON fed.id = p.to_asset_id
      WHERE t.slug = $1 AND p.kind = 'pipeline' AND p.code = ANY($2::text[])`,
    [tenantSlug, pipeCodes],
  );
  return rows.map((row) => row.code).sort();
}

async function apiJson<T>(url: string, token: string): Promise<T> {
  const response = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
  if (!response.ok) throw new Error(`${url}: ${String(response.status)} ${await response.text()}`);
  return (await response.json()) as T;
}

/** What a click on an export button saves. */
async function downloadOf(page: Page, button: Locator): Promise<{ name: string; bytes: Buffer }> {
  const [download] = await Promise.all([page.waitForEvent('download'), button.click()]);
  const file = await download.path();
  return { name: download.suggestedFilename(), bytes: await readFile(file) };
}

/** A level series of a device that signs in to the broker with the demo secret and has no calibration. */
async function mqttLevelSeries(tenantSlug: string) {
  const [series] = await adminRows<{ id: number; device_id: string; last: number | null }>(
    `SELECT s.id, s.device_id,
            (SELECT value FROM telemetry r WHERE r.series_id = s.id ORDER BY time DESC LIMIT 1) AS last
       FROM series s JOIN tenants t ON t.id = s.tenant_id JOIN metrics m ON m.id = s.metric_id
       JOIN devices d ON d.id = s.device_id
      WHERE t.slug = $1 AND m.key = 'level_cm' AND d.transport = 'mqtt' AND d.disabled_at IS NULL
        AND d.credential_hash IS NOT NULL AND NOT EXISTS (SELECT 1 FROM calibrations c WHERE c.series_id = s.id)
      ORDER BY s.id LIMIT 1`,
    [tenantSlug],
  );
  if (!series) throw new Error('no MQTT level series in the seed');
  return series;
}

async function openTrend(page: Page, baseUrl: string, seriesId: number): Promise<Locator> {
  await page.goto(`${baseUrl}/?view=trends&series=${String(seriesId)}`);
  const points = page.getByTestId('trend-points');
  await expect
    .poll(async () => Number(await points.getAttribute('data-points')), { timeout: 30_000 })
    .toBeGreaterThan(0);
  return points;
}

describe('the downstream trace, the live trend and the trend exports', () => {
  const suite = consoleSuite();

  it('lists the downstream trace of a seeded pipe as the API and an independent graph query have it', async () => {
    const reach = await downstreamOfEveryPipe(hyderabad.slug);
    const traces = new Map<string, { code: string; pipes: TracedPipe[] }>();
    for (const row of reach) {
      const trace = traces.get(row.start_id) ?? { code: row.start_code, pipes: [] };
      trace.pipes.push({ code: row.code, depth: row.depth });
      traces.set(row.start_id, trace);
    }
    // A pipe with a branching network below it, small enough to read: the largest such trace.
    const [pipeId, chosen] =
      [...traces]
        .filter(([, trace]) => trace.pipes.length >= 4 && trace.pipes.length <= 30)
        .sort(([, a], [, b]) => b.pipes.length - a.pipes.length || (a.code < b.code ? -1 : 1))[0] ?? [];
    if (!pipeId || !chosen) throw new Error('no seeded pipe has a downstream network of 4 to 30 pipes');
    const expected = [...chosen.pipes].sort(byDepthThenCode);

    const page = await signIn(suite.browser, suite.server.url, demoEmail('supervisor', hyderabad));
    await page.goto(`${suite.server.url}/?view=map`);
    await page
      .getByTestId('tenant-map')
      .and(page.locator('[data-map-ready="true"]'))
      .waitFor({ timeout: 60_000 });
    await page.getByLabel('Find asset').fill(chosen.code);
    await page.getByRole('list', { name: 'Assets found' }).locator(`[data-asset-id="${pipeId}"]`).click();
    const detail = page.getByRole('complementary', { name: `Asset ${chosen.code}` });
    await detail.getByRole('button', { name: 'Trace downstream' }).click();
    const result = page.locator(`[data-testid="trace-result"][data-pipe-id="${pipeId}"]`);
    await result.waitFor({ timeout: 10_000 });

    const shown = await result
      .getByTestId('trace-pipe-list')
      .locator('li')
      .evaluateAll((items) =>
        items.map((item) => ({
          code: item.getAttribute('data-code') ?? '',
          depth: Number(item.getAttribute('data-depth')),
        })),
      );
    const token = await accessToken(suite.server.url, demoEmail('supervisor', hyderabad));
    const answer = await apiJson<DownstreamTrace>(
      `${suite.server.url}/api/v1/spatial/pipes/${pipeId}/downstream`,
      token,
    );
    expect(shown).toEqual(answer.pipes.map(({ code, depth }) => ({ code, depth })));
    expect(Number(await result.getByTestId('trace-pipes').textContent())).toBe(shown.length);
    expect([...shown].sort(byDepthThenCode)).toEqual(expected);
    expect(shown[0]).toEqual({ code: chosen.code, depth: 0 });

    const shownAssets = await result
      .getByTestId('trace-asset-list')
      .locator('li')
      .evaluateAll((items) => items.map((item) => item.getAttribute('data-code') ?? ''));
    expect(shownAssets).toEqual(answer.assets.map((asset) => asset.code));
    expect([...shownAssets].sort()).toEqual(
      await assetsFedBy(
        expected.map((pipe) => pipe.code),
        hyderabad.slug,
      ),
    );
    await screenshot(page, 'map-downstream-trace');
    await page.context().close();
  });

  it('shows a reading published over MQTT on the live trend within seconds, without a reload', async () => {
    const series = await mqttLevelSeries(hyderabad.slug);
    const page = await signIn(suite.browser, suite.server.url, demoEmail('operator', hyderabad));
    const frames = { sent: [] as string[], received: [] as string[] };
    page.on('websocket', (socket) => {
      socket.on('framesent', ({ payload }) => frames.sent.push(payload.toString()));
      socket.on('framereceived', ({ payload }) => frames.received.push(payload.toString()));
    });
    await openTrend(page, suite.server.url, series.id);
    await page.evaluate(() => {
      (window as unknown as Record<string, unknown>).e2eSamePage = true;
    });
    await page.getByRole('checkbox', { name: 'Live' }).check();
    const live = page.getByTestId('trend-live');
    await expect.poll(() => live.getAttribute('data-state'), { timeout: 10_000 }).toBe('live');

    // Close to the tank's own level, so no alarm is raised; two decimals make it recognisable.
    const level = Math.round(((series.last ?? 300) + 0.37) * 100) / 100;
    const device = await connectDemoDevice(suite.server.mqttUrl, series.device_id);
    const publishedAt = Date.now();
    try {
      await device.publishAsync(
        `devices/${series.device_id}/telemetry`,
        JSON.stringify({ values: { level_cm: level } }),
        { qos: 1 },
      );
    } finally {
      await device.endAsync();
    }
    const reading = live.locator(`[data-series-id="${String(series.id)}"]`);
    await expect
      .poll(() => reading.getAttribute('data-value'), { timeout: LIVE_WITHIN_MS })
      .toBe(String(level));
    const shownAfterMs = Date.now() - publishedAt;
    console.info(`MQTT publish to live trend: ${String(shownAfterMs)} ms`);

    const shownAt = Number(await reading.getAttribute('data-time'));
    const [stored] = await adminRows<{ at: number; value: number }>(
      `SELECT (extract(epoch FROM time) * 1000)::float8 AS at, value FROM telemetry
        WHERE series_id = $1 ORDER BY time DESC LIMIT 1`,
      [series.id],
    );
    expect(stored).toEqual({ at: shownAt, value: level });
    expect(Math.abs(shownAt - publishedAt)).toBeLessThan(LIVE_WITHIN_MS);
    // It came over the console's socket: subscribed with an acknowledgement, pushed as a `telemetry` event.
    const subscribe = `["telemetry:subscribe",{"seriesIds":[${String(series.id)}]}]`;
    expect(frames.sent.some((frame) => /^42\d+\[/.test(frame) && frame.endsWith(subscribe))).toBe(true);
    const pushed = `[${String(series.id)},${String(shownAt)},${String(level)}]`;
    expect(
      frames.received.some((frame) => frame.startsWith('42["telemetry",') && frame.includes(pushed)),
    ).toBe(true);
    expect(await page.evaluate(() => (window as unknown as Record<string, unknown>).e2eSamePage)).toBe(true);
    await screenshot(page, 'trend-live-mqtt-reading');
    await page.context().close();
  });

  it('exports the CSV the API answers for the same series, range and resolution, and a PNG of the chart', async () => {
    const series = await mqttLevelSeries(hyderabad.slug);
    const page = await signIn(suite.browser, suite.server.url, demoEmail('operator', hyderabad));
    const points = await openTrend(page, suite.server.url, series.id);
    await page.getByRole('button', { name: '7 d' }).click();
    await expect.poll(() => points.textContent(), { timeout: 30_000 }).not.toContain('loading');
    const request = JSON.parse((await points.getAttribute('data-request')) ?? '{}') as Record<string, string>;
    expect(request.series).toBe(String(series.id));

    const csv = await downloadOf(page, page.getByRole('button', { name: 'CSV' }));
    expect(csv.name).toBe('trend.csv');
    const token = await accessToken(suite.server.url, demoEmail('operator', hyderabad));
    const query = new URLSearchParams({ ...request, format: 'csv' });
    const response = await fetch(`${suite.server.url}/api/v1/telemetry?${query.toString()}`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(response.status).toBe(200);
    const exported = csv.bytes.toString('utf8').trimEnd().split('\n');
    const answered = (await response.text()).trimEnd().split('\n');
    expect(exported[0]).toBe('time,series_id,metric,unit,mean,min,max,count');
    expect(exported).toEqual(answered);
    // The rows are the chart's points, at the chart's resolution.
    expect(exported.length - 1).toBe(Number(await points.getAttribute('data-points')));
    const json = await apiJson<{ series: { resolution: string; points: unknown[] }[] }>(
      `${suite.server.url}/api/v1/telemetry?${new URLSearchParams(request).toString()}`,
      token,
    );
    expect(json.series[0]?.resolution).toBe(await points.getAttribute('data-resolution'));
    expect(json.series[0]?.points.length).toBe(exported.length - 1);

    const png = await downloadOf(page, page.getByRole('button', { name: 'PNG' }));
    expect(png.name).toBe('trend.png');
    expect(png.bytes.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
    // IHDR: width and height of the chart at twice its pixels.
    expect(png.bytes.readUInt32BE(16)).toBeGreaterThan(400);
    expect(png.bytes.readUInt32BE(20)).toBeGreaterThan(400);
    expect(png.bytes.length).toBeGreaterThan(10_000);
    await page.context().close();
  });
});
