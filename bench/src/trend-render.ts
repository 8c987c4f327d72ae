import os from 'node:os';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { demoEmail, demoTenants } from '@tidewatch/db/testing';
import { provisionDevices } from '@tidewatch/server/testing/provision-devices';
import type { TelemetryResponse, TokenResponse } from '@tidewatch/shared';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import type { Page } from 'playwright-core';
import { consoleServer, launchChromium, signedInPage } from './console-page.ts';
import { writeResults } from './results-file.ts';
import { machineInfo, percentile, round } from './stats.ts';

// Trend rendering: one series of BENCH_TREND_MINUTES (525,600: a year at one reading a minute) with a daily cycle
// is COPYed into a fresh database and its rollups rebuilt. Then GET /api/v1/telemetry is timed BENCH_REPEATS (5)
// times for a year, 30 days, 7 days, a day and an hour (the server picks 1h, 1m or raw rows), and the console's
// trend view in Chromium is timed from a preset click (1 y, 7 d) or a wheel zoom to the drawn chart, with the
// echarts setOption time the chart records. Writes bench/results/trend-render.json.

const minutes = Number(process.env.BENCH_TREND_MINUTES ?? 525_600);
const repeats = Number(process.env.BENCH_REPEATS ?? 5);
/** About what a 1600-pixel-wide chart asks for (one point per two pixels). */
const CHART_POINTS = 800;
const MINUTE_MS = 60_000;
const POLL_MS = 20;
const DAY_MS = 86_400_000;
const [hyderabad] = demoTenants;

/** A tank level in cm: a daily fill-and-draw cycle, a slow seasonal drift and some noise. */
function levelAt(time: number): number {
  const day = (2 * Math.PI * (time % DAY_MS)) / DAY_MS;
  const season = (2 * Math.PI * time) / (365 * DAY_MS);
  return round(250 + 80 * Math.sin(day) + 30 * Math.sin(season) + 6 * (Math.random() - 0.5), 2);
}

/** COPYs a reading a minute ending at `end` for the series, then rebuilds its rollups; milliseconds of each. */
async function loadYear(adminUrl: string, seriesId: number, start: number, end: number) {
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    const dayOf = (ms: number) => new Date(ms).toISOString().slice(0, 10);
    await admin.query('SELECT telemetry_ensure_partitions($1::date, $2::date)', [
      dayOf(start - DAY_MS),
      dayOf(end + DAY_MS),
    ]);
    function* lines(): Generator<string> {
      for (let time = start; time < end; time += MINUTE_MS)
        yield `${String(seriesId)}\t${new Date(time).toISOString()}\t${String(levelAt(time))}\n`;
    }
    const copyStarted = performance.now();
    await pipeline(
      Readable.from(lines()),
      admin.query(copyFrom('COPY telemetry (series_id, time, value) FROM STDIN')),
    );
    const copyMs = performance.now() - copyStarted;
    const rollupStarted = performance.now();
    await admin.query('SELECT telemetry_rebuild_rollups($1::int[], $2, $3)', [
      [seriesId],
      new Date(start),
      new Date(end),
    ]);
    const rollupMs = performance.now() - rollupStarted;
    await admin.query('ANALYZE telemetry_1m');
    await admin.query('ANALYZE telemetry_1h');
    return { copyMs: round(copyMs, 0), rollupRebuildMs: round(rollupMs, 0) };
  } finally {
    await admin.end();
  }
}

async function accessToken(serverUrl: string, email: string): Promise<string> {
  const login = await fetch(`${serverUrl}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password: 'tidewatch-demo' }),
  });
  if (!login.ok) throw new Error(`login: HTTP ${String(login.status)}`);
  return ((await login.json()) as TokenResponse).accessToken;
}

/** The trend endpoint over the last `spanMs` before `end`, `repeats` times: latency, resolution, size. */
async function timeQuery(
  serverUrl: string,
  token: string,
  seriesId: number,
  end: number,
  spanMs: number,
  maxPoints: number,
) {
  const query = new URLSearchParams({
    series: String(seriesId),
    from: new Date(end - spanMs).toISOString(),
    to: new Date(end).toISOString(),
    maxPoints: String(maxPoints),
  });
  const times: number[] = [];
  let last: { trend: TelemetryResponse; bytes: number } | null = null;
  for (let i = 0; i < repeats; i += 1) {
    const started = performance.now();
    const response = await fetch(`${serverUrl}/api/v1/telemetry?${query.toString()}`, {
      headers: { authorization: `Bearer ${token}` },
    });
    const body = await response.text();
    times.push(performance.now() - started);
    if (!response.ok) throw new Error(`telemetry: HTTP ${String(response.status)} ${body}`);
    last = { trend: JSON.parse(body) as TelemetryResponse, bytes: body.length };
  }
  times.sort((a, b) => a - b);
  const series = last?.trend.series[0];
  return {
    maxPoints,
    resolution: series?.resolution ?? '',
    bucketSeconds: series?.bucketSeconds ?? 0,
    points: series?.points.length ?? 0,
    readingsCovered: series?.points.reduce((sum, point) => sum + point[4], 0) ?? 0,
    bytes: last?.bytes ?? 0,
    latencyMs: { p50: round(percentile(times, 0.5)), max: round(times.at(-1) ?? Number.NaN) },
  };
}

/** What the trend view shows now: its point count, resolution, whether it is loading, the last setOption time. */
async function trendState(page: Page) {
  const points = page.getByTestId('trend-points');
  return {
    points: Number(await points.getAttribute('data-points')),
    resolution: (await points.getAttribute('data-resolution')) ?? '',
    loading: ((await points.textContent()) ?? '').includes('loading'),
    renderMs: Number(await page.getByTestId('trend-chart').getAttribute('data-render-ms')),
  };
}

/** Runs `act` and waits until the view shows another trend than before (to about POLL_MS); the wall time and state. */
async function timeChartUpdate(page: Page, act: () => Promise<void>) {
  const before = await trendState(page);
  const started = performance.now();
  await act();
  // Polled from here: the console's CSP forbids the string evaluation a page-side wait would need.
  const deadline = started + 120_000;
  for (;;) {
    const now = await trendState(page);
    if (!now.loading && (now.resolution !== before.resolution || now.points !== before.points)) break;
    if (performance.now() > deadline) throw new Error('the trend did not change');
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
  // The chart draws in the same React commit that changes the count; one frame more to be sure it is painted.
  await page.evaluate('new Promise((resolve) => requestAnimationFrame(() => resolve(null)))');
  const wallMs = round(performance.now() - started, 0);
  const after = await trendState(page);
  return {
    wallMs,
    points: after.points,
    resolution: after.resolution,
    echartsSetOptionMs: after.renderMs,
  };
}

const loadBefore = os.loadavg();
const { database, server, stop } = await consoleServer();
const browser = await launchChromium();
try {
  const [device] = await provisionDevices(database.adminUrl, {
    tenantSlug: hyderabad.slug,
    count: 1,
    metricKeys: ['level_cm'],
    secret: 'bench-trend-device-secret',
    label: 'Bench trend',
  });
  const seriesId = device?.series.level_cm;
  if (seriesId === undefined) throw new Error('the bench series was not made');
  const end = Math.floor(Date.now() / MINUTE_MS) * MINUTE_MS;
  const start = end - minutes * MINUTE_MS;
  const load = await loadYear(database.adminUrl, seriesId, start, end);

  await server.start();
  // A supervisor sees every zone; the bench device belongs to no asset, so no zone.
  const email = demoEmail('supervisor', hyderabad);
  const token = await accessToken(server.url, email);
  const span = end - start;
  const queries = {
    fullRange: await timeQuery(server.url, token, seriesId, end, span, CHART_POINTS),
    fullRangeMostPoints: await timeQuery(server.url, token, seriesId, end, span, 20_000),
    days30: await timeQuery(server.url, token, seriesId, end, 30 * DAY_MS, CHART_POINTS),
    days7: await timeQuery(server.url, token, seriesId, end, 7 * DAY_MS, CHART_POINTS),
    day: await timeQuery(server.url, token, seriesId, end, DAY_MS, CHART_POINTS),
    hour: await timeQuery(server.url, token, seriesId, end, 3_600_000, CHART_POINTS),
  };

  const page = await signedInPage(browser, server.url, email);
  await page.goto(`${server.url}/?view=trends&series=${String(seriesId)}`);
  await page.getByTestId('trend-chart').waitFor({ timeout: 60_000 });
  const render = {
    preset1y: await timeChartUpdate(page, () => page.getByRole('button', { name: '1 y' }).click()),
    wheelZoomIn: await timeChartUpdate(page, async () => {
      const box = await page.getByTestId('trend-chart').boundingBox();
      if (!box) throw new Error('no chart box');
      await page.mouse.move(box.x + box.width / 2, box.y + box.height / 3);
      for (let i = 0; i < 8; i += 1) await page.mouse.wheel(0, -400);
    }),
    preset7d: await timeChartUpdate(page, () => page.getByRole('button', { name: '7 d' }).click()),
  };

  const result = {
    benchmark: 'trend-render',
    at: new Date().toISOString(),
    note:
      `One series of ${String(minutes)} one-minute readings (a year) in a fresh database. Query latency is ` +
      'GET /api/v1/telemetry end to end (HTTP, RLS context, the rollup or raw table the server picks, JSON). ' +
      'Render is the console in headless Chromium: wall time from the click or wheel to the painted chart ' +
      '(including the request and, for the wheel, the 400 ms settle before it asks), and the echarts setOption ' +
      'time the chart records. The server, PostgreSQL and Chromium share the machine.',
    machine: machineInfo(),
    loadAverage: { before: loadBefore.map((v) => round(v, 2)), after: os.loadavg().map((v) => round(v, 2)) },
    readings: minutes,
    load,
    queries,
    render,
  };
  await writeResults('trend-render', result);
  console.log(JSON.stringify(result, null, 2));
} finally {
  await browser.close();
  await stop();
}
