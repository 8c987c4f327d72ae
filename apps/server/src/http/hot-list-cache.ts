import { createHash } from 'node:crypto';
import { constants, gzipSync } from 'node:zlib';

/** One cached list page: the tag it was built at, its JSON text (UTF-8, encoded once) and the ETag sent with it. */
export interface HotListEntry {
  readonly tag: string;
  readonly body: Buffer;
  /** The same body gzipped, for clients that accept it (a list is a tenth of its size so). */
  readonly gzip: Buffer;
  readonly etag: string;
}

export interface HotListCacheLimits {
  readonly maxEntries: number;
  readonly maxBytes: number;
}

/**
 * Bounded least-recently-used map of list pages by key. It only holds what a read under row-level security
 * returned for that key (tenant, role, zones, query): it never decides what a caller may see.
 */
export class HotListCache {
  private readonly entries = new Map<string, HotListEntry>();
  private bytes = 0;

  constructor(readonly limits: HotListCacheLimits = { maxEntries: 2000, maxBytes: 32 * 2 ** 20 }) {}

  get size(): number {
    return this.entries.size;
  }

  get totalBytes(): number {
    return this.bytes;
  }

  get(key: string): HotListEntry | undefined {
    const entry = this.entries.get(key);
    if (entry) {
      // Most recently used last: eviction takes from the front.
      this.entries.delete(key);
      this.entries.set(key, entry);
    }
    return entry;
  }

  /** Stores the page built at `tag` and returns the entry (an over-large page is returned, not kept). */
  set(key: string, tag: string, text: string): HotListEntry {
    const body = Buffer.from(text);
    // Once per change, not per response; a fast level: a list is rebuilt tens of times a second at most.
    const gzip = gzipSync(body, { level: constants.Z_BEST_SPEED });
    const entry = { tag, body, gzip, etag: `"${createHash('sha1').update(body).digest('base64url')}"` };
    this.delete(key);
    const size = sizeOf(key, entry);
    if (size > this.limits.maxBytes) return entry;
    this.entries.set(key, entry);
    this.bytes += size;
    for (const [oldest] of this.entries) {
      if (this.entries.size <= this.limits.maxEntries && this.bytes <= this.limits.maxBytes) break;
      this.delete(oldest);
    }
    return entry;
  }

  delete(key: string): void {
    const entry = this.entries.get(key);
    if (!entry) return;
    this.entries.delete(key);
    this.bytes -= sizeOf(key, entry);
  }

  clear(): void {
    this.entries.clear();
    this.bytes = 0;
  }
}

// Strings count two bytes a character, to stay under the limit whatever their representation.
function sizeOf(key: string, entry: HotListEntry): number {
  return entry.body.length + entry.gzip.length + 2 * (key.length + entry.tag.length + entry.etag.length);
}
