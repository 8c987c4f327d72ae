import type { Database, DbContext } from '@tidewatch/db';
import type { HotListCache, HotListEntry } from './hot-list-cache.ts';
import { readJsonPage, type JsonPageRead } from './json-page.ts';
import { dbContext, type TenantContext } from './request-context.ts';
import { RawBody } from './route.ts';
import { zoneLimit } from './zone-scope.ts';

type QueryValue = string | number | boolean | readonly (string | number)[] | undefined;

/**
 * Everything a list page depends on besides the database: the list, who reads (tenant, role, zone set) and the
 * query with its parameters in a fixed order. Row-level security on these lists depends on the tenant alone.
 */
export function hotListKey(
  list: string,
  ctx: TenantContext,
  query: Readonly<Record<string, QueryValue>>,
): string {
  const zones = [...(zoneLimit(ctx) ?? [])].sort();
  const params = Object.keys(query)
    .filter((name) => query[name] !== undefined)
    .sort()
    .map((name) => {
      const value = query[name];
      return [name, Array.isArray(value) ? [...(value as readonly (string | number)[])].sort() : value];
    });
  return JSON.stringify([list, ctx.tenantId, ctx.principal.role, zones, params]);
}

/** The reads of one key: the one in flight, and the one that callers arriving meanwhile wait for. */
interface Flights {
  running: Promise<HotListEntry> | null;
  next: Promise<HotListEntry> | null;
}

/**
 * Hot list pages from the cache when their tag has not moved, else rebuilt. Either way a read under row-level
 * security for the caller checks the tag (and builds the page only when it moved), in one round trip. At most one
 * such read per key is in flight: callers arriving meanwhile share the next one, which starts after they arrived,
 * so each still sees every change committed before its request (and the page is not rebuilt by every request in
 * flight when the tag moves).
 */
export class HotLists {
  private readonly flights = new Map<string, Flights>();

  constructor(
    private readonly cache: HotListCache,
    private readonly db: Database,
  ) {}

  /** The page as a response body, with an ETag (304 for a client that has it) and `no-cache` (ask every time). */
  async serve<T>(
    ctx: TenantContext,
    key: string,
    read: (knownTag: string | null) => JsonPageRead,
  ): Promise<RawBody<T>> {
    const entry = await this.entry(key, dbContext(ctx), read);
    return new RawBody<T>(
      entry.body,
      'application/json; charset=utf-8',
      { ETag: entry.etag, 'Cache-Control': 'private, no-cache' },
      undefined,
      entry.gzip,
    );
  }

  private entry(
    key: string,
    context: DbContext,
    read: (knownTag: string | null) => JsonPageRead,
  ): Promise<HotListEntry> {
    let flights = this.flights.get(key);
    if (!flights) {
      flights = { running: null, next: null };
      this.flights.set(key, flights);
    }
    const state = flights;
    const start = (): Promise<HotListEntry> => {
      const running = this.refresh(key, context, read).finally(() => {
        state.running = null;
        if (state.next === null) this.flights.delete(key);
      });
      state.running = running;
      return running;
    };
    if (state.running === null) return start();
    state.next ??= state.running
      .catch(() => undefined)
      .then(() => {
        state.next = null;
        return start();
      });
    return state.next;
  }

  private async refresh(
    key: string,
    context: DbContext,
    read: (knownTag: string | null) => JsonPageRead,
  ): Promise<HotListEntry> {
    const cached = this.cache.get(key);
    const page = await readJsonPage(this.db.pool, context, read(cached?.tag ?? null));
    if (page.body !== null) return this.cache.set(key, page.tag, page.body);
    if (cached?.tag === page.tag) return cached;
    throw new Error('a page read skipped the page for a tag it was not given');
  }
}
