import { writeFile } from 'node:fs/promises';
import os from 'node:os';
import { demoEmail, demoTenants } from '@tidewatch/db/testing';
import type { Page } from 'playwright-core';
import {
  consoleServer,
  launchChromium,
  sampleFrames,
  signedInPage,
  summarizeFrames,
} from './console-page.ts';
import { insertNetwork } from './map-network.ts';
import { writeResults } from './results-file.ts';
import { machineInfo, percentile, round } from './stats.ts';

// Map rendering: BENCH_MAP_ASSETS (100,000) point assets and BENCH_MAP_SEGMENTS (50,000) pipeline segments are
// inserted into a fresh database for one tenant, then the real console opens `?view=map` in Chromium (WebGL2 in
// software) and draws them from the server's vector tiles (GET /api/v1/map/tiles/{z}/{x}/{y}.mvt) like an
// operator's console would. Measures the time from navigation to the first frame with the network's tiles drawn,
// the tiles and bytes of that first view, each tile's answer time as the page saw it, and requestAnimationFrame
// deltas while idle and while dragging the map for BENCH_PAN_S (8) seconds. Writes bench/results/map-render.json.

const assetCount = Number(process.env.BENCH_MAP_ASSETS ?? 100_000);
const segmentCount = Number(process.env.BENCH_MAP_SEGMENTS ?? 50_000);
const panSeconds = Number(process.env.BENCH_PAN_S ?? 8);
const IDLE_MS = 3000;
const PAN_RADIUS_PX = 160;
const PAN_STEP_MS = 16;
const [hyderabad] = demoTenants;

/** Drags the map round in a circle, one small step a frame, until `durationMs` have passed. */
async function dragInCircles(
  page: Page,
  box: { x: number; y: number; width: number; height: number },
  durationMs: number,
): Promise<number> {
  const cx = box.x + box.width / 2;
  const cy = box.y + box.height / 2;
  await page.mouse.move(cx + PAN_RADIUS_PX, cy);
  await page.mouse.down();
  const started = performance.now();
  let moves = 0;
  while (performance.now() - started < durationMs) {
    const angle = ((performance.now() - started) / 2000) * 2 * Math.PI;
    await page.mouse.move(cx + PAN_RADIUS_PX * Math.cos(angle), cy + PAN_RADIUS_PX * Math.sin(angle));
    moves += 1;
    await new Promise((resolve) => setTimeout(resolve, PAN_STEP_MS));
  }
  await page.mouse.up();
  return moves;
}

function tileSummary(ms: readonly number[]) {
  const sorted = [...ms].sort((a, b) => a - b);
  return {
    p50: round(percentile(sorted, 0.5)),
    p95: round(percentile(sorted, 0.95)),
    max: round(sorted.at(-1) ?? 0),
  };
}

const loadBefore = os.loadavg();
const { database, server, stop } = await consoleServer();
const browser = await launchChromium();
try {
  const insertStarted = performance.now();
  await insertNetwork(database.adminUrl, assetCount, segmentCount);
  const insertMs = round(performance.now() - insertStarted, 0);
  await server.start();
  const email = demoEmail('supervisor', hyderabad);

  const page = await signedInPage(browser, server.url, email);
  // Each network tile as the page fetched it: when asked, when answered, and its bytes on the wire.
  const tiles: { url: string; startedAt: number; ms: number; wireBytes: number; status: number }[] = [];
  const asked = new Map<string, number>();
  page.on('request', (request) => {
    if (request.url().includes('/api/v1/map/tiles/')) asked.set(request.url(), performance.now());
  });
  page.on('requestfinished', (request) => {
    if (!request.url().includes('/api/v1/map/tiles/')) return;
    void Promise.all([request.response(), request.sizes()]).then(([response, sizes]) => {
      const startedAt = asked.get(request.url()) ?? performance.now();
      tiles.push({
        url: request.url(),
        startedAt,
        ms: performance.now() - startedAt,
        wireBytes: Number(response?.headers()['content-length'] ?? sizes.responseBodySize),
        status: response?.status() ?? 0,
      });
    });
  });
  // BENCH_MAP_PROFILE=<file>: a CPU profile of the page from navigation to the end of panning (DevTools format).
  const profiler = process.env.BENCH_MAP_PROFILE ? await page.context().newCDPSession(page) : null;
  if (profiler) {
    await profiler.send('Profiler.enable');
    await profiler.send('Profiler.start');
  }
  const navigated = performance.now();
  await page.goto(`${server.url}/?view=map`);
  await page.locator('[data-testid="tenant-map"][data-map-ready="true"]').waitFor({ timeout: 120_000 });
  const firstRenderMs = round(performance.now() - navigated, 0);
  await new Promise((resolve) => setTimeout(resolve, 1000));
  const firstViewTiles = [...tiles];
  const firstView = {
    tiles: firstViewTiles.length,
    wireBytes: firstViewTiles.reduce((sum, tile) => sum + Math.max(0, tile.wireBytes), 0),
    tileMs: tileSummary(firstViewTiles.map((tile) => tile.ms)),
    zooms: [...new Set(firstViewTiles.map((tile) => /tiles\/(\d+)\//.exec(tile.url)?.[1] ?? '?'))],
    // When the page asked for the first tile and when the last answer came, from navigation: where the first
    // render's time goes (before the tiles, waiting for them, or drawing them after).
    firstAskedMs: round(Math.min(...firstViewTiles.map((tile) => tile.startedAt)) - navigated, 0),
    lastAnsweredMs: round(Math.max(...firstViewTiles.map((tile) => tile.startedAt + tile.ms)) - navigated, 0),
  };

  // Measured before the frames are: a busy page may not answer a locator within its timeout.
  const mapBox = await page.getByTestId('tenant-map').boundingBox({ timeout: 120_000 });
  if (!mapBox) throw new Error('no map box');
  const idle = summarizeFrames(await sampleFrames(page, IDLE_MS), IDLE_MS);
  const panMs = panSeconds * 1000;
  const [panSample, dragMoves] = await Promise.all([
    sampleFrames(page, panMs),
    dragInCircles(page, mapBox, panMs),
  ]);
  const panning = summarizeFrames(panSample, panMs);
  await new Promise((resolve) => setTimeout(resolve, 2000));
  const panTiles = tiles.slice(firstViewTiles.length);
  if (profiler && process.env.BENCH_MAP_PROFILE) {
    const { profile } = await profiler.send('Profiler.stop');
    await writeFile(process.env.BENCH_MAP_PROFILE, JSON.stringify(profile));
  }

  const result = {
    benchmark: 'map-render',
    at: new Date().toISOString(),
    note:
      `The console's map in headless Chromium (WebGL2 through SwiftShader, no GPU) with ${String(assetCount)} ` +
      `point assets and ${String(segmentCount)} pipeline segments (plus the seeded network) read from ` +
      'the vector tiles of GET /api/v1/map/tiles (MapLibre layers); first render is navigation to the first frame ' +
      "with the network's tiles of the fitted view drawn; tile times are request to answer as the page saw " +
      'them (six at a time, as a browser fetches); frame times are requestAnimationFrame deltas. The server, ' +
      'PostgreSQL and Chromium share a 2-core machine that other work was loading: indicative figures.',
    machine: machineInfo(),
    loadAverage: { before: loadBefore.map((v) => round(v, 2)), after: os.loadavg().map((v) => round(v, 2)) },
    assets: assetCount,
    segments: segmentCount,
    insertMs,
    firstRender: { firstRenderMs },
    firstView,
    panTiles: { tiles: panTiles.length, tileMs: tileSummary(panTiles.map((tile) => tile.ms)) },
    idle,
    panning: { ...panning, seconds: panSeconds, dragMoves },
  };
  await writeResults('map-render', result);
  console.log(JSON.stringify(result, null, 2));
} finally {
  await browser.close();
  await stop();
}
