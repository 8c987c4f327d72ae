import { promisify } from 'node:util';
import { gunzip } from 'node:zlib';
import { Compression, PmtilesArchive, TileType } from './pmtiles-archive.ts';
import { streetStyle } from './street-style.ts';

const gunzipAsync = promisify(gunzip);

const mediaTypes: Record<number, string> = {
  [TileType.mvt]: 'application/vnd.mapbox-vector-tile',
  [TileType.png]: 'image/png',
  [TileType.jpeg]: 'image/jpeg',
  [TileType.webp]: 'image/webp',
  [TileType.avif]: 'image/avif',
};

export interface BasemapTile {
  /** 204: the archive has no tile there (sea, or beyond its extract). */
  readonly status: 200 | 204;
  readonly body: Buffer;
  readonly contentType: string;
  readonly gzipped: boolean;
}

/**
 * The street basemap served from MAP_TILES_FILE: the archive is opened on first use (and again after a failure,
 * so a file put in place later is picked up), tiles are passed on as stored, gzip included.
 */
export class StreetBasemap {
  private archive: Promise<PmtilesArchive> | null = null;

  constructor(private readonly path: string) {}

  /** The style for this archive, its tiles addressed under `origin` (the server as the caller reached it). */
  async style(origin: string): Promise<Record<string, unknown>> {
    const archive = await this.open();
    const metadata = await archive.metadata();
    const vectorLayers = Array.isArray(metadata.vector_layers)
      ? new Set((metadata.vector_layers as { id?: unknown }[]).map((layer) => String(layer.id)))
      : null;
    const { header } = archive;
    return streetStyle({
      tilesUrl: `${origin}/api/v1/basemap/tiles/{z}/{x}/{y}.pbf`,
      minZoom: header.minZoom,
      maxZoom: header.maxZoom,
      bounds: header.bounds,
      center: header.center,
      attribution:
        typeof metadata.attribution === 'string' ? metadata.attribution : '© OpenStreetMap contributors',
      sourceLayers: vectorLayers,
    });
  }

  async tile(z: number, x: number, y: number, acceptsGzip: boolean): Promise<BasemapTile> {
    const archive = await this.open();
    const contentType = mediaTypes[archive.header.tileType] ?? 'application/octet-stream';
    const stored = await archive.tile(z, x, y);
    if (!stored || stored.length === 0) {
      return { status: 204, body: Buffer.alloc(0), contentType, gzipped: false };
    }
    const gzipped = archive.header.tileCompression === Compression.gzip;
    if (gzipped && !acceptsGzip) {
      return { status: 200, body: await gunzipAsync(stored), contentType, gzipped: false };
    }
    return { status: 200, body: stored, contentType, gzipped };
  }

  private open(): Promise<PmtilesArchive> {
    this.archive ??= PmtilesArchive.open(this.path).catch((error: unknown) => {
      this.archive = null;
      throw error;
    });
    return this.archive;
  }
}
