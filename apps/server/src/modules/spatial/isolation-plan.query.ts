import type { AssetKind, IsolationPlan } from '@tidewatch/shared';
import type pg from 'pg';
import { planIsolation } from './isolation-plan.ts';

interface NetworkRow {
  id: string;
  code: string;
  name: string;
  kind: AssetKind;
  zone_id: string | null;
  from_asset_id: string | null;
  to_asset_id: string | null;
  connections: number;
}

// The whole live network of the tenant (RLS keeps it to the caller's tenant): water ignores zone borders.
const networkSql = `
  SELECT id, code, name, kind, zone_id::text AS zone_id, from_asset_id::text AS from_asset_id,
         to_asset_id::text AS to_asset_id,
         CASE WHEN jsonb_typeof(properties->'connections') = 'number'
              THEN greatest(0, least(floor((properties->>'connections')::numeric), 1000000))::int ELSE 0 END AS connections
    FROM assets
   WHERE archived_at IS NULL`;

/**
 * The valves to close to isolate a pipe and what loses supply then (see IsolationPlan). Null when the pipe is not
 * a live pipeline the caller may see.
 */
export async function isolationPlan(
  client: pg.PoolClient,
  pipeId: string,
  zones: readonly string[] | null,
): Promise<IsolationPlan | null> {
  const { rows } = await client.query<NetworkRow>(networkSql);
  const byId = new Map(rows.map((row) => [row.id, row]));
  const visible = (row: NetworkRow): boolean =>
    zones === null || (row.zone_id !== null && zones.includes(row.zone_id));
  const target = byId.get(pipeId);
  if (!target || target.kind !== 'pipeline' || !visible(target)) return null;

  const points = rows.filter((row) => row.kind !== 'pipeline');
  const pipes = rows
    .filter((row) => row.kind === 'pipeline')
    .map((row) => ({ id: row.id, fromId: row.from_asset_id, toId: row.to_asset_id }));
  const outcome = planIsolation(pipeId, points, pipes);

  let hidden = 0;
  const shown = (ids: readonly string[]): NetworkRow[] => {
    const list = ids.flatMap((id) => {
      const row = byId.get(id);
      return row ? [row] : [];
    });
    const inside = list.filter(visible);
    hidden += list.length - inside.length;
    return inside.sort((a, b) => a.code.localeCompare(b.code));
  };
  const asset = (row: NetworkRow) => ({
    id: row.id,
    code: row.code,
    kind: row.kind,
    connections: row.connections,
  });
  const pipe = (row: NetworkRow) => ({ id: row.id, code: row.code });

  const sectionAssets = shown(outcome.sectionNodeIds);
  const unvalved = new Set(outcome.unvalvedSourceIds);
  const lostAssets = shown(outcome.lostNodeIds);
  return {
    pipeId,
    valves: shown(outcome.valveIds).map((row) => ({ id: row.id, code: row.code, name: row.name })),
    isolated: outcome.unvalvedSourceIds.length === 0,
    unvalvedSources: sectionAssets.filter((row) => unvalved.has(row.id)).map(asset),
    section: { pipes: shown(outcome.sectionPipeIds).map(pipe), assets: sectionAssets.map(asset) },
    lostSupply: { pipes: shown(outcome.lostPipeIds).map(pipe), assets: lostAssets.map(asset) },
    connectionsAffected: [...sectionAssets, ...lostAssets].reduce((sum, row) => sum + row.connections, 0),
    hiddenOutsideZones: hidden,
  };
}
