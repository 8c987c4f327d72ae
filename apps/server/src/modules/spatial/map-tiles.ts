import { createHash } from 'node:crypto';
import { promisify } from 'node:util';
import { gunzip, gzip } from 'node:zlib';
import { withTenantClient } from '@tidewatch/db';
import type { MapExtent, TileParams } from '@tidewatch/shared';
import type pg from 'pg';
import { dbContext, type TenantContext } from '../../http/request-context.ts';
import { zoneLimit } from '../../http/zone-scope.ts';
import { readMapExtent } from './map-extent.query.ts';
import {
  clusteringDependsOnDensity,
  isClusteredTile,
  renderMapTile,
  tilePointCount,
  withoutJit,
} from './map-tile.query.ts';
import { readMapVersion } from './map-version.query.ts';
import type { TileCache } from './tile-cache.ts';

const gzipAsync = promisify(gzip);
const gunzipAsync = promisify(gunzip);
/**
 * zlib's level for a cut tile: a tile is compressed once, while its first caller waits. Level 3 compresses a 600 KB
 * detailed tile in 9 ms where the default (6) takes 15, for 2 % more bytes.
 */
const TILE_GZIP_LEVEL = 3;
/** Extents kept at the most (a few bytes each); past it the memo starts again. */
const MAX_EXTENTS = 1024;

/** What a tile request is answered with: the tile, nothing there (204), or "yours is current" (304). */
export interface MapTileAnswer {
  readonly status: 200 | 204 | 304;
  readonly etag: string;
  /** The MVT bytes, gzipped when `gzipped`. */
  readonly body: Buffer;
  readonly gzipped: boolean;
}

/** Whether an If-None-Match header names this entity tag (weak comparison, as RFC 9110 asks for GET). */
export function matchesEtag(ifNoneMatch: string | undefined, etag: string): boolean {
  if (!ifNoneMatch) return false;
  const bare = (tag: string) => tag.trim().replace(/^W\//, '');
  return ifNoneMatch.split(',').some((tag) => tag.trim() === '*' || bare(tag) === bare(etag));
}

/**
 * Vector tiles of the tenant's network, cut by PostGIS and kept gzipped in a bounded cache. A tile is cut once
 * per tenant, zone set and network version (and alarm version, for the clustered tiles, which hold alarm
 * states); the versions are read on every request (one indexed row each from two small tables), and at zoom 12
 * to 14 the tile's point count with them (whether it is clustered), so an edit, an import or an alert transition
 * is seen by the next request without any timer.
 */
export class MapTiles {
  private readonly cutting = new Map<string, Promise<Buffer>>();
  /** Extents by tenant, zone set and network version: a console's first camera, read once per edit. */
  private readonly extents = new Map<string, Promise<MapExtent>>();

  constructor(
    private readonly pool: pg.Pool,
    private readonly cache: TileCache,
  ) {}

  async tile(
    ctx: TenantContext,
    tile: TileParams,
    request: { readonly ifNoneMatch: string | undefined; readonly acceptsGzip: boolean },
  ): Promise<MapTileAnswer> {
    const zones = zoneLimit(ctx);
    const context = dbContext(ctx);
    const { version, points } = await withTenantClient(this.pool, context, async (client) => ({
      version: await readMapVersion(client),
      points: clusteringDependsOnDensity(tile.z) ? await tilePointCount(client, tile, zones) : null,
    }));
    const clustered = isClusteredTile(tile.z, points);
    const key = [
      ctx.tenantId,
      zones ? [...zones].sort().join(',') : '*',
      `${String(tile.z)}/${String(tile.x)}/${String(tile.y)}`,
      clustered ? `clustered ${String(version.network)}.${String(version.alarms)}` : String(version.network),
    ].join('|');
    const etag = `W/"${createHash('sha1').update(key).digest('base64url').slice(0, 22)}"`;
    if (matchesEtag(request.ifNoneMatch, etag)) {
      return { status: 304, etag, body: Buffer.alloc(0), gzipped: false };
    }
    const gzipped =
      this.cache.get(key) ?? (await this.cut(key, () => this.render(context, tile, zones, clustered)));
    if (gzipped.length === 0) return { status: 204, etag, body: gzipped, gzipped: false };
    if (request.acceptsGzip) return { status: 200, etag, body: gzipped, gzipped: true };
    return { status: 200, etag, body: await gunzipAsync(gzipped), gzipped: false };
  }

  /** Where the caller's network lies, computed once per tenant, zone set and network version. */
  async extent(ctx: TenantContext): Promise<MapExtent> {
    const zones = zoneLimit(ctx);
    const context = dbContext(ctx);
    const version = await withTenantClient(this.pool, context, readMapVersion);
    const key = [ctx.tenantId, zones ? [...zones].sort().join(',') : '*', String(version.network)].join('|');
    const known = this.extents.get(key);
    if (known) return known;
    if (this.extents.size >= MAX_EXTENTS) this.extents.clear();
    const reading = withTenantClient(this.pool, context, (client) => readMapExtent(client, zones));
    this.extents.set(key, reading);
    void reading.catch(() => {
      this.extents.delete(key);
    });
    return reading;
  }

  /** One cut per key at a time: the tiles of a first view, asked for by many consoles at once, are cut once. */
  private async cut(key: string, render: () => Promise<Buffer>): Promise<Buffer> {
    const pending = this.cutting.get(key);
    if (pending) return pending;
    const work = render().then((tile) => {
      this.cache.set(key, tile);
      return tile;
    });
    this.cutting.set(key, work);
    try {
      return await work;
    } finally {
      this.cutting.delete(key);
    }
  }

  private async render(
    context: ReturnType<typeof dbContext>,
    tile: TileParams,
    zones: readonly string[] | null,
    clustered: boolean,
  ): Promise<Buffer> {
    const mvt = await withTenantClient(this.pool, context, async (client) => {
      await withoutJit(client);
      return renderMapTile(client, tile, zones, clustered);
    });
    return mvt.length === 0 ? mvt : gzipAsync(mvt, { level: TILE_GZIP_LEVEL });
  }
}
