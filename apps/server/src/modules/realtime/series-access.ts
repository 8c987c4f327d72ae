import { withTenantClient } from '@tidewatch/db';
import type pg from 'pg';
import type { SocketSession } from './socket-session.ts';

/**
 * Which of `seriesIds` the session may see: its tenant's (row-level security) and, for a zone-limited user,
 * only series of devices on assets in those zones, as the trend API decides.
 */
export async function visibleSeries(
  pool: pg.Pool,
  session: SocketSession,
  seriesIds: readonly number[],
): Promise<Set<number>> {
  if (seriesIds.length === 0) return new Set();
  const rows = await withTenantClient(pool, session.dbContext(), async (client) => {
    const result = await client.query<{ id: number }>({
      name: 'realtime-visible-series',
      text: `SELECT s.id FROM series s JOIN devices d ON d.id = s.device_id LEFT JOIN assets a ON a.id = d.asset_id
              WHERE s.id = ANY($1::int[]) AND ($2::uuid[] IS NULL OR a.zone_id = ANY($2::uuid[]))`,
      values: [seriesIds, session.zones],
    });
    return result.rows;
  });
  return new Set(rows.map((row) => row.id));
}

/**
 * Sockets with the same key see the same series: `visibleSeries` depends on the tenant, the role (row-level
 * security) and the zones, nothing else. Telemetry is encoded once per key and tick.
 */
export function seriesAccessKey(session: SocketSession): string {
  const zones = session.zones === null ? '*' : [...session.zones].sort().join(',');
  return `${session.tenantId}/${session.principal.role}/${zones}`;
}
