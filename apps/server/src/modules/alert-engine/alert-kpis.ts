import type pg from 'pg';
import { namedRead, prepared, type BoundRead } from '../../http/json-page.ts';
import { alertJson } from '../alerts/alert.queries.ts';

export interface KpiRange {
  readonly from: Date;
  readonly to: Date;
  readonly staleAfterS: number;
  /** The zones a user is limited to, or null. */
  readonly zones: readonly string[] | null;
}

/**
 * The alarm-management view (ISA-18.2 performance metrics) as the JSON text of `AlertKpis`, computed by PostgreSQL
 * in one statement over the tenant's alerts: alerts per hour (every hour of the range, zeros included), time to
 * acknowledge, standing alerts, and the ten most frequent rule and target pairs.
 */
export async function alertKpisJson(client: pg.PoolClient, range: KpiRange): Promise<string> {
  const { rows } = await client.query<{ json: string }>(
    prepared(
      `WITH scoped AS (
         SELECT a.* FROM alerts a WHERE ($3::uuid[] IS NULL OR a.zone_id = ANY ($3::uuid[]))
       ),
       ranged AS (SELECT * FROM scoped WHERE raised_at >= $1 AND raised_at < $2),
       hours AS (
         SELECT h.hour, count(r.id)::integer AS n
           FROM generate_series(date_trunc('hour', $1::timestamptz), $2::timestamptz - interval '1 microsecond',
                                interval '1 hour') AS h (hour)
           LEFT JOIN ranged r ON r.raised_at >= h.hour AND r.raised_at < h.hour + interval '1 hour'
          GROUP BY h.hour
       ),
       acked AS (
         SELECT extract(epoch FROM acknowledged_at - raised_at)::float8 AS s FROM ranged
          WHERE acknowledged_at IS NOT NULL
       ),
       standing AS (
         SELECT * FROM scoped WHERE closed_at IS NULL AND raised_at < now() - make_interval(secs => $4)
       ),
       frequent AS (
         SELECT f.rule_id, r.name, f.target_key, f.asset_id, f.n,
                coalesce(nullif(concat_ws(' · ', coalesce(ta.name, td.name, sd.name), tm.name), ''), f.target_key)
                  AS target_name
           FROM (SELECT rule_id, target_key, (array_agg(asset_id ORDER BY raised_at DESC))[1] AS asset_id,
                        (array_agg(series_id ORDER BY raised_at DESC))[1] AS series_id,
                        (array_agg(device_id ORDER BY raised_at DESC))[1] AS device_id,
                        count(*)::integer AS n
                   FROM ranged GROUP BY rule_id, target_key
                  ORDER BY n DESC, rule_id, target_key LIMIT 10) f
           JOIN alert_rules r ON r.id = f.rule_id
           LEFT JOIN assets ta ON ta.id = f.asset_id
           LEFT JOIN devices td ON td.id = f.device_id
           LEFT JOIN series ts ON ts.id = f.series_id
           LEFT JOIN devices sd ON sd.id = ts.device_id
           LEFT JOIN metrics tm ON tm.id = ts.metric_id
       )
       SELECT json_build_object(
         'from', json_time($1), 'to', json_time($2),
         'alertsPerHour', (SELECT coalesce(json_agg(json_build_object('hour', json_time(hour), 'count', n) ORDER BY hour), '[]')
                             FROM hours),
         'averagePerHour', (SELECT count(*) FROM ranged)::float8
                           / greatest(extract(epoch FROM $2::timestamptz - $1::timestamptz) / 3600, 1 / 3600.0),
         'timeToAcknowledge', (SELECT json_build_object(
                                 'count', count(*)::integer, 'meanS', avg(s),
                                 'medianS', percentile_cont(0.5) WITHIN GROUP (ORDER BY s),
                                 'p90S', percentile_cont(0.9) WITHIN GROUP (ORDER BY s))
                                 FROM acked),
         'standing', json_build_object(
           'count', (SELECT count(*)::integer FROM standing),
           'staleAfterS', $4::integer,
           'oldest', (SELECT coalesce(json_agg(item ORDER BY raised_at, id), '[]')
                        FROM (SELECT ${alertJson} AS item, a.raised_at, a.id
                                FROM standing a JOIN alert_rules r ON r.id = a.rule_id
                               ORDER BY a.raised_at, a.id LIMIT 20) o)),
         'topFrequent', (SELECT coalesce(json_agg(json_build_object('ruleId', rule_id, 'ruleName', name,
                                                                    'targetKey', target_key, 'targetName', target_name,
                                                                    'assetId', asset_id,
                                                                    'count', n) ORDER BY n DESC, rule_id, target_key), '[]')
                           FROM frequent)
       )::text AS json`,
      [range.from, range.to, range.zones, range.staleAfterS],
    ),
  );
  return rows[0]?.json ?? '{}';
}

const alertChangesSql = `WITH next AS (
         SELECT t.alert_id, t.sequence FROM alert_transitions t
          WHERE t.tenant_id = app_tenant_id() AND t.sequence > $1
          ORDER BY t.sequence LIMIT $2
       ),
       touched AS (SELECT alert_id, max(sequence) AS sequence FROM next GROUP BY alert_id)
       SELECT json_build_object(
         'items', coalesce((SELECT json_agg(json_build_object('sequence', x.sequence, 'alert', ${alertJson})
                                            ORDER BY x.sequence)
                              FROM touched x JOIN alerts a ON a.id = x.alert_id JOIN alert_rules r ON r.id = a.rule_id
                             WHERE $3::uuid[] IS NULL OR a.zone_id = ANY ($3::uuid[])), '[]'),
         'lastSequence', coalesce((SELECT max(sequence) FROM next), $1),
         'more', EXISTS (SELECT 1 FROM alert_transitions t
                          WHERE t.tenant_id = app_tenant_id() AND t.sequence > coalesce((SELECT max(sequence) FROM next), $1))
       )::text AS json`;

/**
 * What changed after `after`: the alerts touched by the next `limit` transitions, each as it is now with the
 * sequence of its newest change in that range. Hidden alerts (other zones) advance the sequence but are left out.
 */
export async function alertChangesJson(
  client: pg.PoolClient,
  after: number,
  limit: number,
  zones: readonly string[] | null,
): Promise<string> {
  const { rows } = await client.query<{ json: string }>(prepared(alertChangesSql, [after, limit, zones]));
  return rows[0]?.json ?? emptyChanges;
}

const alertChanges = namedRead(alertChangesSql);

/** `alertChangesJson` as a read for `readInContext` (JSON text in `json`). */
export function alertChangesRead(after: number, limit: number, zones: readonly string[] | null): BoundRead {
  return { statement: alertChanges, values: [after, limit, zones] };
}

export const emptyChanges = '{"items":[],"lastSequence":0,"more":false}';
