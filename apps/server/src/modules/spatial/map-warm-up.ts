import { beginWithContextSql } from '@tidewatch/db';
import type pg from 'pg';
import type { Logger } from '../../logger.ts';
import { renderMapTile, tilePointCount, withoutJit } from './map-tile.query.ts';
import { readMapVersion } from './map-version.query.ts';

/** A browser asks one host for six resources at a time: a console's first view is six tiles at once. */
export const MAP_WARM_CONNECTIONS = 6;

/** No tenant: row-level security reads every table as empty, so the statements run and find nothing. */
const NOBODY = { tenantId: null, userId: null, role: null } as const;

/**
 * Opens `connections` pool connections at once and runs the map's statements on each, as no tenant. A new
 * PostgreSQL backend loads PostGIS, reads the catalog of every table, index, policy and function a tile touches
 * and parses the statements before it cuts its first tile: 30–50 ms of CPU a connection, so a console opened
 * just after a start or a restart waited 200–300 ms (more with a browser on the same cores) for its first six
 * tiles. The connections stay in the pool (DB_POOL_IDLE_MS) for the first operator's map. Never fails the
 * server: a database that is not ready is logged and the connections warm on their first request instead.
 */
export async function warmMapConnections(
  pool: pg.Pool,
  log: Logger,
  connections = MAP_WARM_CONNECTIONS,
): Promise<void> {
  const count = Math.min(connections, pool.options.max);
  // Every connection is open before any is given back, so the statements run on `count` distinct backends.
  const opening = await Promise.allSettled(Array.from({ length: count }, () => pool.connect()));
  const failures: unknown[] = [];
  await Promise.all(
    opening.map(async (opened) => {
      if (opened.status === 'rejected') {
        failures.push(opened.reason);
        return;
      }
      const client = opened.value;
      let failure: Error | undefined;
      try {
        await client.query(beginWithContextSql(NOBODY));
        await readMapVersion(client);
        await tilePointCount(client, { z: 12, x: 0, y: 0 }, null);
        await withoutJit(client);
        await renderMapTile(client, { z: 10, x: 0, y: 0 }, null, true);
        await renderMapTile(client, { z: 15, x: 0, y: 0 }, null, false);
        await client.query('ROLLBACK');
      } catch (error) {
        failure = error instanceof Error ? error : new Error(String(error));
        failures.push(failure);
      } finally {
        // A connection that failed here may be dead or mid-transaction: the pool discards it.
        client.release(failure);
      }
    }),
  );
  if (failures.length > 0) {
    log.warn(
      { err: failures[0], failed: failures.length, connections: count },
      'map connections not warmed: they warm on their first tiles',
    );
  }
}
