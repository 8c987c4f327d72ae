/** Bounds of the tile cache: whichever is reached first evicts the least recently used tiles. */
export interface TileCacheLimits {
  readonly maxEntries: number;
  readonly maxBytes: number;
}

/**
 * Finished tiles (gzipped MVT) by key, least recently used first out. The key names everything a tile depends
 * on (tenant, zone set, z/x/y, network and alarm versions), so an edit makes new keys and old entries simply age
 * out: nothing is invalidated by hand. An empty tile is kept too (as zero bytes), so a blank sea of tiles costs
 * one query each, once.
 */
export class TileCache {
  private readonly entries = new Map<string, Buffer>();
  private bytes = 0;

  constructor(private readonly limits: TileCacheLimits) {}

  get(key: string): Buffer | undefined {
    const tile = this.entries.get(key);
    if (tile === undefined) return undefined;
    // Map keeps insertion order: re-inserting marks the entry as the most recently used.
    this.entries.delete(key);
    this.entries.set(key, tile);
    return tile;
  }

  set(key: string, tile: Buffer): void {
    if (tile.length > this.limits.maxBytes) return;
    const previous = this.entries.get(key);
    if (previous !== undefined) {
      this.entries.delete(key);
      this.bytes -= previous.length;
    }
    this.entries.set(key, tile);
    this.bytes += tile.length;
    for (const [oldest, old] of this.entries) {
      if (this.entries.size <= this.limits.maxEntries && this.bytes <= this.limits.maxBytes) break;
      this.entries.delete(oldest);
      this.bytes -= old.length;
    }
  }

  get size(): { readonly entries: number; readonly bytes: number } {
    return { entries: this.entries.size, bytes: this.bytes };
  }
}
