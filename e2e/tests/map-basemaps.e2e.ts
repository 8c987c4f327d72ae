import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { demoEmail, demoTenants } from '@tidewatch/db/testing';
import { writePmtiles, type ArchiveTile } from '@tidewatch/server/testing/pmtiles-writer';
import { ServerProcess } from '@tidewatch/server/testing/server-process';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { adminRows } from '../src/api.ts';
import { launchBrowser, screenshot } from '../src/browser.ts';
import { signIn } from '../src/console.ts';
import { colourShare, openMap } from '../src/map-page.ts';
import { freePort } from '../src/ports.ts';
import { startTileServer, TILE_RGB, type TileServer } from '../src/tile-server.ts';

const [hyderabad] = demoTenants;
/** The street style's park colour (street-style.ts): nothing else on the map is this green. */
const PARK_RGB = [214, 229, 199] as const;
/** Natural Earth's land (basemap-style.ts). */
const LAND_RGB = [238, 236, 230] as const;
const ARCHIVE_ZOOM = 10;

/** Tiles of one zoom over the tenant, each a park covering the whole tile, cut by PostGIS. */
async function parkTiles(): Promise<ArchiveTile[]> {
  const [lng, lat] = hyderabad.center;
  const n = 2 ** ARCHIVE_ZOOM;
  const x = Math.floor(((lng + 180) / 360) * n);
  const rad = (lat * Math.PI) / 180;
  const y = Math.floor(((1 - Math.log(Math.tan(rad) + 1 / Math.cos(rad)) / Math.PI) / 2) * n);
  const tiles: ArchiveTile[] = [];
  for (const dx of [-1, 0, 1]) {
    for (const dy of [-1, 0, 1]) {
      const [row] = await adminRows<{ mvt: Buffer }>(
        `SELECT ST_AsMVT(t, 'park', 4096, 'geom') AS mvt FROM (
           SELECT 'park'::text AS class, ST_AsMVTGeom(e, e) AS geom FROM ST_TileEnvelope($1, $2, $3) e) t`,
        [ARCHIVE_ZOOM, x + dx, y + dy],
      );
      if (!row) throw new Error('no tile');
      tiles.push({ z: ARCHIVE_ZOOM, x: x + dx, y: y + dy, data: row.mvt });
    }
  }
  return tiles;
}

/** A server of the run's database with its own map settings; stopped by the returned function. */
async function serverWith(env: Record<string, string>): Promise<ServerProcess> {
  const server = new ServerProcess({
    port: await freePort(),
    mqttPort: await freePort(),
    databaseUrl: inject('appUrl'),
    env,
  });
  await server.start();
  return server;
}

describe('the basemap: a tile server, the offline street archive, or Natural Earth', () => {
  let dir: string;
  let archive: string;
  let browser: Browser;
  let tiles: TileServer;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'tidewatch-e2e-basemap-'));
    archive = path.join(dir, 'streets.pmtiles');
    await writeFile(
      archive,
      writePmtiles(await parkTiles(), { vector_layers: [{ id: 'park' }], attribution: '© E2E streets' }),
    );
    tiles = await startTileServer('127.0.0.1');
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser.close();
    await tiles.close();
    await rm(dir, { recursive: true, force: true });
  });

  /** Share of the map's pixels in a colour, once it has drawn the network over its basemap. */
  async function mapShare(server: ServerProcess, rgb: readonly [number, number, number], name: string) {
    const page = await signIn(browser, server.url, demoEmail('operator', hyderabad));
    const basemapRequests: string[] = [];
    page.on('request', (request) => {
      if (/\/api\/v1\/basemap\//.test(request.url())) basemapRequests.push(new URL(request.url()).pathname);
    });
    await openMap(page, `${server.url}/?view=map`);
    const map = page.getByTestId('tenant-map');
    let share = 0;
    await expect
      .poll(
        async () => {
          share = await colourShare(browser, await map.screenshot(), rgb);
          return share;
        },
        { timeout: 30_000 },
      )
      .toBeGreaterThan(0.3);
    await screenshot(page, name);
    await page.context().close();
    return { share, basemapRequests };
  }

  it('draws the offline street archive of MAP_TILES_FILE by default, from this server alone', async () => {
    const server = await serverWith({ MAP_TILES_FILE: archive });
    try {
      const { basemapRequests } = await mapShare(server, PARK_RGB, 'map-offline-streets');
      expect(basemapRequests).toContain('/api/v1/basemap/style.json');
      expect(basemapRequests.some((p) => p.startsWith('/api/v1/basemap/tiles/10/'))).toBe(true);
    } finally {
      await server.stop();
    }
  });

  it("prefers MAP_STYLE_URL's tile server, started by the test, over the archive", async () => {
    const server = await serverWith({
      MAP_TILES_FILE: archive,
      MAP_STYLE_URL: `${tiles.origin}/style.json`,
    });
    try {
      const before = tiles.requests.length;
      const { basemapRequests } = await mapShare(server, TILE_RGB, 'map-tile-server');
      const asked = tiles.requests.slice(before).map((request) => request.path);
      expect(asked).toContain('/style.json');
      expect(asked.some((p) => p.startsWith('/tiles/'))).toBe(true);
      expect(basemapRequests).toEqual([]);
    } finally {
      await server.stop();
    }
  });

  it('falls back to the archive when the tile server is down, and to Natural Earth without an archive', async () => {
    const down = `http://127.0.0.1:${String(await freePort())}/style.json`;
    const withArchive = await serverWith({ MAP_TILES_FILE: archive, MAP_STYLE_URL: down });
    try {
      await mapShare(withArchive, PARK_RGB, 'map-tile-server-down-streets');
    } finally {
      await withArchive.stop();
    }
    const without = await serverWith({ MAP_STYLE_URL: down });
    try {
      const { basemapRequests } = await mapShare(without, LAND_RGB, 'map-natural-earth');
      // Natural Earth's tiles, cut by this server: never the street archive's.
      expect(basemapRequests.length).toBeGreaterThan(0);
      expect(basemapRequests.every((p) => p.startsWith('/api/v1/basemap/natural-earth/'))).toBe(true);
    } finally {
      await without.stop();
    }
  });
});
