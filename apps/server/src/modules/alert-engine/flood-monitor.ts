import type pg from 'pg';
import { readInContext, type DbContext } from '@tidewatch/db';
import { namedRead, prepared } from '../../http/json-page.ts';

export interface FloodState {
  readonly active: boolean;
  readonly count: number;
  /** Whether this check turned the flood on or off. */
  readonly changed: boolean;
}

/**
 * Counts the tenant's new alerts in the window and records whether it is in flood (more than `threshold`). The
 * previous state is locked first, so of two instances checking at once only one sees the change.
 */
export async function checkFlood(
  client: pg.PoolClient,
  threshold: number,
  windowS: number,
): Promise<FloodState> {
  const previous = await client.query<{ active: boolean }>(
    prepared('SELECT active FROM alert_floods WHERE tenant_id = app_tenant_id() FOR UPDATE', []),
  );
  const { rows } = await client.query<{ active: boolean; count: number }>(
    prepared(
      `WITH recent AS (SELECT count(*)::integer AS n FROM alerts WHERE raised_at > now() - make_interval(secs => $2))
       INSERT INTO alert_floods AS f (tenant_id, active, count, since, changed_at)
       SELECT app_tenant_id(), recent.n > $1, recent.n, CASE WHEN recent.n > $1 THEN now() END, now() FROM recent
       ON CONFLICT (tenant_id) DO UPDATE SET
         active = excluded.active,
         count = excluded.count,
         since = CASE WHEN excluded.active THEN coalesce(f.since, now()) END,
         changed_at = CASE WHEN f.active = excluded.active THEN f.changed_at ELSE now() END
       RETURNING f.active, f.count`,
      [threshold, windowS],
    ),
  );
  const row = rows[0];
  if (!row) return { active: false, count: 0, changed: false };
  return {
    active: row.active,
    count: row.count,
    changed: row.active !== (previous.rows[0]?.active ?? false),
  };
}

export interface FloodStatusRow {
  readonly active: boolean;
  readonly count: number;
  readonly since: string | null;
  readonly changedAt: string | null;
}

const floodStatus = namedRead(
  `SELECT active, count, json_time(since) AS since, json_time(changed_at) AS "changedAt"
     FROM alert_floods WHERE tenant_id = app_tenant_id()`,
);

/** The tenant's flood state as last recorded (one round trip); a tenant never checked is not in flood. */
export async function readFlood(pool: pg.Pool, context: DbContext): Promise<FloodStatusRow> {
  const rows = await readInContext<FloodStatusRow>(pool, context, floodStatus, []);
  return rows[0] ?? { active: false, count: 0, since: null, changedAt: null };
}
