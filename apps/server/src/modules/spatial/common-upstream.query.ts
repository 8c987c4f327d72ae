import type { CommonUpstream } from '@tidewatch/shared';
import type pg from 'pg';

// Against the flow: from each asset to the pipe that feeds it (its to_asset), then to the pipe feeding that pipe's
// from_asset, and so on to the source. UNION drops a pipe met again at the same depth; the depth bound ends loops.
const commonUpstreamSql = `
  WITH RECURSIVE up (start_id, pipe_id, from_asset_id, depth) AS (
    SELECT a.id, p.id, p.from_asset_id, 1
      FROM unnest($1::uuid[]) AS a (id)
      JOIN assets p ON p.to_asset_id = a.id AND p.kind = 'pipeline' AND p.archived_at IS NULL
    UNION
    SELECT u.start_id, p.id, p.from_asset_id, u.depth + 1
      FROM up u
      JOIN assets p ON p.to_asset_id = u.from_asset_id AND p.kind = 'pipeline' AND p.archived_at IS NULL
     WHERE u.depth < 500
  ),
  fed AS (SELECT count(DISTINCT start_id)::int AS n FROM up)
  SELECT p.id::text, p.code, p.name, p.zone_id::text AS zone_id, fed.n AS fed
    FROM (SELECT pipe_id, count(DISTINCT start_id) AS reached, max(depth) AS farthest FROM up GROUP BY pipe_id) c
    JOIN fed ON c.reached = fed.n
    JOIN assets p ON p.id = c.pipe_id
   WHERE fed.n >= 2 AND ($2::uuid[] IS NULL OR p.zone_id = ANY($2::uuid[]))
   ORDER BY c.farthest, p.code
   LIMIT 1`;

/**
 * The pipe closest to the given assets that feeds all of those fed by pipes: the probable common cause when they
 * alarm together. A user limited to zones gets it only when the pipe lies in one of them.
 */
export async function commonUpstream(
  client: pg.PoolClient,
  assetIds: readonly string[],
  zones: readonly string[] | null,
): Promise<CommonUpstream> {
  const { rows } = await client.query<{
    id: string;
    code: string;
    name: string;
    zone_id: string | null;
    fed: number;
  }>(commonUpstreamSql, [[...new Set(assetIds)], zones]);
  const row = rows[0];
  return row
    ? { pipe: { id: row.id, code: row.code, name: row.name, zoneId: row.zone_id }, fed: row.fed }
    : { pipe: null, fed: 0 };
}
