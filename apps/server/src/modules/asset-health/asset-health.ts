import type { AssetHealth, AssetHealthList, PumpRuntime } from '@tidewatch/shared';
import type pg from 'pg';
import { notFound } from '../../http/app-error.ts';
import { healthScore, type HealthFacts } from './health-score.ts';
import { pumpRuntime, RUNNING_METRICS } from './pump-runtime.ts';

const HOUR_MS = 3_600_000;
/** A pump reading stands for its state this long at most; past that the pump is unknown (unavailable). */
const PUMP_MAX_GAP_MS = 30 * 60_000;

interface AssetRow {
  id: string;
  name: string;
  kind: string;
}

const emptyFacts = (): HealthFacts & { openAlerts: Record<string, number> } => ({
  seriesCount: 0,
  hoursWithData: 0,
  batteryPct: null,
  batteryV: null,
  devices: 0,
  devicesOffline: 0,
  openAlerts: {},
  calibrationAgeDays: null,
});

/** The health facts of some assets of the tenant in context, each over the 24 hours to `now`. */
async function healthFacts(
  client: pg.PoolClient,
  assetIds: readonly string[],
  now: number,
): Promise<Map<string, HealthFacts>> {
  const facts = new Map<string, ReturnType<typeof emptyFacts>>(assetIds.map((id) => [id, emptyFacts()]));
  const hourEnd = new Date(Math.floor(now / HOUR_MS) * HOUR_MS + HOUR_MS);
  const hourStart = new Date(hourEnd.getTime() - 24 * HOUR_MS);
  const [data, battery, devices, alerts, calibration] = await Promise.all([
    client.query<{ asset_id: string; series: number; hours: number }>(
      `WITH s AS (SELECT d.asset_id, s.id FROM devices d JOIN series s ON s.device_id = d.id
                   WHERE d.disabled_at IS NULL AND d.asset_id = ANY($1::uuid[]))
       SELECT s.asset_id, count(DISTINCT s.id)::integer AS series, count(h.bucket)::integer AS hours
         FROM s LEFT JOIN telemetry_hours((SELECT array_agg(id) FROM s), $2, $3) h
                ON h.series_id = s.id AND h.count > 0
        GROUP BY s.asset_id`,
      [assetIds, hourStart, hourEnd],
    ),
    client.query<{ asset_id: string; key: string; value: number }>(
      `SELECT d.asset_id, m.key, min(l.value) AS value
         FROM devices d JOIN series s ON s.device_id = d.id JOIN metrics m ON m.id = s.metric_id
         CROSS JOIN LATERAL (SELECT t.value FROM telemetry t WHERE t.series_id = s.id
                              ORDER BY t.time DESC LIMIT 1) l
        WHERE d.disabled_at IS NULL AND d.asset_id = ANY($1::uuid[]) AND m.key IN ('battery_pct', 'battery_v')
        GROUP BY d.asset_id, m.key`,
      [assetIds],
    ),
    client.query<{ asset_id: string; devices: number; offline: number }>(
      `SELECT d.asset_id, count(*)::integer AS devices,
              count(*) FILTER (WHERE ds.connectivity = 'offline')::integer AS offline
         FROM devices d LEFT JOIN device_states ds ON ds.device_id = d.id
        WHERE d.disabled_at IS NULL AND d.asset_id = ANY($1::uuid[])
        GROUP BY d.asset_id`,
      [assetIds],
    ),
    client.query<{ asset_id: string; priority: string; n: number }>(
      `SELECT asset_id, priority::text AS priority, count(*)::integer AS n FROM alerts
        WHERE closed_at IS NULL AND asset_id = ANY($1::uuid[])
        GROUP BY asset_id, priority`,
      [assetIds],
    ),
    client.query<{ asset_id: string; days: number }>(
      `SELECT x.asset_id, (extract(epoch FROM $2::timestamptz - min(x.latest)) / 86400)::float8 AS days
         FROM (SELECT d.asset_id, s.id, max(lower(c.valid_during)) AS latest
                 FROM calibrations c JOIN series s ON s.id = c.series_id JOIN devices d ON d.id = s.device_id
                WHERE d.disabled_at IS NULL AND d.asset_id = ANY($1::uuid[])
                GROUP BY d.asset_id, s.id) x
        GROUP BY x.asset_id`,
      [assetIds, new Date(now)],
    ),
  ]);
  const update = (id: string, change: (f: ReturnType<typeof emptyFacts>) => void) => {
    const f = facts.get(id);
    if (f) change(f);
  };
  for (const row of data.rows) {
    update(row.asset_id, (f) => Object.assign(f, { seriesCount: row.series, hoursWithData: row.hours }));
  }
  for (const row of battery.rows) {
    update(row.asset_id, (f) =>
      Object.assign(f, row.key === 'battery_pct' ? { batteryPct: row.value } : { batteryV: row.value }),
    );
  }
  for (const row of devices.rows) {
    update(row.asset_id, (f) => Object.assign(f, { devices: row.devices, devicesOffline: row.offline }));
  }
  for (const row of alerts.rows) update(row.asset_id, (f) => (f.openAlerts[row.priority] = row.n));
  for (const row of calibration.rows) {
    update(row.asset_id, (f) => Object.assign(f, { calibrationAgeDays: row.days }));
  }
  return facts;
}

/** The run record of a pump over the 24 hours to `now`, from the first run-state, power or flow series found. */
async function pumpRecord(client: pg.PoolClient, assetId: string, now: number): Promise<PumpRuntime | null> {
  const keys = RUNNING_METRICS.map((m) => m.key);
  const { rows } = await client.query<{ series_id: number; key: string }>(
    `SELECT s.id AS series_id, m.key FROM devices d JOIN series s ON s.device_id = d.id
       JOIN metrics m ON m.id = s.metric_id
      WHERE d.asset_id = $1 AND d.disabled_at IS NULL AND m.key = ANY($2::text[])
      ORDER BY array_position($2::text[], m.key::text), s.id LIMIT 1`,
    [assetId, keys],
  );
  const series = rows[0];
  if (!series) return null;
  const from = now - 24 * HOUR_MS;
  const { rows: points } = await client.query<{ t: number; value: number }>(
    `(SELECT (extract(epoch FROM time) * 1000)::float8 AS t, value FROM telemetry
       WHERE series_id = $1 AND time < $2 ORDER BY time DESC LIMIT 1)
     UNION ALL
     (SELECT (extract(epoch FROM time) * 1000)::float8, value FROM telemetry
       WHERE series_id = $1 AND time >= $2 AND time < $3 ORDER BY time)
     ORDER BY 1`,
    [series.series_id, new Date(from), new Date(now)],
  );
  const runningAbove = RUNNING_METRICS.find((m) => m.key === series.key)?.runningAbove ?? 0.5;
  const totals = pumpRuntime(
    points.map((p) => ({ time: Math.round(p.t), value: p.value })),
    from,
    now,
    runningAbove,
    PUMP_MAX_GAP_MS,
  );
  return { seriesId: series.series_id, metricKey: series.key, runningAbove, periodH: 24, ...totals };
}

/** One asset's health score with its reasons and, for a pump, its run record; within the caller's zones. */
export async function assetHealth(
  client: pg.PoolClient,
  assetId: string,
  zones: readonly string[] | null,
  now = Date.now(),
): Promise<AssetHealth> {
  const { rows } = await client.query<AssetRow>(
    `SELECT id, name, kind::text AS kind FROM assets
      WHERE id = $1 AND archived_at IS NULL AND ($2::uuid[] IS NULL OR zone_id = ANY($2::uuid[]))`,
    [assetId, zones],
  );
  const asset = rows[0];
  if (!asset) throw notFound('Asset');
  const facts = (await healthFacts(client, [asset.id], now)).get(asset.id) ?? emptyFacts();
  return {
    assetId: asset.id,
    name: asset.name,
    kind: asset.kind,
    ...healthScore(facts),
    pump: await pumpRecord(client, asset.id, now),
    at: new Date(now).toISOString(),
  };
}

/** Every asset's score within the caller's zones, for the map. */
export async function assetHealthList(
  client: pg.PoolClient,
  zones: readonly string[] | null,
  now = Date.now(),
): Promise<AssetHealthList> {
  const { rows } = await client.query<{ id: string }>(
    `SELECT id FROM assets WHERE archived_at IS NULL AND ($1::uuid[] IS NULL OR zone_id = ANY($1::uuid[]))
      ORDER BY id`,
    [zones],
  );
  const facts = await healthFacts(
    client,
    rows.map((r) => r.id),
    now,
  );
  return {
    items: rows.map((r) => ({ assetId: r.id, score: healthScore(facts.get(r.id) ?? emptyFacts()).score })),
    at: new Date(now).toISOString(),
  };
}
