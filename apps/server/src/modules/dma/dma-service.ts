import {
  flowUnitsLph,
  type Dma,
  type DmaBalance,
  type DmaBalanceQuery,
  type DmaLeague,
  type DmaLeagueRow,
  type DmaNights,
  type PutDma,
} from '@tidewatch/shared';
import type pg from 'pg';
import { forbidden, invalid, notFound } from '../../http/app-error.ts';
import type { TenantContext } from '../../http/request-context.ts';
import { zoneLimit } from '../../http/zone-scope.ts';
import { recordAuditOnClient } from '../audit/record-audit.ts';
import { median } from '../forecast/theil-sen.ts';
import {
  dmaBalance,
  dmaNights,
  leakageTrend,
  loadDmas,
  tenantTimeZone,
  type DmaConfig,
} from './dma-balance.ts';

const toDma = ({ lphPerUnit: _units, ...dma }: DmaConfig): Dma => dma;

async function requireDma(client: pg.PoolClient, ctx: TenantContext, zoneId: string): Promise<DmaConfig> {
  const [dma] = await loadDmas(client, zoneLimit(ctx), zoneId);
  if (!dma) throw notFound('DMA');
  return dma;
}

export async function listDmas(client: pg.PoolClient, ctx: TenantContext): Promise<Dma[]> {
  return (await loadDmas(client, zoneLimit(ctx))).map(toDma);
}

export async function readDma(client: pg.PoolClient, ctx: TenantContext, zoneId: string): Promise<Dma> {
  return toDma(await requireDma(client, ctx, zoneId));
}

/**
 * Makes a live zone of kind `dma` a district metered area, or changes one; its meter list is replaced. Each meter
 * is a series of the tenant whose metric reads a flow in a unit Tidewatch converts (L/min, L/s, m³/h...).
 */
export async function putDma(
  client: pg.PoolClient,
  ctx: TenantContext,
  zoneId: string,
  body: PutDma,
): Promise<Dma> {
  const zones = zoneLimit(ctx);
  const { rows: zoneRows } = await client.query<{ kind: string }>(
    'SELECT kind::text FROM zones WHERE id = $1 AND archived_at IS NULL FOR UPDATE',
    [zoneId],
  );
  const zone = zoneRows[0];
  if (!zone) throw notFound('Zone');
  if (zones !== null && !zones.includes(zoneId)) throw forbidden('This zone is outside your zones');
  if (zone.kind !== 'dma') throw invalid('zoneId', 'Only a zone of kind dma can be a district metered area');
  const { rows: series } = await client.query<{ id: number; unit: string }>(
    `SELECT s.id, m.unit FROM series s JOIN metrics m ON m.id = s.metric_id WHERE s.id = ANY($1::integer[])`,
    [body.meters.map((m) => m.seriesId)],
  );
  const units = new Map(series.map((s) => [s.id, s.unit]));
  for (const [index, meter] of body.meters.entries()) {
    const unit = units.get(meter.seriesId);
    if (unit === undefined)
      throw invalid(`meters.${String(index)}.seriesId`, 'No such series in this tenant');
    if (flowUnitsLph[unit] === undefined) {
      throw invalid(
        `meters.${String(index)}.seriesId`,
        `The series reads in "${unit}", not a flow unit (${Object.keys(flowUnitsLph).join(', ')})`,
      );
    }
  }
  await client.query(
    `INSERT INTO dmas (zone_id, tenant_id, connections, night_start_hour, night_end_hour, legitimate_night_use_lph)
     VALUES ($1, app_tenant_id(), $2, $3, $4, $5)
     ON CONFLICT (zone_id) DO UPDATE SET connections = excluded.connections,
       night_start_hour = excluded.night_start_hour, night_end_hour = excluded.night_end_hour,
       legitimate_night_use_lph = excluded.legitimate_night_use_lph`,
    [zoneId, body.connections, body.nightStartHour, body.nightEndHour, body.legitimateNightUseLph],
  );
  await client.query('DELETE FROM dma_meters WHERE zone_id = $1', [zoneId]);
  await client.query(
    `INSERT INTO dma_meters (tenant_id, zone_id, series_id, direction)
     SELECT app_tenant_id(), $1, x.series_id, x.direction
       FROM unnest($2::integer[], $3::text[]) AS x (series_id, direction)`,
    [zoneId, body.meters.map((m) => m.seriesId), body.meters.map((m) => m.direction)],
  );
  const dma = toDma(await requireDma(client, ctx, zoneId));
  await recordAuditOnClient(client, ctx, {
    action: 'dma.put',
    resourceType: 'zone',
    resourceId: zoneId,
    details: { dma },
  });
  return dma;
}

/** The zone stays; it is no longer metered as a DMA (night-flow rules on it stop finding meters). */
export async function removeDma(client: pg.PoolClient, ctx: TenantContext, zoneId: string): Promise<void> {
  await requireDma(client, ctx, zoneId);
  await client.query('DELETE FROM dmas WHERE zone_id = $1', [zoneId]);
  await recordAuditOnClient(client, ctx, { action: 'dma.delete', resourceType: 'zone', resourceId: zoneId });
}

export async function readDmaBalance(
  client: pg.PoolClient,
  ctx: TenantContext,
  zoneId: string,
  query: DmaBalanceQuery,
): Promise<DmaBalance> {
  const dma = await requireDma(client, ctx, zoneId);
  const timeZone = await tenantTimeZone(client);
  const buckets = await dmaBalance(
    client,
    dma,
    timeZone,
    new Date(query.from),
    new Date(query.to),
    query.resolution,
  );
  return { zoneId, timeZone, resolution: query.resolution, buckets };
}

export async function readDmaNights(
  client: pg.PoolClient,
  ctx: TenantContext,
  zoneId: string,
  count: number,
  now = new Date(),
): Promise<DmaNights> {
  const dma = await requireDma(client, ctx, zoneId);
  const timeZone = await tenantTimeZone(client);
  const nights = await dmaNights(client, dma, timeZone, count, now);
  return { zoneId, timeZone, nights, leakageTrendLphPerDay: leakageTrend(nights) };
}

/** Nights the league table reads per DMA: the last one and the week before it. */
const LEAGUE_NIGHTS = 8;

/** Ranks 1.. by a value, largest first; rows without one get null. */
function ranks(
  rows: readonly DmaLeagueRow[],
  value: (row: DmaLeagueRow) => number | null,
): Map<string, number> {
  const ranked = rows
    .flatMap((row) => {
      const v = value(row);
      return v === null ? [] : [{ zoneId: row.zoneId, v }];
    })
    .sort((a, b) => b.v - a.v);
  return new Map(ranked.map((entry, index) => [entry.zoneId, index + 1]));
}

/**
 * Every DMA the caller sees on its last complete night: leakage per connection, and its change against the median
 * of the complete nights of the week before. Ordered by leakage per connection, largest first.
 */
export async function dmaLeague(
  client: pg.PoolClient,
  ctx: TenantContext,
  now = new Date(),
): Promise<DmaLeague> {
  const timeZone = await tenantTimeZone(client);
  const rows: DmaLeagueRow[] = [];
  for (const dma of await loadDmas(client, zoneLimit(ctx))) {
    const nights = (await dmaNights(client, dma, timeZone, LEAGUE_NIGHTS, now)).filter((n) => n.complete);
    const last = nights.at(-1);
    const before = nights.slice(0, -1).flatMap((n) => (n.leakageLph === null ? [] : [n.leakageLph]));
    rows.push({
      zoneId: dma.zoneId,
      code: dma.code,
      name: dma.name,
      connections: dma.connections,
      date: last?.date ?? null,
      minNightFlowLph: last?.minNightFlowLph ?? null,
      leakageLph: last?.leakageLph ?? null,
      leakagePerConnectionLph: last?.leakagePerConnectionLph ?? null,
      changeLph:
        last?.leakageLph != null && before.length > 0
          ? Math.round((last.leakageLph - median(before)) * 1000) / 1000
          : null,
      rankByLeakage: null,
      rankByChange: null,
    });
  }
  const byLeakage = ranks(rows, (row) => row.leakagePerConnectionLph);
  const byChange = ranks(rows, (row) => row.changeLph);
  return {
    timeZone,
    rows: rows
      .map((row) => ({
        ...row,
        rankByLeakage: byLeakage.get(row.zoneId) ?? null,
        rankByChange: byChange.get(row.zoneId) ?? null,
      }))
      .sort(
        (a, b) =>
          (a.rankByLeakage ?? Number.MAX_SAFE_INTEGER) - (b.rankByLeakage ?? Number.MAX_SAFE_INTEGER) ||
          a.code.localeCompare(b.code),
      ),
  };
}
