import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { gzipSync } from 'node:zlib';
import * as geojsonVt from '@maplibre/geojson-vt';
import { fromGeojsonVt } from '@maplibre/vt-pbf';
import type { Feature, GeoJSON } from 'geojson';
import { feature, mesh } from 'topojson-client';
import type { GeometryCollection, Topology } from 'topojson-specification';

/**
 * The deepest zoom cut: 1:50m data holds no detail past it (a z8 tile's simplification is about 100 m), and the
 * console draws deeper zooms from these tiles, scaled.
 */
export const NATURAL_EARTH_MAX_ZOOM = 8;
const EXTENT = 4096;
/** Tiles kept encoded; z0 to z8 over land is about 20,000 tiles, a console's views a few dozen. */
const MAX_CACHED_TILES = 4096;

/** A tile of the Natural Earth basemap, as MVT bytes and gzipped; null at sea (nothing to draw). */
export interface NaturalEarthTile {
  readonly body: Buffer;
  readonly gzip: Buffer;
}

/** A tile as geojson-vt cuts it, for vt-pbf to encode (its features are vt-pbf's business). */
interface CutTile {
  readonly features: readonly unknown[];
}
interface TileIndex {
  getTile(z: number, x: number, y: number): CutTile | null;
}
interface TileIndexOptions {
  maxZoom: number;
  indexMaxZoom: number;
  tolerance: number;
  extent: number;
  buffer: number;
}
/**
 * geojson-vt's class as this module uses it: its published declarations import their siblings without file
 * extensions, which Node's module resolution (ours) cannot follow, so TypeScript would see it untyped.
 */
const { GeoJSONVT } = geojsonVt as unknown as {
  GeoJSONVT: new (data: GeoJSON, options: TileIndexOptions) => TileIndex;
};

interface Indexes {
  readonly land: TileIndex;
  readonly borders: TileIndex;
}

const atlasFile = (name: string) => createRequire(import.meta.url).resolve(`world-atlas/${name}`);

async function readTopology<K extends string>(
  name: string,
): Promise<Topology<Record<K, GeometryCollection>>> {
  return JSON.parse(await readFile(atlasFile(name), 'utf8')) as Topology<Record<K, GeometryCollection>>;
}

const indexOptions: TileIndexOptions = {
  maxZoom: NATURAL_EARTH_MAX_ZOOM,
  indexMaxZoom: 0,
  tolerance: 3,
  extent: EXTENT,
  buffer: 64,
};

/** Yields to the event loop between the steps of building the indexes (about 100 ms each). */
const turn = () => new Promise((resolve) => setImmediate(resolve));

async function buildIndexes(): Promise<Indexes> {
  const land = await readTopology<'land'>('land-50m.json');
  const countries = await readTopology<'countries'>('countries-50m.json');
  await turn();
  const landIndex = new GeoJSONVT(feature(land, land.objects.land), indexOptions);
  await turn();
  const borders: Feature = {
    type: 'Feature',
    properties: {},
    geometry: mesh(countries, countries.objects.countries, (a, b) => a !== b),
  };
  return { land: landIndex, borders: new GeoJSONVT(borders, indexOptions) };
}

/**
 * The console's fallback basemap (land and country borders from Natural Earth, 1:50m, the world-atlas package),
 * cut into vector tiles here. The console used to turn the whole world into GeoJSON on its main thread (4.7 MB)
 * and have MapLibre's one worker index it before that worker could read a single network tile; a tile of a
 * city's view is a few hundred bytes. Built on first use, then kept: about 20 MB.
 */
export class NaturalEarthTiles {
  private indexes: Promise<Indexes> | null = null;
  private readonly tiles = new Map<string, NaturalEarthTile | null>();

  async tile(z: number, x: number, y: number): Promise<NaturalEarthTile | null> {
    if (z > NATURAL_EARTH_MAX_ZOOM) return null;
    const key = `${String(z)}/${String(x)}/${String(y)}`;
    const known = this.tiles.get(key);
    if (known !== undefined) return known;
    const { land, borders } = await this.built();
    const layers: Record<string, CutTile> = {};
    const landTile = land.getTile(z, x, y);
    const borderTile = borders.getTile(z, x, y);
    if (landTile) layers.land = landTile;
    if (borderTile) layers.borders = borderTile;
    const body =
      Object.keys(layers).length === 0
        ? null
        : Buffer.from(fromGeojsonVt(layers, { version: 2, extent: EXTENT }));
    const tile = body ? { body, gzip: gzipSync(body) } : null;
    if (this.tiles.size >= MAX_CACHED_TILES) this.tiles.clear();
    this.tiles.set(key, tile);
    return tile;
  }

  private built(): Promise<Indexes> {
    this.indexes ??= buildIndexes().catch((error: unknown) => {
      this.indexes = null;
      throw error;
    });
    return this.indexes;
  }
}
