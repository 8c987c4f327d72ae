import { createHash } from 'node:crypto';
import {
  readInContext,
  readStatement,
  type DbContext,
  type ReadStatement,
  type ReadValue,
} from '@tidewatch/db';
import type pg from 'pg';
import { encodeCursor } from './pagination.ts';

const sha1 = (text: string): string => createHash('sha1').update(text).digest('hex').slice(0, 16);

/**
 * A named statement, so each pooled connection plans it once and reuses the plan (planning these queries costs
 * about a millisecond; running them, a fraction of that). The name follows the text.
 */
export function prepared(text: string, values: unknown[]): pg.QueryConfig {
  return { name: `q${sha1(text)}`, text, values };
}

// Texts differ only by which filters a request uses: a few dozen at most.
const reads = new Map<string, ReadStatement>();

/** A statement for `readInContext`, named after its text (the name differs from `prepared`'s: `r…`). */
export function namedRead(text: string): ReadStatement {
  let statement = reads.get(text);
  if (!statement) {
    statement = readStatement(`r${sha1(text)}`, text);
    reads.set(text, statement);
  }
  return statement;
}

/** A read and its values, built by a module's queries and run by the route through `readInContext`. */
export interface BoundRead {
  readonly statement: ReadStatement;
  readonly values: readonly ReadValue[];
}

/** One JSON page and its tag, as PostgreSQL wrote them. */
export interface JsonPageRead extends BoundRead {
  readonly shape: PageShape;
}

export interface PageShape {
  readonly key: 'items' | 'features';
  readonly prefix: string;
}

/**
 * A read of one page in one statement: the list's tag (`tagSql`, an expression that moves whenever the list may
 * change), and the page only when the tag differs from the caller's (the last parameter): an unchanged list costs
 * PostgreSQL two index lookups instead of building the page. `inner` SELECTs `item` (json), `id` and `rn`
 * (row_number in page order) limited to `limit + 1` rows; the page size is the last of `params`.
 */
export function jsonPageRead(
  inner: string,
  params: readonly ReadValue[],
  tagSql: string,
  shape: PageShape = { key: 'items', prefix: '' },
): (knownTag: string | null) => JsonPageRead {
  const limitParam = `$${String(params.length)}`;
  const knownParam = `$${String(params.length + 1)}`;
  // CASE runs a sub-select only when its branch is taken, and the page CTE only when a sub-select reads it.
  const statement = namedRead(
    `WITH page AS (${inner}), t AS MATERIALIZED (SELECT (${tagSql})::text AS tag)
     SELECT t.tag,
            CASE WHEN t.tag IS DISTINCT FROM ${knownParam}::text THEN
              coalesce((SELECT json_agg(item ORDER BY rn) FROM page WHERE rn <= ${limitParam}), '[]')::text END AS items,
            CASE WHEN t.tag IS DISTINCT FROM ${knownParam}::text THEN
              (SELECT id::text FROM page WHERE rn = ${limitParam}
                  AND EXISTS (SELECT 1 FROM page WHERE rn > ${limitParam})) END AS next_id
       FROM t`,
  );
  return (knownTag) => ({ statement, values: [...params, knownTag], shape });
}

/** A list's tag, and its page's JSON text (`{ items, nextCursor }`), or null when the tag is the known one. */
export interface TaggedPage {
  readonly tag: string;
  readonly body: string | null;
}

/** Runs a page read in one round trip under row-level security for `context`. */
export async function readJsonPage(
  pool: pg.Pool,
  context: DbContext,
  read: JsonPageRead,
): Promise<TaggedPage> {
  const rows = await readInContext<{ tag: string; items: string | null; next_id: string | null }>(
    pool,
    context,
    read.statement,
    read.values,
  );
  const row = rows[0];
  if (!row) throw new Error('a page read returned no row');
  if (row.items === null) return { tag: row.tag, body: null };
  const next = row.next_id ? JSON.stringify(encodeCursor(row.next_id)) : 'null';
  return {
    tag: row.tag,
    body: `{${read.shape.prefix}"${read.shape.key}":${row.items},"nextCursor":${next}}`,
  };
}

/** Runs a read whose one row holds JSON text in `json`; null when there is no row. */
export async function readJson(pool: pg.Pool, context: DbContext, read: BoundRead): Promise<string | null> {
  const rows = await readInContext<{ json: string }>(pool, context, read.statement, read.values);
  return rows[0]?.json ?? null;
}
