import type { AssetForecast } from '@tidewatch/shared';
import type pg from 'pg';
import { notFound } from '../../http/app-error.ts';
import { forecastLevel } from './level-forecast.ts';

/** Readings a trend needs at least. */
const MIN_POINTS = 5;

const numberOr = (value: unknown, fallback: number | null): number | null =>
  typeof value === 'number' && Number.isFinite(value) ? value : fallback;

/**
 * Time to full and to empty of each level series (unit cm) of a tank, sump or reservoir, from the readings of the
 * last `windowS` seconds, as of `now`. The levels come from the asset's attributes, as the map editor stores them.
 */
export async function assetForecast(
  client: pg.PoolClient,
  assetId: string,
  zones: readonly string[] | null,
  windowS: number,
  now = Date.now(),
): Promise<AssetForecast> {
  const { rows: assets } = await client.query<{ properties: Record<string, unknown> }>(
    `SELECT properties FROM assets
      WHERE id = $1 AND kind IN ('tank', 'sump', 'reservoir') AND archived_at IS NULL
        AND ($2::uuid[] IS NULL OR zone_id = ANY($2::uuid[]))`,
    [assetId, zones],
  );
  const asset = assets[0];
  if (!asset) throw notFound('Tank, sump or reservoir');
  const full = numberOr(asset.properties.overflowCm, numberOr(asset.properties.heightCm, null));
  const empty = numberOr(asset.properties.emptyCm, 0);
  const { rows } = await client.query<{
    series_id: number;
    key: string;
    unit: string;
    t: number[];
    v: number[];
  }>(
    `SELECT s.id AS series_id, m.key, m.unit,
            coalesce((SELECT array_agg((extract(epoch FROM t.time) * 1000)::float8 ORDER BY t.time) FROM telemetry t
                       WHERE t.series_id = s.id AND t.time > $2 AND t.time <= $3), '{}') AS t,
            coalesce((SELECT array_agg(t.value ORDER BY t.time) FROM telemetry t
                       WHERE t.series_id = s.id AND t.time > $2 AND t.time <= $3), '{}') AS v
       FROM devices d JOIN series s ON s.device_id = d.id JOIN metrics m ON m.id = s.metric_id
      WHERE d.asset_id = $1 AND m.unit = 'cm' AND d.disabled_at IS NULL
      ORDER BY s.id`,
    [assetId, new Date(now - windowS * 1000), new Date(now)],
  );
  return {
    assetId,
    series: rows.map((row) => {
      const points = row.t.map((time, i) => ({ time, value: row.v[i] ?? 0 }));
      const forecast = forecastLevel(points, now, full, empty, MIN_POINTS);
      return {
        seriesId: row.series_id,
        metricKey: row.key,
        unit: row.unit,
        at: new Date(now).toISOString(),
        points: points.length,
        level: forecast?.level ?? null,
        ratePerMin: forecast?.ratePerMin ?? null,
        fullLevel: full,
        emptyLevel: empty,
        timeToFullS: forecast?.timeToFullS ?? null,
        timeToEmptyS: forecast?.timeToEmptyS ?? null,
      };
    }),
  };
}
