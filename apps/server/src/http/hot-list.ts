import type { Database } from '@tidewatch/db';
import type { HotListCache } from './hot-list-cache.ts';
import { readJsonPage, type JsonPageRead } from './json-page.ts';
import { dbContext, type TenantContext } from './request-context.ts';
import { RawBody } from './route.ts';
import { zoneLimit } from './zone-scope.ts';

type QueryValue = string | number | boolean | readonly (string | number)[] | undefined;

/**
 * Everything a list page depends on besides the database: the list, who reads (tenant, role, zone set) and the
 * query with its parameters in a fixed order.
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

/**
 * A hot list page from the cache when its tag has not moved, else rebuilt: either way one round trip, under
 * row-level security for the caller, reads the tag (and the page only when the tag moved). Sent with an ETag,
 * so a client that has it gets 304, and `no-cache`, so it asks every time.
 */
export async function hotList<T>(
  cache: HotListCache,
  db: Database,
  ctx: TenantContext,
  key: string,
  read: (knownTag: string | null) => JsonPageRead,
): Promise<RawBody<T>> {
  const cached = cache.get(key);
  const page = await readJsonPage(db.pool, dbContext(ctx), read(cached?.tag ?? null));
  let entry;
  if (page.body !== null) entry = cache.set(key, page.tag, page.body);
  else if (cached?.tag === page.tag) entry = cached;
  else throw new Error('a page read skipped the page for a tag it was not given');
  return new RawBody<T>(entry.body, 'application/json; charset=utf-8', {
    ETag: entry.etag,
    'Cache-Control': 'private, no-cache',
  });
}
