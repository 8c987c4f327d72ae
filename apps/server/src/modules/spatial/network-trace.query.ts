import type { DownstreamTrace } from '@tidewatch/shared';
import type pg from 'pg';

interface PipeEdge {
  id: string;
  code: string;
  from_asset_id: string | null;
  to_asset_id: string | null;
}

// UNION, not UNION ALL: a pipe already reached yields an identical row and is dropped, so loops in the network
// end the recursion and every pipe is visited once, however the flow branches and rejoins.
const downstreamSql = `
  WITH RECURSIVE downstream (id, code, from_asset_id, to_asset_id) AS (
    SELECT p.id, p.code, p.from_asset_id, p.to_asset_id FROM assets p
     WHERE p.id = $1::uuid AND p.kind = 'pipeline' AND p.archived_at IS NULL
    UNION
    SELECT n.id, n.code, n.from_asset_id, n.to_asset_id
      FROM downstream d
      JOIN assets n ON n.from_asset_id = d.to_asset_id AND n.kind = 'pipeline' AND n.archived_at IS NULL
  )
  SELECT id, code, from_asset_id, to_asset_id FROM downstream`;

/** Hops from the burst pipe along the flow, breadth first, so each pipe gets its shortest distance. */
function hopCounts(startId: string, pipes: readonly PipeEdge[]): Map<string, number> {
  const leaving = new Map<string, PipeEdge[]>();
  for (const pipe of pipes) {
    if (pipe.from_asset_id === null) continue;
    const list = leaving.get(pipe.from_asset_id) ?? [];
    list.push(pipe);
    leaving.set(pipe.from_asset_id, list);
  }
  const depth = new Map<string, number>([[startId, 0]]);
  const start = pipes.find((pipe) => pipe.id === startId);
  let frontier = start ? [start] : [];
  for (let hop = 1; frontier.length > 0; hop += 1) {
    const next: PipeEdge[] = [];
    for (const pipe of frontier) {
      for (const child of pipe.to_asset_id ? (leaving.get(pipe.to_asset_id) ?? []) : []) {
        if (depth.has(child.id)) continue;
        depth.set(child.id, hop);
        next.push(child);
      }
    }
    frontier = next;
  }
  return depth;
}

/**
 * Everything downstream of a pipe, following pipelines from their `from` asset to their `to` asset in the
 * direction of flow: what a burst of this pipe starves once it is isolated. Null when the pipe is not visible.
 * The trace runs over the whole tenant network (water ignores zone borders); a zone-limited user sees the
 * part inside their zones.
 */
export async function traceDownstream(
  client: pg.PoolClient,
  pipeId: string,
  zones: readonly string[] | null,
): Promise<DownstreamTrace | null> {
  const { rows: pipes } = await client.query<PipeEdge>(downstreamSql, [pipeId]);
  if (pipes.length === 0) return null;
  const depth = hopCounts(pipeId, pipes);
  const reached = [...new Set(pipes.flatMap((pipe) => (pipe.to_asset_id ? [pipe.to_asset_id] : [])))];
  const ids = [...pipes.map((pipe) => pipe.id), ...reached];
  const { rows: visible } = await client.query<{
    id: string;
    code: string;
    kind: string;
    zone_id: string | null;
  }>(
    `SELECT id, code, kind, zone_id FROM assets
      WHERE id = ANY($1::uuid[]) AND ($2::uuid[] IS NULL OR zone_id = ANY($2::uuid[]))`,
    [ids, zones],
  );
  const visibleById = new Map(visible.map((row) => [row.id, row]));
  if (!visibleById.has(pipeId)) return null;
  return {
    pipeId,
    pipes: pipes
      .filter((pipe) => visibleById.has(pipe.id))
      .map((pipe) => ({ id: pipe.id, code: pipe.code, depth: depth.get(pipe.id) ?? 0 }))
      .sort((a, b) => a.depth - b.depth || a.code.localeCompare(b.code)),
    assets: reached
      .flatMap((id) => {
        const row = visibleById.get(id);
        return row
          ? [{ id, code: row.code, kind: row.kind as DownstreamTrace['assets'][number]['kind'] }]
          : [];
      })
      .sort((a, b) => a.code.localeCompare(b.code)),
  };
}
