import os from 'node:os';
import { createTestDatabase, demoEmail } from '@tidewatch/db/testing';
import { freePort } from '@tidewatch/server/testing/ports';
import { ServerProcess } from '@tidewatch/server/testing/server-process';
import type { TokenResponse } from '@tidewatch/shared';
import { hyderabad, insertNetwork, SPAN_DEGREES } from './map-network.ts';
import { writeResults } from './results-file.ts';
import { machineInfo, percentile, round } from './stats.ts';

// Network vector tiles: BENCH_MAP_ASSETS (100,000) point assets and BENCH_MAP_SEGMENTS (50,000) pipeline segments
// are inserted into a fresh database for one tenant (the same synthetic network as map-render), then tiles are
// fetched from GET /api/v1/map/tiles/{z}/{x}/{y}.mvt one at a time: per zoom level, up to BENCH_TILES_PER_ZOOM
// (120) tiles spread over the network, cold (cut by PostGIS) and warm (from the server's tile cache). Then the
// first view of a 1600×900 console fitted to the network: its tiles fetched six at a time as a browser does,
// with the bytes on the wire. Writes bench/results/map-tiles.json.

const assetCount = Number(process.env.BENCH_MAP_ASSETS ?? 100_000);
const segmentCount = Number(process.env.BENCH_MAP_SEGMENTS ?? 50_000);
const tilesPerZoom = Number(process.env.BENCH_TILES_PER_ZOOM ?? 120);
const ZOOMS = [8, 10, 11, 12, 13, 14, 15, 16];
const FIRST_VIEW = { zoom: 11, width: 1600, height: 900 };
/** MapLibre draws vector tiles 512 pixels wide. */
const TILE_PIXELS = 512;
const BROWSER_PARALLEL = 6;

interface Tile {
  readonly z: number;
  readonly x: number;
  readonly y: number;
}

/** World pixel coordinates of a longitude and latitude at a zoom (web mercator, 512-pixel tiles). */
function worldPixel(lng: number, lat: number, z: number): [number, number] {
  const size = TILE_PIXELS * 2 ** z;
  const rad = (lat * Math.PI) / 180;
  return [
    ((lng + 180) / 360) * size,
    ((1 - Math.log(Math.tan(rad) + 1 / Math.cos(rad)) / Math.PI) / 2) * size,
  ];
}

/** The tiles over a pixel box at a zoom. */
function tilesOver(z: number, [left, top]: [number, number], [right, bottom]: [number, number]): Tile[] {
  const tiles: Tile[] = [];
  for (let x = Math.floor(left / TILE_PIXELS); x <= Math.floor(right / TILE_PIXELS); x += 1)
    for (let y = Math.floor(top / TILE_PIXELS); y <= Math.floor(bottom / TILE_PIXELS); y += 1)
      tiles.push({ z, x, y });
  return tiles;
}

/** Up to `count` of the tiles over the network at a zoom, evenly spread. */
function networkTiles(z: number, count: number): Tile[] {
  const [lng, lat] = hyderabad.center;
  const half = SPAN_DEGREES / 2;
  const all = tilesOver(z, worldPixel(lng - half, lat + half, z), worldPixel(lng + half, lat - half, z));
  if (all.length <= count) return all;
  return Array.from({ length: count }, (_, i) => all[Math.floor((i * all.length) / count)] as Tile);
}

interface Fetched {
  readonly ms: number;
  readonly status: number;
  /** Bytes on the wire (gzipped). */
  readonly wireBytes: number;
  readonly etag: string | null;
}

async function fetchTile(baseUrl: string, token: string, tile: Tile, etag?: string): Promise<Fetched> {
  const started = performance.now();
  const response = await fetch(
    `${baseUrl}/api/v1/map/tiles/${String(tile.z)}/${String(tile.x)}/${String(tile.y)}.mvt`,
    {
      headers: {
        authorization: `Bearer ${token}`,
        'accept-encoding': 'gzip',
        ...(etag ? { 'if-none-match': etag } : {}),
      },
    },
  );
  await response.arrayBuffer();
  if (![200, 204, 304].includes(response.status)) throw new Error(`tile: HTTP ${String(response.status)}`);
  return {
    ms: performance.now() - started,
    status: response.status,
    wireBytes: Number(response.headers.get('content-length') ?? 0),
    etag: response.headers.get('etag'),
  };
}

function summary(samples: readonly Fetched[]) {
  const ms = samples.map((s) => s.ms).sort((a, b) => a - b);
  return { p50: round(percentile(ms, 0.5)), p95: round(percentile(ms, 0.95)), max: round(ms.at(-1) ?? 0) };
}

/** Fetches tiles `parallel` at a time; the wall time until the last arrived, and each answer. */
async function fetchView(
  baseUrl: string,
  token: string,
  tiles: readonly Tile[],
  etags?: Map<string, string>,
) {
  const started = performance.now();
  const answers: Fetched[] = [];
  const queue = [...tiles];
  await Promise.all(
    Array.from({ length: BROWSER_PARALLEL }, async () => {
      for (let tile = queue.shift(); tile; tile = queue.shift()) {
        answers.push(await fetchTile(baseUrl, token, tile, etags?.get(JSON.stringify(tile))));
      }
    }),
  );
  return { ms: round(performance.now() - started, 0), answers };
}

const loadBefore = os.loadavg();
const database = await createTestDatabase({ seed: true });
const server = new ServerProcess({
  port: await freePort(),
  mqttPort: await freePort(),
  databaseUrl: database.appUrl,
  env: { ALERT_ENGINE_ENABLED: 'false' },
});
try {
  const insertStarted = performance.now();
  await insertNetwork(database.adminUrl, assetCount, segmentCount);
  const insertMs = round(performance.now() - insertStarted, 0);
  await server.start();
  const login = await fetch(`${server.url}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      email: demoEmail('supervisor', hyderabad),
      password: 'tidewatch-demo',
    }),
  });
  const { accessToken: token } = (await login.json()) as TokenResponse;

  // The first view first, while every cache is cold.
  const [lng, lat] = hyderabad.center;
  const [cx, cy] = worldPixel(lng, lat, FIRST_VIEW.zoom);
  const viewTiles = tilesOver(
    FIRST_VIEW.zoom,
    [cx - FIRST_VIEW.width / 2, cy - FIRST_VIEW.height / 2],
    [cx + FIRST_VIEW.width / 2, cy + FIRST_VIEW.height / 2],
  );
  const cold = await fetchView(server.url, token, viewTiles);
  const warm = await fetchView(server.url, token, viewTiles);
  const etags = new Map(
    viewTiles.map((tile, i) => [JSON.stringify(tile), cold.answers[i]?.etag ?? ''] as [string, string]),
  );
  // Answers arrive out of order: revalidate with each tile's own ETag, fetched once more in order.
  for (const tile of viewTiles) {
    const answer = await fetchTile(server.url, token, tile);
    etags.set(JSON.stringify(tile), answer.etag ?? '');
  }
  const revalidated = await fetchView(server.url, token, viewTiles, etags);
  const firstView = {
    zoom: FIRST_VIEW.zoom,
    tiles: viewTiles.length,
    coldMs: cold.ms,
    warmMs: warm.ms,
    revalidatedMs: revalidated.ms,
    notModified: revalidated.answers.filter((a) => a.status === 304).length,
    wireBytes: cold.answers.reduce((n, a) => n + a.wireBytes, 0),
  };

  const zooms: Record<string, unknown> = {};
  for (const z of ZOOMS) {
    const tiles = networkTiles(z, tilesPerZoom);
    const coldAnswers: Fetched[] = [];
    for (const tile of tiles) coldAnswers.push(await fetchTile(server.url, token, tile));
    const warmAnswers: Fetched[] = [];
    for (const tile of tiles) warmAnswers.push(await fetchTile(server.url, token, tile));
    const bytes = coldAnswers.map((a) => a.wireBytes).sort((a, b) => a - b);
    zooms[`z${String(z)}`] = {
      tiles: tiles.length,
      coldLatencyMs: { p50: summary(coldAnswers).p50, p95: summary(coldAnswers).p95 },
      warmLatencyMs: { p50: summary(warmAnswers).p50, p95: summary(warmAnswers).p95 },
      wireKiB: { p50: round(percentile(bytes, 0.5) / 1024), max: round((bytes.at(-1) ?? 0) / 1024) },
    };
  }

  const result = {
    benchmark: 'map-tiles',
    at: new Date().toISOString(),
    note:
      `Network vector tiles (GET /api/v1/map/tiles/{z}/{x}/{y}.mvt) over ${String(assetCount)} point assets and ` +
      `${String(segmentCount)} pipeline segments (plus the seeded network) in a 0.3° square, as a supervisor of the ` +
      'whole tenant; per zoom up to ' +
      `${String(tilesPerZoom)} tiles spread over the network, fetched one at a time: cold = cut by PostGIS ` +
      '(ST_AsMVT, clustered below zoom 12, and at zoom 12 to 14 where a tile holds over 4,096 points), ' +
      'warm = from the tile cache (the version check is still a query). ' +
      `First view: the ${String(viewTiles.length)} tiles of a 1600×900 console at zoom ${String(FIRST_VIEW.zoom)}, ` +
      'six at a time, bytes gzipped on the wire. Server, PostgreSQL and client share a loaded 2-core machine: ' +
      'indicative figures.',
    machine: machineInfo(),
    loadAverage: { before: loadBefore.map((v) => round(v, 2)), after: os.loadavg().map((v) => round(v, 2)) },
    assets: assetCount,
    segments: segmentCount,
    insertMs,
    firstView,
    zooms,
  };
  await writeResults('map-tiles', result);
  console.log(JSON.stringify(result, null, 2));
} finally {
  await server.stop();
  await database.drop();
}
