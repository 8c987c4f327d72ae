import type { MapVersion } from '@tidewatch/shared';
import type pg from 'pg';

/**
 * The versions of the tenant in context: its network (bumped by statement triggers on assets and zones) and its
 * alert sequence (every alert transition). Zero for a tenant that has had neither.
 */
export async function readMapVersion(client: pg.PoolClient): Promise<MapVersion> {
  const { rows } = await client.query<{ network: string; alarms: string }>({
    name: 'map-version',
    text: `SELECT coalesce((SELECT version FROM map_versions WHERE tenant_id = app_tenant_id()), 0) AS network,
                  coalesce((SELECT last_sequence FROM alert_sequences WHERE tenant_id = app_tenant_id()), 0) AS alarms`,
  });
  return { network: Number(rows[0]?.network ?? 0), alarms: Number(rows[0]?.alarms ?? 0) };
}
