import { withTenant, type Database, type TenantTransaction } from '@tidewatch/db';
import type { HandoverReport } from '@tidewatch/shared';
import { dbContext, type TenantContext } from '../../http/request-context.ts';
import { zoneLimit } from '../../http/zone-scope.ts';

interface AlertLine {
  kind: string;
  priority: string;
  state: string;
  rule_name: string;
  asset_name: string | null;
  zone_name: string | null;
  raised_at: Date;
  message: string;
  who: string | null;
  why: string | null;
  until: Date | null;
}

type Priority = HandoverReport['standing'][number]['priority'];

export interface ReportScope {
  readonly tenantId: string;
  /** The zones the reader may see; null: all. */
  readonly zones: string[] | null;
  readonly from: Date;
  readonly to: Date;
  readonly preparedBy: string | null;
  readonly notes: string | null;
}

/** EEMUA 191's benchmarks for one operator: the average rate per hour, and alarms in the busiest ten minutes. */
export function eemuaVerdicts(
  averagePerHour: number,
  peakPer10Min: number,
): Pick<HandoverReport['kpis'], 'averageVerdict' | 'peakVerdict'> {
  return {
    averageVerdict:
      averagePerHour <= 6
        ? 'very likely acceptable'
        : averagePerHour <= 12
          ? 'manageable'
          : averagePerHour <= 30
            ? 'over-demanding'
            : 'very likely unacceptable',
    peakVerdict: peakPer10Min <= 10 ? 'acceptable' : peakPer10Min <= 20 ? 'hard to cope with' : 'excessive',
  };
}

/**
 * A shift report as the database holds it now, in the caller's tenant transaction, within `scope.zones`: alarms
 * standing (unacknowledged, or acknowledged and still active), shelved (by whom, why, until when) and out of
 * service (by whom, why); open incidents; the period's alarm events, rates against EEMUA 191 and device downtime.
 * The handover is this over the last shift; the daily operations report, over a local day.
 */
export async function collectShiftReport(tx: TenantTransaction, scope: ReportScope): Promise<HandoverReport> {
  const { zones, from, to } = scope;
  const [header] = await tx.$queryRaw<{ tenant: string; time_zone: string }[]>`
    SELECT t.name AS tenant, t.time_zone FROM tenants t WHERE t.id = ${scope.tenantId}::uuid`;
  const alerts = await tx.$queryRaw<AlertLine[]>`
    SELECT CASE WHEN a.state = 'shelved' THEN 'shelved' WHEN a.state = 'out_of_service' THEN 'out_of_service'
                ELSE 'standing' END AS kind,
           a.priority::text, a.state::text, r.name AS rule_name, s.name AS asset_name, z.name AS zone_name,
           a.raised_at, a.message,
           CASE WHEN a.state = 'shelved' THEN sb.display_name
                WHEN a.state = 'out_of_service' THEN oos.who
                ELSE ab.display_name END AS who,
           CASE WHEN a.state = 'shelved' THEN a.shelve_reason
                WHEN a.state = 'out_of_service' THEN oos.why END AS why,
           a.shelved_until AS until
      FROM alerts a
      JOIN alert_rules r ON r.id = a.rule_id
      LEFT JOIN assets s ON s.id = a.asset_id
      LEFT JOIN zones z ON z.id = a.zone_id
      LEFT JOIN users ab ON ab.id = a.acknowledged_by
      LEFT JOIN users sb ON sb.id = a.shelved_by
      LEFT JOIN LATERAL (
        SELECT u.display_name AS who, t.comment AS why FROM alert_transitions t LEFT JOIN users u ON u.id = t.user_id
         WHERE t.alert_id = a.id AND t.to_state = 'out_of_service' ORDER BY t.at DESC, t.id DESC LIMIT 1) oos ON true
     WHERE a.closed_at IS NULL AND a.state <> 'suppressed'
       AND (${zones}::uuid[] IS NULL OR a.zone_id = ANY(${zones}::uuid[]))
     ORDER BY a.priority, a.raised_at`;
  const incidents = await tx.$queryRaw<
    {
      number: number;
      title: string;
      status: string;
      priority: string;
      assignee: string | null;
      opened_at: Date;
    }[]
  >`SELECT i.number, i.title, i.status::text, i.priority::text, u.display_name AS assignee, i.opened_at
      FROM incidents i LEFT JOIN users u ON u.id = i.assignee_id
     WHERE i.status <> 'closed' AND (${zones}::uuid[] IS NULL OR i.zone_id IS NULL OR i.zone_id = ANY(${zones}::uuid[]))
     ORDER BY i.priority, i.opened_at`;
  const [events] = await tx.$queryRaw<{ raised: number; acknowledged: number; cleared: number }[]>`
    SELECT count(*) FILTER (WHERE t.from_state = 'normal')::int AS raised,
           count(*) FILTER (WHERE t.user_id IS NOT NULL AND a.acknowledged_at = t.at)::int AS acknowledged,
           count(*) FILTER (WHERE t.comment = 'Condition cleared')::int AS cleared
      FROM alert_transitions t JOIN alerts a ON a.id = t.alert_id
     WHERE t.at >= ${from} AND t.at < ${to}
       AND (${zones}::uuid[] IS NULL OR a.zone_id = ANY(${zones}::uuid[]))`;
  const [kpis] = await tx.$queryRaw<
    { critical: number; high: number; medium: number; low: number; peak: number; median_ack: number | null }[]
  >`WITH raised AS (
      SELECT a.priority, a.raised_at, a.acknowledged_at FROM alerts a
       WHERE a.raised_at >= ${from} AND a.raised_at < ${to}
         AND (${zones}::uuid[] IS NULL OR a.zone_id = ANY(${zones}::uuid[])))
    SELECT count(*) FILTER (WHERE priority = 'critical')::int AS critical,
           count(*) FILTER (WHERE priority = 'high')::int AS high,
           count(*) FILTER (WHERE priority = 'medium')::int AS medium,
           count(*) FILTER (WHERE priority = 'low')::int AS low,
           coalesce((SELECT max(n) FROM (SELECT count(*)::int AS n FROM raised
                      GROUP BY date_bin(interval '10 minutes', raised_at, ${from}::timestamptz)) w), 0)::int AS peak,
           (percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM acknowledged_at - raised_at)))::float8
             AS median_ack
      FROM raised`;
  const downtime = await tx.$queryRaw<
    {
      device_name: string;
      asset_name: string | null;
      started_at: Date;
      ended_at: Date | null;
      minutes: number;
      total: number;
    }[]
  >`SELECT d.name AS device_name, s.name AS asset_name, w.started_at, w.ended_at,
           (extract(epoch FROM least(coalesce(w.ended_at, ${to}::timestamptz), ${to}::timestamptz)
                              - greatest(w.started_at, ${from}::timestamptz)) / 60)::int AS minutes,
           count(*) OVER ()::int AS total
      FROM device_downtimes w JOIN devices d ON d.id = w.device_id LEFT JOIN assets s ON s.id = d.asset_id
     WHERE w.started_at < ${to} AND (w.ended_at IS NULL OR w.ended_at > ${from})
       AND (${zones}::uuid[] IS NULL OR s.zone_id = ANY(${zones}::uuid[]))
     ORDER BY minutes DESC, d.name LIMIT 20`;
  const line = (row: AlertLine) => ({
    priority: row.priority as Priority,
    state: row.state,
    ruleName: row.rule_name,
    assetName: row.asset_name,
    zoneName: row.zone_name,
    raisedAt: row.raised_at.toISOString(),
    message: row.message,
    who: row.who,
    why: row.why,
    until: row.until?.toISOString() ?? null,
  });
  const raisedByPriority = {
    critical: kpis?.critical ?? 0,
    high: kpis?.high ?? 0,
    medium: kpis?.medium ?? 0,
    low: kpis?.low ?? 0,
  };
  const raised =
    raisedByPriority.critical + raisedByPriority.high + raisedByPriority.medium + raisedByPriority.low;
  const hours = Math.max((to.getTime() - from.getTime()) / 3_600_000, 1 / 60);
  const averagePerHour = Math.round((raised / hours) * 100) / 100;
  const peakPer10Min = kpis?.peak ?? 0;
  return {
    tenantName: header?.tenant ?? '',
    timeZone: header?.time_zone ?? 'UTC',
    preparedBy: scope.preparedBy,
    from: from.toISOString(),
    to: to.toISOString(),
    notes: scope.notes,
    standing: alerts.filter((a) => a.kind === 'standing').map(line),
    shelved: alerts.filter((a) => a.kind === 'shelved').map(line),
    outOfService: alerts.filter((a) => a.kind === 'out_of_service').map(line),
    incidents: incidents.map((i) => ({
      reference: `INC-${String(i.number)}`,
      title: i.title,
      status: i.status,
      priority: i.priority as Priority,
      assignee: i.assignee,
      openedAt: i.opened_at.toISOString(),
    })),
    shiftEvents: {
      raised: events?.raised ?? 0,
      acknowledged: events?.acknowledged ?? 0,
      cleared: events?.cleared ?? 0,
    },
    kpis: {
      raisedByPriority,
      averagePerHour,
      peakPer10Min,
      medianAcknowledgeS: kpis?.median_ack ?? null,
      ...eemuaVerdicts(averagePerHour, peakPer10Min),
    },
    downtime: {
      devices: downtime[0]?.total ?? 0,
      longest: downtime.map((d) => ({
        deviceName: d.device_name,
        assetName: d.asset_name,
        startedAt: d.started_at.toISOString(),
        endedAt: d.ended_at?.toISOString() ?? null,
        minutes: d.minutes,
      })),
    },
  };
}

/** The handover of the last `shiftHours`, as the signed-in user sees the tenant (their zones). */
export function readHandoverReport(
  db: Database,
  ctx: TenantContext,
  shiftHours: number,
  notes: string | null,
): Promise<HandoverReport> {
  const to = new Date();
  return withTenant(db.prisma, dbContext(ctx), (tx) =>
    collectShiftReport(tx, {
      tenantId: ctx.tenantId,
      zones: zoneLimit(ctx) as string[] | null,
      from: new Date(to.getTime() - shiftHours * 3_600_000),
      to,
      preparedBy: ctx.principal.displayName,
      notes,
    }),
  );
}
