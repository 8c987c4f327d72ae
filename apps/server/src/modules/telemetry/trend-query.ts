import type { TelemetryQuery, TelemetryResolution, TelemetryResponse } from '@tidewatch/shared';
import type pg from 'pg';
import { notFound } from '../../http/app-error.ts';

const MINUTE = 60_000;
const HOUR = 3_600_000;

/**
 * The bucket a trend needs so that no series has more than `maxPoints` points, and the table to read: raw
 * readings for short ranges, the 1-minute rollup from minute buckets up, the hourly one from hour buckets up.
 */
export function chooseResolution(
  fromMs: number,
  toMs: number,
  maxPoints: number,
): { resolution: TelemetryResolution; bucketMs: number } {
  const needed = Math.ceil((toMs - fromMs) / maxPoints);
  if (needed < MINUTE)
    return { resolution: 'raw', bucketMs: Math.max(1000, Math.ceil(needed / 1000) * 1000) };
  if (needed < HOUR) return { resolution: '1m', bucketMs: Math.ceil(needed / MINUTE) * MINUTE };
  return { resolution: '1h', bucketMs: Math.ceil(needed / HOUR) * HOUR };
}

// Rollups come through telemetry_minutes and telemetry_hours, which read buckets the rollup job has not yet
// recomputed from the raw rows: a reading written a second ago is in the chart, and counted once.
const rollupSource = (from: string): string =>
  `SELECT series_id, date_bin($2::interval, bucket, $3::timestamptz) AS b, sum(sum) / sum(count) AS mean,
          min(min) AS lo, max(max) AS hi, sum(count)::int AS n
     FROM ${from}($1::int[], $3::timestamptz, $4::timestamptz) GROUP BY 1, 2 ORDER BY 1, 2`;

const sources: Record<TelemetryResolution, string> = {
  raw: `SELECT series_id, date_bin($2::interval, time, $3::timestamptz) AS b, avg(value) AS mean, min(value) AS lo,
               max(value) AS hi, count(*)::int AS n
          FROM telemetry WHERE series_id = ANY($1::int[]) AND time >= $3 AND time < $4 GROUP BY 1, 2 ORDER BY 1, 2`,
  '1m': rollupSource('telemetry_minutes'),
  '1h': rollupSource('telemetry_hours'),
};

interface SeriesRow {
  id: number;
  key: string;
  unit: string;
  zone_id: string | null;
}

/**
 * Trend data for some series over a time range, at most `maxPoints` per series, each point the mean, min and
 * max of its bucket so peaks and troughs survive downsampling. Runs in the caller's tenant context.
 */
export async function queryTrend(
  client: pg.PoolClient,
  query: TelemetryQuery,
  zones: readonly string[] | null,
): Promise<TelemetryResponse> {
  const ids = [...new Set(query.series)];
  const { rows: found } = await client.query<SeriesRow>(
    `SELECT s.id, m.key, m.unit, a.zone_id FROM series s JOIN metrics m ON m.id = s.metric_id
       JOIN devices d ON d.id = s.device_id LEFT JOIN assets a ON a.id = d.asset_id
      WHERE s.id = ANY($1::int[])`,
    [ids],
  );
  const visible = found.filter((s) => zones === null || (s.zone_id !== null && zones.includes(s.zone_id)));
  if (visible.length !== ids.length) throw notFound('Series');
  const from = Date.parse(query.from);
  const to = Date.parse(query.to);
  const { resolution, bucketMs } = chooseResolution(from, to, query.maxPoints);
  const { rows } = await client.query<{
    series_id: number;
    b: Date;
    mean: number;
    lo: number;
    hi: number;
    n: number;
  }>(sources[resolution], [ids, `${String(bucketMs / 1000)} seconds`, new Date(from), new Date(to)]);
  return {
    from: new Date(from).toISOString(),
    to: new Date(to).toISOString(),
    series: ids.map((id) => {
      const info = visible.find((s) => s.id === id);
      return {
        seriesId: id,
        metricKey: info?.key ?? '',
        unit: info?.unit ?? '',
        resolution,
        bucketSeconds: bucketMs / 1000,
        points: rows
          .filter((row) => row.series_id === id)
          .map(
            (row) =>
              [row.b.toISOString(), row.mean, row.lo, row.hi, row.n] as [
                string,
                number,
                number,
                number,
                number,
              ],
          ),
      };
    }),
  };
}

/**
 * A text field of a CSV row (RFC 4180): quoted when it holds a comma, quote or line break. A leading `=`, `+`,
 * `-` or `@` gets an apostrophe, so a spreadsheet shows a unit such as "=cmd" instead of running it.
 */
export function csvText(text: string): string {
  const safe = /^[=+\-@\t\r]/.test(text) ? `'${text}` : text;
  return /[",\r\n]/.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe;
}

/** The same data as CSV, one row per series and bucket. */
export function trendCsv(trend: TelemetryResponse): string {
  const lines = ['time,series_id,metric,unit,mean,min,max,count'];
  for (const series of trend.series) {
    const metric = csvText(series.metricKey);
    const unit = csvText(series.unit);
    for (const [time, mean, min, max, count] of series.points) {
      lines.push([time, series.seriesId, metric, unit, mean, min, max, count].join(','));
    }
  }
  return `${lines.join('\n')}\n`;
}
