import {
  flowUnitsLph,
  type Dma,
  type DmaBalanceBucket,
  type DmaBalanceResolution,
  type DmaMeterDirection,
  type DmaNight,
} from '@tidewatch/shared';
import type pg from 'pg';
import { theilSen } from '../forecast/theil-sen.ts';

/*
 * A DMA's water balance from its meters' flow readings. A meter's volume in an hour is its mean flow over the
 * hour's readings times the hour, so a meter read every five minutes and one read every second weigh alike. Hours
 * are the tenant's local hours (a zone at UTC+05:30 has its hours at half past in UTC), so they are built from the
 * 1-minute rollups (telemetry_minutes: exact while a minute is still dirty), not from the UTC hourly rollup.
 */

const HOUR_MS = 3_600_000;

export interface DmaConfig extends Dma {
  /** Litres per hour in one unit of each meter's series, by series id. */
  readonly lphPerUnit: ReadonlyMap<number, number>;
}

interface DmaRow {
  zone_id: string;
  code: string;
  name: string;
  connections: number;
  night_start_hour: number;
  night_end_hour: number;
  legitimate_night_use_lph: number;
  meters: {
    seriesId: number;
    direction: DmaMeterDirection;
    label: string;
    metricKey: string;
    unit: string;
  }[];
}

const dmaSql = `
  SELECT z.id AS zone_id, z.code, z.name, d.connections, d.night_start_hour, d.night_end_hour,
         d.legitimate_night_use_lph,
         coalesce((SELECT json_agg(json_build_object(
                     'seriesId', m.series_id, 'direction', m.direction,
                     'label', coalesce(a.name, dv.name), 'metricKey', mt.key, 'unit', mt.unit)
                     ORDER BY m.direction, m.series_id)
                     FROM dma_meters m
                     JOIN series s ON s.id = m.series_id
                     JOIN metrics mt ON mt.id = s.metric_id
                     JOIN devices dv ON dv.id = s.device_id
                     LEFT JOIN assets a ON a.id = dv.asset_id
                    WHERE m.zone_id = d.zone_id), '[]') AS meters
    FROM dmas d JOIN zones z ON z.id = d.zone_id
   WHERE z.archived_at IS NULL AND ($1::uuid IS NULL OR z.id = $1::uuid)
     AND ($2::uuid[] IS NULL OR z.id = ANY($2::uuid[]))
   ORDER BY z.code`;

function toConfig(row: DmaRow): DmaConfig {
  return {
    zoneId: row.zone_id,
    code: row.code,
    name: row.name,
    connections: row.connections,
    nightStartHour: row.night_start_hour,
    nightEndHour: row.night_end_hour,
    legitimateNightUseLph: row.legitimate_night_use_lph,
    meters: row.meters,
    lphPerUnit: new Map(row.meters.map((m) => [m.seriesId, flowUnitsLph[m.unit] ?? Number.NaN])),
  };
}

/** The live DMAs of the tenant in context (one, or all) within the caller's zones. */
export async function loadDmas(
  client: pg.PoolClient,
  zones: readonly string[] | null,
  zoneId: string | null = null,
): Promise<DmaConfig[]> {
  const { rows } = await client.query<DmaRow>(dmaSql, [zoneId, zones]);
  return rows.map(toConfig);
}

export async function tenantTimeZone(client: pg.PoolClient): Promise<string> {
  const { rows } = await client.query<{ time_zone: string }>(
    'SELECT time_zone FROM tenants WHERE id = app_tenant_id()',
  );
  return rows[0]?.time_zone ?? 'UTC';
}

/** Mean flow of each meter in each local hour that has readings, keyed `<seriesId>@<hour start ms>`. */
type HourMeans = ReadonlyMap<string, number>;
const meanKey = (seriesId: number, hour: number): string => `${String(seriesId)}@${String(hour)}`;

/** The meters' mean flows in the local hours of some windows ([start, end) instants on local hour boundaries). */
async function hourMeans(
  client: pg.PoolClient,
  dma: DmaConfig,
  timeZone: string,
  windows: readonly { start: number; end: number }[],
): Promise<HourMeans> {
  if (windows.length === 0 || dma.meters.length === 0) return new Map();
  const { rows } = await client.query<{ series_id: number; hour: Date; mean: number }>(
    `SELECT m.series_id, (date_trunc('hour', m.bucket AT TIME ZONE $4) AT TIME ZONE $4) AS hour,
            sum(m.sum) / sum(m.count) AS mean
       FROM unnest($2::timestamptz[], $3::timestamptz[]) AS w (starts, ends)
       CROSS JOIN LATERAL telemetry_minutes($1::integer[], w.starts, w.ends) m
      GROUP BY 1, 2`,
    [
      dma.meters.map((m) => m.seriesId),
      windows.map((w) => new Date(w.start)),
      windows.map((w) => new Date(w.end)),
      timeZone,
    ],
  );
  return new Map(rows.map((row) => [meanKey(row.series_id, row.hour.getTime()), row.mean]));
}

interface HourBalance {
  readonly start: number;
  readonly inflowL: number;
  readonly outflowL: number;
  readonly complete: boolean;
}

function balanceOfHour(dma: DmaConfig, means: HourMeans, start: number): HourBalance {
  let inflowL = 0;
  let outflowL = 0;
  let complete = dma.meters.length > 0;
  for (const meter of dma.meters) {
    const mean = means.get(meanKey(meter.seriesId, start));
    if (mean === undefined) {
      complete = false;
      continue;
    }
    const litres = mean * (dma.lphPerUnit.get(meter.seriesId) ?? Number.NaN);
    if (meter.direction === 'inlet') inflowL += litres;
    else outflowL += litres;
  }
  return { start, inflowL, outflowL, complete };
}

/** Litres to the millilitre: sums of floating-point means carry noise far below what any meter resolves. */
const ml = (litres: number): number => Math.round(litres * 1000) / 1000;

/** [from, to) widened to whole local hours or days of `timeZone`. */
async function alignRange(
  client: pg.PoolClient,
  timeZone: string,
  from: Date,
  to: Date,
  unit: 'hour' | 'day',
): Promise<{ start: number; end: number }> {
  const { rows } = await client.query<{ starts: Date; ends: Date }>(
    `SELECT date_trunc($3, $1::timestamptz AT TIME ZONE $4) AT TIME ZONE $4 AS starts,
            (date_trunc($3, ($2::timestamptz AT TIME ZONE $4) - interval '1 microsecond')
              + ('1 ' || $3)::interval) AT TIME ZONE $4 AS ends`,
    [from, to, unit, timeZone],
  );
  const row = rows[0];
  if (!row) throw new Error('range alignment returned nothing');
  return { start: row.starts.getTime(), end: row.ends.getTime() };
}

const localDate = (timeZone: string) => {
  const format = new Intl.DateTimeFormat('en-CA', {
    timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
  });
  return (ms: number): string => format.format(new Date(ms));
};

/** The balance per local hour or day over [from, to), widened to whole buckets. */
export async function dmaBalance(
  client: pg.PoolClient,
  dma: DmaConfig,
  timeZone: string,
  from: Date,
  to: Date,
  resolution: DmaBalanceResolution,
): Promise<DmaBalanceBucket[]> {
  const range = await alignRange(client, timeZone, from, to, resolution);
  const means = await hourMeans(client, dma, timeZone, [range]);
  const hours: HourBalance[] = [];
  for (let start = range.start; start < range.end; start += HOUR_MS) {
    hours.push(balanceOfHour(dma, means, start));
  }
  const buckets: HourBalance[] = [];
  if (resolution === 'hour') {
    buckets.push(...hours);
  } else {
    const dateOf = localDate(timeZone);
    const byDate = new Map<string, HourBalance>();
    for (const hour of hours) {
      const date = dateOf(hour.start);
      const day = byDate.get(date);
      byDate.set(
        date,
        day
          ? {
              start: day.start,
              inflowL: day.inflowL + hour.inflowL,
              outflowL: day.outflowL + hour.outflowL,
              complete: day.complete && hour.complete,
            }
          : hour,
      );
    }
    buckets.push(...byDate.values());
  }
  return buckets.map((b) => ({
    start: new Date(b.start).toISOString(),
    inflowL: ml(b.inflowL),
    outflowL: ml(b.outflowL),
    netL: ml(b.inflowL - b.outflowL),
    complete: b.complete,
  }));
}

/**
 * The DMA's last `count` nights whose window ended by `asOf`, oldest first: each night's minimum night flow is the
 * lowest net inflow over a whole local hour of its window.
 */
export async function dmaNights(
  client: pg.PoolClient,
  dma: DmaConfig,
  timeZone: string,
  count: number,
  asOf: Date,
): Promise<DmaNight[]> {
  const { rows: windows } = await client.query<{ date: string; starts: Date; ends: Date }>(
    `SELECT to_char(d, 'YYYY-MM-DD') AS date,
            (d + make_interval(hours => $2)) AT TIME ZONE $4 AS starts,
            (d + make_interval(hours => $3)) AT TIME ZONE $4 AS ends
       FROM generate_series((($5::timestamptz AT TIME ZONE $4)::date - $1::integer)::timestamp,
                            ($5::timestamptz AT TIME ZONE $4)::date::timestamp, interval '1 day') AS d
      WHERE (d + make_interval(hours => $3)) AT TIME ZONE $4 <= $5::timestamptz
      ORDER BY d DESC LIMIT $1`,
    [count, dma.nightStartHour, dma.nightEndHour, timeZone, asOf],
  );
  windows.reverse();
  const means = await hourMeans(
    client,
    dma,
    timeZone,
    windows.map((w) => ({ start: w.starts.getTime(), end: w.ends.getTime() })),
  );
  const legitimate = dma.connections * dma.legitimateNightUseLph;
  return windows.map((w) => {
    const hours: HourBalance[] = [];
    for (let start = w.starts.getTime(); start < w.ends.getTime(); start += HOUR_MS) {
      hours.push(balanceOfHour(dma, means, start));
    }
    const complete = hours.length > 0 && hours.every((h) => h.complete);
    const minimum = complete ? Math.min(...hours.map((h) => h.inflowL - h.outflowL)) : null;
    const leakage = minimum === null ? null : Math.max(0, minimum - legitimate);
    return {
      date: w.date,
      windowStart: w.starts.toISOString(),
      windowEnd: w.ends.toISOString(),
      minNightFlowLph: minimum === null ? null : ml(minimum),
      legitimateNightUseLph: ml(legitimate),
      leakageLph: leakage === null ? null : ml(leakage),
      leakagePerConnectionLph:
        leakage === null || dma.connections === 0 ? null : ml(leakage / dma.connections),
      complete,
    };
  });
}

/** Theil–Sen slope of the nights' leakage, litres per hour per day; null with fewer than three known nights. */
export function leakageTrend(nights: readonly DmaNight[]): number | null {
  const points = nights.flatMap((n) =>
    n.leakageLph === null ? [] : [{ x: Date.parse(n.windowEnd) / 86_400_000, y: n.leakageLph }],
  );
  if (points.length < 3) return null;
  const line = theilSen(points);
  return line === null ? null : ml(line.slope);
}
