import { gzipSync } from 'node:zlib';
import { tileIdOf, type DirectoryEntry } from '../modules/basemap/pmtiles-archive.ts';

export interface ArchiveTile {
  readonly z: number;
  readonly x: number;
  readonly y: number;
  /** The MVT bytes, uncompressed. */
  readonly data: Buffer;
}

function varints(values: readonly number[]): number[] {
  const bytes: number[] = [];
  for (let value of values) {
    while (value >= 0x80) {
      bytes.push((value % 0x80) | 0x80);
      value = Math.floor(value / 0x80);
    }
    bytes.push(value);
  }
  return bytes;
}

function directoryBytes(entries: readonly DirectoryEntry[]): Buffer {
  const ids = entries.map((entry, i) => entry.tileId - (entries[i - 1]?.tileId ?? 0));
  const offsets = entries.map((entry, i) => {
    const previous = entries[i - 1];
    return previous && previous.offset + previous.length === entry.offset ? 0 : entry.offset + 1;
  });
  return Buffer.from(
    varints([
      entries.length,
      ...ids,
      ...entries.map((e) => e.runLength),
      ...entries.map((e) => e.length),
      ...offsets,
    ]),
  );
}

/**
 * A PMTiles v3 archive written the plain way (for tests): gzip inside and for tiles, tiles in id order, and
 * with `leaf` the entries moved to one leaf directory so the reader has to follow it.
 */
export function writePmtiles(
  tiles: readonly ArchiveTile[],
  metadata: Record<string, unknown>,
  options: { readonly leaf?: boolean } = {},
): Buffer {
  const sorted = [...tiles].sort((a, b) => tileIdOf(a.z, a.x, a.y) - tileIdOf(b.z, b.x, b.y));
  const blobs = sorted.map((tile) => gzipSync(tile.data));
  const entries: DirectoryEntry[] = [];
  let offset = 0;
  sorted.forEach((tile, i) => {
    const length = blobs[i]?.length ?? 0;
    entries.push({ tileId: tileIdOf(tile.z, tile.x, tile.y), offset, length, runLength: 1 });
    offset += length;
  });
  const leafBytes = options.leaf ? gzipSync(directoryBytes(entries)) : Buffer.alloc(0);
  const rootEntries: DirectoryEntry[] = options.leaf
    ? [{ tileId: entries[0]?.tileId ?? 0, offset: 0, length: leafBytes.length, runLength: 0 }]
    : entries;
  const root = gzipSync(directoryBytes(rootEntries));
  const meta = gzipSync(Buffer.from(JSON.stringify(metadata)));
  const data = Buffer.concat(blobs);

  const header = Buffer.alloc(127);
  header.write('PMTiles', 0, 'latin1');
  header[7] = 3;
  const at = { root: 127, meta: 127 + root.length };
  const leafAt = at.meta + meta.length;
  const dataAt = leafAt + leafBytes.length;
  const u64 = (position: number, value: number) => header.writeBigUInt64LE(BigInt(value), position);
  u64(8, at.root);
  u64(16, root.length);
  u64(24, at.meta);
  u64(32, meta.length);
  u64(40, leafAt);
  u64(48, leafBytes.length);
  u64(56, dataAt);
  u64(64, data.length);
  u64(72, tiles.length);
  u64(80, tiles.length);
  u64(88, tiles.length);
  header[96] = 1; // clustered
  header[97] = 2; // internal compression: gzip
  header[98] = 2; // tile compression: gzip
  header[99] = 1; // mvt
  header[100] = Math.min(...tiles.map((t) => t.z));
  header[101] = Math.max(...tiles.map((t) => t.z));
  header.writeInt32LE(-180e7, 102);
  header.writeInt32LE(-85e7, 106);
  header.writeInt32LE(180e7, 110);
  header.writeInt32LE(85e7, 114);
  header[118] = Math.max(...tiles.map((t) => t.z));
  return Buffer.concat([header, root, meta, leafBytes, data]);
}
