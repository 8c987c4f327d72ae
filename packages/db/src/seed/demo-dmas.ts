import type pg from 'pg';

/**
 * Every demo zone is metered as a district metered area: the flow meters inside it are its inlets, so the DMA
 * view, the league table and night-flow rules have the demo's own readings to work on.
 */
export async function insertDmas(
  client: pg.Client,
  tenantId: string,
  zoneIds: readonly string[],
): Promise<void> {
  // A database migrated only up to an earlier release (the upgrade tests seed one) has no DMAs yet.
  const dmas = await client.query<{ present: boolean }>(`SELECT to_regclass('dmas') IS NOT NULL AS present`);
  if (!dmas.rows[0]?.present) return;
  await client.query(
    `INSERT INTO dmas (zone_id, tenant_id, connections)
     SELECT z.id, $1, 400 + 150 * z.n FROM unnest($2::uuid[]) WITH ORDINALITY AS z (id, n)`,
    [tenantId, zoneIds],
  );
  await client.query(
    `INSERT INTO dma_meters (tenant_id, zone_id, series_id, direction)
     SELECT $1, a.zone_id, s.id, 'inlet'
       FROM assets a
       JOIN devices d ON d.asset_id = a.id
       JOIN series s ON s.device_id = d.id
       JOIN metrics m ON m.id = s.metric_id AND m.key = 'flow_lpm'
      WHERE a.tenant_id = $1 AND a.kind = 'flow_meter' AND a.zone_id = ANY($2::uuid[])`,
    [tenantId, zoneIds],
  );
}
