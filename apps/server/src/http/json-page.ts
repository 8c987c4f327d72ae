import { createHash } from 'node:crypto';
import type pg from 'pg';
import { encodeCursor } from './pagination.ts';

/**
 * A named statement, so each pooled connection plans it once and reuses the plan (planning these queries costs
 * about a millisecond; running them, a fraction of that). The name follows the text.
 */
export function prepared(text: string, values: unknown[]): pg.QueryConfig {
  return { name: `q${createHash('sha1').update(text).digest('hex').slice(0, 16)}`, text, values };
}

/**
 * Runs `inner`, a SELECT of `item` (json), `id` and `rn` (row_number in page order) limited to `limit + 1`
 * rows, and returns the JSON text of `{ items, nextCursor }`: PostgreSQL serializes, Node only concatenates.
 * The page size must be the last parameter.
 */
export async function jsonPage(
  client: pg.PoolClient,
  inner: string,
  params: unknown[],
  shape: { readonly key: 'items' | 'features'; readonly prefix: string } = { key: 'items', prefix: '' },
): Promise<string> {
  const limitParam = `$${String(params.length)}`;
  const { rows } = await client.query<{ items: string; next_id: string | null }>(
    prepared(
      `WITH page AS (${inner})
       SELECT coalesce((SELECT json_agg(item ORDER BY rn) FROM page WHERE rn <= ${limitParam}), '[]')::text AS items,
              (SELECT id::text FROM page WHERE rn = ${limitParam}
                  AND EXISTS (SELECT 1 FROM page WHERE rn > ${limitParam})) AS next_id`,
      params,
    ),
  );
  const row = rows[0];
  const next = row?.next_id ? JSON.stringify(encodeCursor(row.next_id)) : 'null';
  return `{${shape.prefix}"${shape.key}":${row?.items ?? '[]'},"nextCursor":${next}}`;
}
