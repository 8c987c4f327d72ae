import { open, type FileHandle } from 'node:fs/promises';
import { promisify } from 'node:util';
import { gunzip } from 'node:zlib';

const gunzipAsync = promisify(gunzip);

/** PMTiles v3 compression codes (the spec's numbering). */
export const Compression = { unknown: 0, none: 1, gzip: 2, brotli: 3, zstd: 4 } as const;
export type CompressionCode = (typeof Compression)[keyof typeof Compression];

/** PMTiles v3 tile types. */
export const TileType = { unknown: 0, mvt: 1, png: 2, jpeg: 3, webp: 4, avif: 5 } as const;

export interface PmtilesHeader {
  readonly rootDirectoryOffset: number;
  readonly rootDirectoryLength: number;
  readonly metadataOffset: number;
  readonly metadataLength: number;
  readonly leafDirectoriesOffset: number;
  readonly tileDataOffset: number;
  readonly internalCompression: number;
  readonly tileCompression: number;
  readonly tileType: number;
  readonly minZoom: number;
  readonly maxZoom: number;
  /** west, south, east, north in degrees. */
  readonly bounds: readonly [number, number, number, number];
  readonly center: readonly [number, number, number];
}

/** One directory entry: a run of `runLength` tiles from `tileId` sharing one blob, or (runLength 0) a leaf. */
export interface DirectoryEntry {
  readonly tileId: number;
  readonly offset: number;
  readonly length: number;
  readonly runLength: number;
}

const HEADER_BYTES = 127;
/** The spec keeps directories to root plus at most a few levels of leaves; more is a broken file. */
const MAX_DEPTH = 4;
const LEAF_CACHE_ENTRIES = 64;

/**
 * The Hilbert tile id of z/x/y: tiles of all lower zooms first, then the Hilbert curve over the zoom's grid.
 * Exact in doubles up to zoom 26.
 */
export function tileIdOf(z: number, x: number, y: number): number {
  if (z > 26) throw new RangeError('zoom above 26');
  let id = (4 ** z - 1) / 3;
  let px = x;
  let py = y;
  for (let s = 2 ** (z - 1); s >= 1; s /= 2) {
    const rx = (px & s) > 0 ? 1 : 0;
    const ry = (py & s) > 0 ? 1 : 0;
    id += s * s * ((3 * rx) ^ ry);
    if (ry === 0) {
      if (rx === 1) {
        px = s - 1 - px;
        py = s - 1 - py;
      }
      [px, py] = [py, px];
    }
  }
  return id;
}

/** Reads unsigned LEB128 varints (up to 2^53) from a buffer. */
class VarintReader {
  private pos = 0;
  constructor(private readonly bytes: Buffer) {}
  next(): number {
    let value = 0;
    let scale = 1;
    for (;;) {
      if (this.pos >= this.bytes.length) throw new Error('PMTiles directory ends inside a varint');
      const byte = this.bytes[this.pos++] ?? 0;
      value += (byte & 0x7f) * scale;
      if (byte < 0x80) return value;
      scale *= 128;
    }
  }
}

/** A directory's entries from its (decompressed) bytes: columns of varints, ids and offsets delta-coded. */
export function parseDirectory(bytes: Buffer): DirectoryEntry[] {
  const reader = new VarintReader(bytes);
  const count = reader.next();
  const ids: number[] = [];
  let lastId = 0;
  for (let i = 0; i < count; i += 1) ids.push((lastId += reader.next()));
  const runs = ids.map(() => reader.next());
  const lengths = ids.map(() => reader.next());
  const entries: DirectoryEntry[] = [];
  for (let i = 0; i < count; i += 1) {
    const raw = reader.next();
    const previous = entries[i - 1];
    // 0 after the first entry: the blob follows the previous one directly.
    const offset = raw === 0 && previous ? previous.offset + previous.length : raw - 1;
    entries.push({ tileId: ids[i] ?? 0, runLength: runs[i] ?? 0, length: lengths[i] ?? 0, offset });
  }
  return entries;
}

/** The entry whose run covers `tileId`, or the leaf that may hold it, by binary search over sorted ids. */
function findEntry(entries: readonly DirectoryEntry[], tileId: number): DirectoryEntry | null {
  let low = 0;
  let high = entries.length - 1;
  while (low <= high) {
    const middle = (low + high) >> 1;
    const entry = entries[middle];
    if (!entry) break;
    if (entry.tileId === tileId) return entry;
    if (entry.tileId < tileId) low = middle + 1;
    else high = middle - 1;
  }
  const before = entries[high];
  if (!before) return null;
  if (before.runLength === 0) return before;
  return tileId - before.tileId < before.runLength ? before : null;
}

function readHeader(bytes: Buffer): PmtilesHeader {
  if (bytes.length < HEADER_BYTES || bytes.toString('latin1', 0, 7) !== 'PMTiles') {
    throw new Error('not a PMTiles archive');
  }
  if (bytes[7] !== 3) throw new Error(`PMTiles version ${String(bytes[7])} (only 3 is read)`);
  const u64 = (at: number) => Number(bytes.readBigUInt64LE(at));
  const e7 = (at: number) => bytes.readInt32LE(at) / 1e7;
  return {
    rootDirectoryOffset: u64(8),
    rootDirectoryLength: u64(16),
    metadataOffset: u64(24),
    metadataLength: u64(32),
    leafDirectoriesOffset: u64(40),
    tileDataOffset: u64(56),
    internalCompression: bytes[97] ?? 0,
    tileCompression: bytes[98] ?? 0,
    tileType: bytes[99] ?? 0,
    minZoom: bytes[100] ?? 0,
    maxZoom: bytes[101] ?? 0,
    bounds: [e7(102), e7(106), e7(110), e7(114)],
    center: [e7(119), e7(123), bytes[118] ?? 0],
  };
}

/**
 * A PMTiles v3 archive on disk, read by ranges: the header and root directory once, leaf directories as tiles
 * need them (a few kept), tiles on every request. Tiles come back as stored (`tileCompression` says how).
 */
export class PmtilesArchive {
  private readonly leaves = new Map<number, DirectoryEntry[]>();

  private constructor(
    private readonly file: FileHandle,
    readonly header: PmtilesHeader,
    private readonly root: DirectoryEntry[],
  ) {}

  static async open(path: string): Promise<PmtilesArchive> {
    const file = await open(path, 'r');
    try {
      const header = readHeader(await readRange(file, 0, HEADER_BYTES));
      if (
        header.internalCompression !== Compression.none &&
        header.internalCompression !== Compression.gzip
      ) {
        throw new Error(
          `PMTiles internal compression ${String(header.internalCompression)} is not supported`,
        );
      }
      const archive = new PmtilesArchive(file, header, []);
      const root = await archive.directory(header.rootDirectoryOffset, header.rootDirectoryLength);
      return new PmtilesArchive(file, header, root);
    } catch (error) {
      await file.close();
      throw error;
    }
  }

  /** The archive's JSON metadata (vector_layers, attribution...), or {} when it has none. */
  async metadata(): Promise<Record<string, unknown>> {
    if (this.header.metadataLength === 0) return {};
    const bytes = await this.internal(this.header.metadataOffset, this.header.metadataLength);
    return JSON.parse(bytes.toString('utf8')) as Record<string, unknown>;
  }

  /** The stored bytes of tile z/x/y, or null when the archive does not hold it. */
  async tile(z: number, x: number, y: number): Promise<Buffer | null> {
    if (z < this.header.minZoom || z > this.header.maxZoom) return null;
    const tileId = tileIdOf(z, x, y);
    let entries = this.root;
    for (let depth = 0; depth < MAX_DEPTH; depth += 1) {
      const entry = findEntry(entries, tileId);
      if (!entry) return null;
      if (entry.runLength > 0) {
        return readRange(this.file, this.header.tileDataOffset + entry.offset, entry.length);
      }
      entries = await this.leaf(entry);
    }
    throw new Error('PMTiles directories nest too deep');
  }

  async close(): Promise<void> {
    await this.file.close();
  }

  private async leaf(entry: DirectoryEntry): Promise<DirectoryEntry[]> {
    const offset = this.header.leafDirectoriesOffset + entry.offset;
    const cached = this.leaves.get(offset);
    if (cached) return cached;
    const leaf = await this.directory(offset, entry.length);
    if (this.leaves.size >= LEAF_CACHE_ENTRIES) {
      const oldest = this.leaves.keys().next().value;
      if (oldest !== undefined) this.leaves.delete(oldest);
    }
    this.leaves.set(offset, leaf);
    return leaf;
  }

  private async directory(offset: number, length: number): Promise<DirectoryEntry[]> {
    return parseDirectory(await this.internal(offset, length));
  }

  private async internal(offset: number, length: number): Promise<Buffer> {
    const bytes = await readRange(this.file, offset, length);
    return this.header.internalCompression === Compression.gzip ? gunzipAsync(bytes) : bytes;
  }
}

async function readRange(file: FileHandle, offset: number, length: number): Promise<Buffer> {
  const buffer = Buffer.alloc(length);
  const { bytesRead } = await file.read(buffer, 0, length, offset);
  if (bytesRead !== length) throw new Error('PMTiles archive is shorter than its directory says');
  return buffer;
}
