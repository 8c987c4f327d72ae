import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { MapStyle } from '@tidewatch/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PmtilesArchive, tileIdOf } from '../src/modules/basemap/pmtiles-archive.ts';
import type { RunningServer } from '../src/server.ts';
import { adminQuery, Api, startTestServer, tenantB } from './harness.ts';
import { writePmtiles, type ArchiveTile } from '../src/testing/pmtiles-writer.ts';
import { decodeVectorTile } from '../src/testing/vector-tile-decode.ts';

/** A street tile cut by PostGIS: one road of a class across the tile's middle. */
async function roadTile(z: number, x: number, y: number, roadClass: string): Promise<ArchiveTile> {
  const [row] = await adminQuery<{ mvt: Buffer }>(
    `SELECT ST_AsMVT(t, 'transportation', 4096, 'geom') AS mvt FROM (
       SELECT $4::text AS class,
              ST_AsMVTGeom(ST_MakeLine(ST_Centroid(e), ST_Translate(ST_Centroid(e), 50, 50)), e) AS geom
         FROM ST_TileEnvelope($1, $2, $3) e) t`,
    [z, x, y, roadClass],
  );
  if (!row) throw new Error('no tile');
  return { z, x, y, data: row.mvt };
}

describe('the offline street basemap (MAP_TILES_FILE)', () => {
  let dir: string;
  let file: string;
  let server: RunningServer;
  let api: Api;
  let tiles: ArchiveTile[];

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'tidewatch-basemap-'));
    file = path.join(dir, 'streets.pmtiles');
    tiles = [
      await roadTile(14, 11_700, 7_400, 'primary'),
      await roadTile(14, 11_701, 7_400, 'motorway'),
      await roadTile(13, 5_850, 3_700, 'secondary'),
    ];
    const metadata = {
      vector_layers: [{ id: 'transportation' }, { id: 'water' }],
      attribution: '© Test streets',
    };
    await writeFile(file, writePmtiles(tiles, metadata));
    server = await startTestServer({ MAP_TILES_FILE: file });
    api = new Api(server.url);
  });
  afterAll(async () => {
    await server.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('numbers tiles along the Hilbert curve as PMTiles v3 does', () => {
    expect(tileIdOf(0, 0, 0)).toBe(0);
    expect([tileIdOf(1, 0, 0), tileIdOf(1, 0, 1), tileIdOf(1, 1, 1), tileIdOf(1, 1, 0)]).toEqual([
      1, 2, 3, 4,
    ]);
    expect(tileIdOf(2, 0, 0)).toBe(5);
    expect(tileIdOf(12, 3423, 1763)).toBe(19_078_479);
  });

  it('serves the style, naming only the layers the archive has, with tiles on this server', async () => {
    const response = await api.request<{
      sources: { streets: { tiles: string[]; minzoom: number; maxzoom: number; attribution: string } };
      layers: { id: string; 'source-layer'?: string }[];
    }>('GET', '/api/v1/basemap/style.json');

    expect(response.status).toBe(200);
    const source = response.body.sources.streets;
    expect(source.tiles).toEqual([`${server.url}/api/v1/basemap/tiles/{z}/{x}/{y}.pbf`]);
    expect([source.minzoom, source.maxzoom]).toEqual([13, 14]);
    expect(source.attribution).toBe('© Test streets');
    const sourceLayers = new Set(response.body.layers.map((layer) => layer['source-layer']).filter(Boolean));
    expect([...sourceLayers].sort()).toEqual(['transportation', 'water']);

    const signedIn = await api.request<MapStyle>('GET', '/api/v1/map/style', {
      token: await api.tokenFor(tenantB.email('operator')),
    });
    expect(signedIn.body.offlineStylePath).toBe('/api/v1/basemap/style.json');
  });

  it('serves each tile of the archive, gzipped as stored or plain, and 204 where it has none', async () => {
    for (const tile of tiles) {
      const url = `${server.url}/api/v1/basemap/tiles/${String(tile.z)}/${String(tile.x)}/${String(tile.y)}.pbf`;
      const gzipped = await fetch(url, { headers: { 'accept-encoding': 'gzip' } });
      expect(gzipped.status).toBe(200);
      expect(gzipped.headers.get('content-encoding')).toBe('gzip');
      expect(gzipped.headers.get('content-type')).toBe('application/vnd.mapbox-vector-tile');
      const decoded = decodeVectorTile(new Uint8Array(await gzipped.arrayBuffer()));
      const expected = decodeVectorTile(tile.data);
      expect(decoded).toEqual(expected);
      expect(decoded.transportation?.[0]?.type).toBe('line');

      const plain = await fetch(url, { headers: { 'accept-encoding': 'identity' } });
      expect(plain.headers.get('content-encoding')).toBeNull();
      expect(Buffer.from(await plain.arrayBuffer()).equals(tile.data)).toBe(true);
    }
    expect((await fetch(`${server.url}/api/v1/basemap/tiles/14/0/0.pbf`)).status).toBe(204);
    expect((await fetch(`${server.url}/api/v1/basemap/tiles/2/1/1.pbf`)).status).toBe(204);
  });

  it('follows leaf directories', async () => {
    const leafFile = path.join(dir, 'leaf.pmtiles');
    await writeFile(leafFile, writePmtiles(tiles, {}, { leaf: true }));
    const archive = await PmtilesArchive.open(leafFile);
    try {
      for (const tile of tiles) expect(await archive.tile(tile.z, tile.x, tile.y)).not.toBeNull();
      expect(await archive.tile(14, 11_702, 7_400)).toBeNull();
    } finally {
      await archive.close();
    }
  });

  it('answers 404 without MAP_TILES_FILE, and the console keeps Natural Earth', async () => {
    const plain = await startTestServer();
    try {
      const style = await new Api(plain.url).request('GET', '/api/v1/basemap/style.json');
      expect(style.status).toBe(404);
      expect((await fetch(`${plain.url}/api/v1/basemap/tiles/14/11700/7400.pbf`)).status).toBe(404);
    } finally {
      await plain.close();
    }
  });
});

describe('the Natural Earth basemap, cut into tiles by this server', () => {
  let server: RunningServer;
  const tileUrl = (z: number, x: number, y: number) =>
    `${server.url}/api/v1/basemap/natural-earth/${String(z)}/${String(x)}/${String(y)}.pbf`;

  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(async () => {
    await server.close();
  });

  it('serves land and borders to zoom 8, gzipped or plain, public and kept by browsers', async () => {
    const world = await fetch(tileUrl(0, 0, 0), { headers: { 'accept-encoding': 'gzip' } });
    expect(world.status).toBe(200);
    expect(world.headers.get('content-encoding')).toBe('gzip');
    expect(world.headers.get('content-type')).toBe('application/vnd.mapbox-vector-tile');
    expect(world.headers.get('cache-control')).toBe('public, max-age=86400');
    const decoded = decodeVectorTile(new Uint8Array(await world.arrayBuffer()));
    expect(decoded.land?.length).toBeGreaterThan(0);
    expect(decoded.land?.every((f) => f.type === 'polygon')).toBe(true);
    expect(decoded.borders?.every((f) => f.type === 'line')).toBe(true);

    const plain = await fetch(tileUrl(0, 0, 0), { headers: { 'accept-encoding': 'identity' } });
    expect(plain.headers.get('content-encoding')).toBeNull();
    expect(decodeVectorTile(new Uint8Array(await plain.arrayBuffer()))).toEqual(decoded);

    // Hyderabad at zoom 8: inland, so land without a border.
    const city = decodeVectorTile(new Uint8Array(await (await fetch(tileUrl(8, 183, 115))).arrayBuffer()));
    expect(city.land?.length).toBe(1);
    expect(city.borders).toBeUndefined();
  });

  it('answers 204 at sea and past zoom 8 (the console scales zoom 8), 400 for a tile that does not exist', async () => {
    // The Atlantic west of the Canaries.
    expect((await fetch(tileUrl(8, 106, 105))).status).toBe(204);
    expect((await fetch(tileUrl(9, 367, 230))).status).toBe(204);
    const outside = await fetch(tileUrl(2, 4, 0));
    expect(outside.status).toBe(400);
    expect(outside.headers.get('content-type')).toContain('application/problem+json');
  });
});
