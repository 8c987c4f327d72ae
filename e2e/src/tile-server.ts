import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { deflateSync } from 'node:zlib';

/** A tile server of the test's own: one origin serves a MapLibre style, another (or the same) its raster tiles. */
export interface TileServer {
  readonly origin: string;
  /** Paths asked for, in order, with the Origin header that came with each. */
  readonly requests: { readonly path: string; readonly origin: string | undefined }[];
  close(): Promise<void>;
}

/** The colour of every tile, unlike anything in the console or its offline basemap. */
export const TILE_RGB = [255, 0, 204] as const;

/**
 * Listens on every interface (the console is opened by the machine's LAN address, and its map fetches from this
 * one). `/style.json` is a style whose raster source is `tilesOrigin`; `/tiles/{z}/{x}/{y}.png` a solid tile.
 */
export async function startTileServer(host: string, tilesOrigin?: string): Promise<TileServer> {
  const tile = solidPng(256, 256, TILE_RGB);
  const requests: { path: string; origin: string | undefined }[] = [];
  let origin = '';
  const server: Server = createServer((req, res) => {
    const path = req.url ?? '/';
    requests.push({ path, origin: req.headers.origin });
    // MapLibre fetches with CORS; a tile server answers any origin.
    res.setHeader('access-control-allow-origin', '*');
    if (path === '/style.json') {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify(rasterStyle(`${tilesOrigin ?? origin}/tiles/{z}/{x}/{y}.png`)));
    } else if (/^\/tiles\/\d+\/\d+\/\d+\.png$/.test(path)) {
      res.setHeader('content-type', 'image/png');
      res.end(tile);
    } else {
      res.statusCode = 404;
      res.end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '0.0.0.0', resolve));
  origin = `http://${host}:${String((server.address() as AddressInfo).port)}`;
  return {
    origin,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => {
          resolve();
        });
      }),
  };
}

function rasterStyle(tiles: string): object {
  return {
    version: 8,
    sources: { basemap: { type: 'raster', tiles: [tiles], tileSize: 256, maxzoom: 19 } },
    layers: [{ id: 'basemap', type: 'raster', source: 'basemap' }],
  };
}

/** A PNG of one colour (8-bit RGB, no filtering). */
export function solidPng(
  width: number,
  height: number,
  [r, g, b]: readonly [number, number, number],
): Buffer {
  const row = Buffer.alloc(1 + width * 3);
  for (let x = 0; x < width; x += 1) row.set([r, g, b], 1 + x * 3);
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, 2, 0, 0, 0], 8);
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(Buffer.concat(Array.from({ length: height }, () => row)))),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

function chunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
}

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k += 1) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(bytes: Buffer): number {
  let c = 0xffffffff;
  for (const byte of bytes) c = (CRC_TABLE[(c ^ byte) & 0xff] ?? 0) ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
