import { writeFile } from 'node:fs/promises';
import os from 'node:os';
import { demoEmail, demoTenants } from '@tidewatch/db/testing';
import type { TokenResponse } from '@tidewatch/shared';
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
import { machineInfo, round } from './stats.ts';

// Map rendering: BENCH_MAP_ASSETS (100,000) point assets and BENCH_MAP_SEGMENTS (50,000) pipeline segments are
// inserted into a fresh database for one tenant, then the real console opens `?view=map` in Chromium (WebGL2 in
// software) and reads them through GET /api/v1/map/layers like an operator's console would. Measures the layers
// request, the time from navigation to the first drawn frame, and requestAnimationFrame deltas while idle and
// while dragging the map for BENCH_PAN_S (8) seconds. Writes bench/results/map-render.json.

const assetCount = Number(process.env.BENCH_MAP_ASSETS ?? 100_000);
const segmentCount = Number(process.env.BENCH_MAP_SEGMENTS ?? 50_000);
const panSeconds = Number(process.env.BENCH_PAN_S ?? 8);
const IDLE_MS = 3000;
const PAN_RADIUS_PX = 160;
const PAN_STEP_MS = 16;
const [hyderabad] = demoTenants;

/** The layers endpoint as the console calls it: milliseconds and bytes of the answer. */
async function timeLayersRequest(serverUrl: string, email: string) {
  const login = await fetch(`${serverUrl}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password: 'tidewatch-demo' }),
  });
  const { accessToken } = (await login.json()) as TokenResponse;
  const started = performance.now();
  const response = await fetch(`${serverUrl}/api/v1/map/layers`, {
    headers: { authorization: `Bearer ${accessToken}` },
  });
  const body = await response.arrayBuffer();
  if (!response.ok) throw new Error(`map layers: HTTP ${String(response.status)}`);
  const layers = JSON.parse(new TextDecoder().decode(body)) as {
    points: { count: number };
    pipes: { count: number };
  };
  return {
    ms: round(performance.now() - started, 0),
    bytes: body.byteLength,
    points: layers.points.count,
    pipes: layers.pipes.count,
  };
}

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

const loadBefore = os.loadavg();
const { database, server, stop } = await consoleServer();
const browser = await launchChromium();
try {
  const insertStarted = performance.now();
  await insertNetwork(database.adminUrl, assetCount, segmentCount);
  const insertMs = round(performance.now() - insertStarted, 0);
  await server.start();
  const email = demoEmail('supervisor', hyderabad);
  const layersRequest = await timeLayersRequest(server.url, email);

  const page = await signedInPage(browser, server.url, email);
  const layersInPage = page.waitForResponse((response) => response.url().includes('/api/v1/map/layers'), {
    timeout: 120_000,
  });
  // BENCH_MAP_PROFILE=<file>: a CPU profile of the page from navigation to the end of panning (DevTools format).
  const profiler = process.env.BENCH_MAP_PROFILE ? await page.context().newCDPSession(page) : null;
  if (profiler) {
    await profiler.send('Profiler.enable');
    await profiler.send('Profiler.start');
  }
  const navigated = performance.now();
  await page.goto(`${server.url}/?view=map`);
  const layersResponse = await layersInPage;
  await layersResponse.finished();
  const layersArrivedMs = round(performance.now() - navigated, 0);
  await page.locator('[data-testid="tenant-map"][data-map-ready="true"]').waitFor({ timeout: 120_000 });
  const firstRenderMs = round(performance.now() - navigated, 0);
  await new Promise((resolve) => setTimeout(resolve, 1000));

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
      'GET /api/v1/map/layers; first render is navigation to the first deck.gl frame over the fitted tenant; ' +
      'frame times are requestAnimationFrame deltas. The server, PostgreSQL and Chromium share the machine.',
    machine: machineInfo(),
    loadAverage: { before: loadBefore.map((v) => round(v, 2)), after: os.loadavg().map((v) => round(v, 2)) },
    assets: assetCount,
    segments: segmentCount,
    insertMs,
    layersRequest,
    firstRender: { layersArrivedMs, firstRenderMs },
    idle,
    panning: { ...panning, seconds: panSeconds, dragMoves },
  };
  await writeResults('map-render', result);
  console.log(JSON.stringify(result, null, 2));
} finally {
  await browser.close();
  await stop();
}
