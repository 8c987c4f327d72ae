import { withTenant, withTenantClient, type Database, type DbContext } from '@tidewatch/db';
import {
  ALERT_RULE_PREVIEW_DAYS,
  ALERT_RULE_PREVIEW_MAX_RAISES,
  type AlertRulePreview,
  type AlertRulePreviewResolution,
  type AlertRulePreviewTarget,
  type PreviewAlertRule,
} from '@tidewatch/shared';
import type pg from 'pg';
import { invalid } from '../../http/app-error.ts';
import { checkRuleReferences } from '../alerts/rule-references.ts';
import { hourOfWeek } from './demand-cycle.ts';
import {
  delayDueAt,
  holdForCooldown,
  initialRuleState,
  learnCycle,
  stepReading,
  type RuleState,
} from './evaluators.ts';
import { dmaNights, loadDmas, tenantTimeZone } from '../dma/dma-balance.ts';
import { judgeNights, nightsToRead } from '../dma/night-flow-step.ts';
import { loadDeviceRows, resolveRules, toRule, type EngineRule, type RuleTarget } from './rule-cache.ts';

/** How much one preview may read: targets, and readings over all of them (look-back included). */
export interface PreviewLimits {
  readonly maxTargets: number;
  readonly maxPoints: number;
}

interface Point {
  /** Epoch ms. */
  readonly time: number;
  readonly value: number;
}

interface Replay {
  readonly points: number;
  readonly raises: { readonly at: number; readonly value: number | null }[];
  readonly alarmMs: number;
  readonly activeAtEnd: boolean;
}

const DAY_MS = 86_400_000;
/** The candidate rule has no id yet; targets and messages never show this one. */
const UNSAVED_RULE_ID = '00000000-0000-0000-0000-000000000000';

/** How far before the window a target's readings matter: a rate's window, an anomaly rule's history. */
function lookBackMs(rule: EngineRule): number {
  if (rule.condition === 'rate_of_change') return (rule.windowS ?? 0) * 1000;
  if (rule.condition === 'anomaly' && rule.anomaly.cycle === 'week')
    return rule.anomaly.historyWeeks * 7 * DAY_MS;
  if (rule.condition === 'anomaly') return (rule.windowS ?? 86_400) * 1000;
  if (rule.condition === 'forecast' || rule.condition === 'pump_starts') return (rule.windowS ?? 0) * 1000;
  return 0;
}

/** As the engine starts a new anomaly state: mean and spread of the last warm-up readings before the window. */
function learnHistory(rule: EngineRule, state: RuleState, history: readonly Point[], from: number): void {
  const since = from - (rule.windowS ?? 86_400) * 1000;
  const recent = history.filter((p) => p.time >= since).slice(-rule.anomaly.warmupSamples);
  if (recent.length === 0) return;
  const mean = recent.reduce((sum, p) => sum + p.value, 0) / recent.length;
  state.mean = mean;
  state.variance = recent.reduce((sum, p) => sum + (p.value - mean) ** 2, 0) / recent.length;
  state.samples = recent.length;
}

/** As the engine starts a new state with the demand cycle: each hour of the week learns the weeks before. */
function learnCycleHistory(
  rule: EngineRule,
  state: RuleState,
  history: readonly Point[],
  from: number,
  timeZone: string,
): void {
  const since = from - rule.anomaly.historyWeeks * 7 * DAY_MS;
  for (const p of history) {
    if (p.time >= since) learnCycle(state, p.value, hourOfWeek(p.time, timeZone), rule.anomaly.alpha);
  }
}

/**
 * Replays one target's readings (oldest first) through the engine's own step, from a normal state. Between
 * readings, a delay that ran out acts at its due time as the engine's delay job would. An alert is taken to close
 * when its condition clears, so the cooldown runs from then (in service it runs from the acknowledgement).
 */
export function replayTarget(
  rule: EngineRule,
  points: readonly Point[],
  from: number,
  to: number,
  /** The tenant's, for an anomaly rule with the demand cycle. */
  timeZone = 'UTC',
): Replay {
  const weekly = rule.condition === 'anomaly' && rule.anomaly.cycle === 'week';
  const state = initialRuleState();
  const onDelayMs = rule.onDelayS * 1000;
  const offDelayMs = rule.offDelayS * 1000;
  const windowMs = (rule.windowS ?? 0) * 1000;
  const raises: { at: number; value: number | null }[] = [];
  let cooldownUntil = Number.NEGATIVE_INFINITY;
  const alarm: { since: number | null; ms: number } = { since: null, ms: 0 };
  let lastValue: number | null = null;
  let evaluated = 0;

  const raised = (at: number, value: number | null) => {
    raises.push({ at, value });
    alarm.since = at;
  };
  const cleared = (at: number) => {
    if (alarm.since !== null) alarm.ms += at - alarm.since;
    alarm.since = null;
    cooldownUntil = at + rule.cooldownS * 1000;
  };
  /** What the delay job would have done before `now`. */
  const applyDueDelay = (now: number) => {
    const due = delayDueAt(state, onDelayMs, offDelayMs);
    if (due === null) return;
    const at = state.active ? due : Math.max(due, cooldownUntil);
    if (at > now) return;
    state.pendingSince = null;
    state.clearingSince = null;
    state.active = !state.active;
    if (state.active) raised(at, lastValue);
    else cleared(at);
  };

  const start = points.findIndex((p) => p.time >= from);
  const first = start === -1 ? points.length : start;
  if (weekly) learnCycleHistory(rule, state, points.slice(0, first), from, timeZone);
  else if (rule.condition === 'anomaly') learnHistory(rule, state, points.slice(0, first), from);
  let oldest = 0;
  for (let i = first; i < points.length; i += 1) {
    const reading = points[i] as Point;
    applyDueDelay(reading.time);
    while (oldest < i && (points[oldest] as Point).time < reading.time - windowMs) oldest += 1;
    const candidate = points[oldest];
    const baseline = candidate && candidate.time < reading.time ? candidate.value : null;
    const pendingBefore = state.pendingSince;
    const { verdict } = stepReading(rule, state, reading, {
      baseline,
      ...(rule.condition === 'forecast' || rule.condition === 'pump_starts'
        ? { recent: points.slice(oldest, i + 1) }
        : {}),
      ...(weekly ? { hourOfWeek: hourOfWeek(reading.time, timeZone) } : {}),
    });
    evaluated += 1;
    lastValue = reading.value;
    if (verdict === 'raise') {
      if (reading.time < cooldownUntil) holdForCooldown(state, pendingBefore, reading.time);
      else raised(reading.time, reading.value);
    } else if (verdict === 'clear') {
      cleared(reading.time);
    }
  }
  applyDueDelay(to);
  const activeAtEnd = state.active;
  if (alarm.since !== null) alarm.ms += to - alarm.since;
  return { points: evaluated, raises, alarmMs: alarm.ms, activeAtEnd };
}

// The 1-minute buckets come through telemetry_minutes: those the rollup job has not recomputed yet are read raw.
const pointSources = {
  raw: 'telemetry WHERE series_id = ANY($1::integer[]) AND time >= $2 AND time < $3',
  minutes: 'telemetry_minutes($1::integer[], $2::timestamptz, $3::timestamptz)',
};

/** The same reference checks as creating the rule: every id must be of the tenant in context. */
async function countPoints(
  client: pg.PoolClient,
  source: keyof typeof pointSources,
  seriesIds: readonly number[],
  from: number,
  to: number,
): Promise<number> {
  const { rows } = await client.query<{ n: number }>(
    `SELECT count(*)::integer AS n FROM ${pointSources[source]}`,
    [seriesIds, new Date(from), new Date(to)],
  );
  return rows[0]?.n ?? 0;
}

/** A minute of the rollup stands for its readings by the extreme the condition looks at. */
function rollupValue(rule: EngineRule): string {
  if (rule.condition === 'high' || rule.condition === 'high_high') return 'max';
  if (rule.condition === 'low' || rule.condition === 'low_low') return 'min';
  return 'sum / count';
}

/** The raw readings if there are few enough, else the 1-minute rollup; refuses when both are too many. */
async function chooseResolution(
  client: pg.PoolClient,
  seriesIds: readonly number[],
  from: number,
  to: number,
  maxPoints: number,
): Promise<AlertRulePreviewResolution> {
  const raw = await countPoints(client, 'raw', seriesIds, from, to);
  if (raw <= maxPoints) return 'raw';
  const minutes = await countPoints(client, 'minutes', seriesIds, from, to);
  if (minutes <= maxPoints) return '1m';
  throw invalid(
    'scope',
    `The rule's targets hold ${String(raw)} readings in the last ${String(ALERT_RULE_PREVIEW_DAYS)} days ` +
      `(${String(minutes)} minutes of rollup); a preview reads at most ${String(maxPoints)}: narrow the rule`,
  );
}

async function readPoints(
  client: pg.PoolClient,
  rule: EngineRule,
  resolution: AlertRulePreviewResolution,
  seriesIds: readonly number[],
  from: number,
  to: number,
): Promise<Map<number, Point[]>> {
  const sql =
    resolution === 'raw'
      ? `SELECT series_id, (extract(epoch FROM time) * 1000)::float8 AS t, value FROM telemetry
          WHERE series_id = ANY($1::integer[]) AND time >= $2 AND time < $3 ORDER BY series_id, time`
      : `SELECT series_id, (extract(epoch FROM bucket) * 1000)::float8 AS t, ${rollupValue(rule)} AS value
           FROM ${pointSources.minutes} ORDER BY series_id, bucket`;
  const { rows } = await client.query<{ series_id: number; t: number; value: number }>(sql, [
    seriesIds,
    new Date(from),
    new Date(to),
  ]);
  const bySeries = new Map<number, Point[]>();
  for (const row of rows) {
    const list = bySeries.get(row.series_id) ?? [];
    list.push({ time: Math.round(row.t), value: row.value });
    bySeries.set(row.series_id, list);
  }
  return bySeries;
}

function targetOf(pair: RuleTarget, replay: Replay): AlertRulePreviewTarget {
  const { target } = pair;
  return {
    targetKey: target.key,
    seriesId: target.seriesId ?? 0,
    deviceId: target.deviceId,
    assetId: target.assetId,
    label: target.label,
    metricKey: target.metricKey,
    points: replay.points,
    raiseCount: replay.raises.length,
    timeInAlarmS: replay.alarmMs / 1000,
    activeAtEnd: replay.activeAtEnd,
  };
}

/** The candidate as the engine would load it once saved. */
const candidateRule = (candidate: PreviewAlertRule): EngineRule =>
  toRule({
    id: UNSAVED_RULE_ID,
    name: candidate.name,
    condition: candidate.condition,
    priority: candidate.priority,
    scope: candidate.scope,
    series_id: candidate.seriesId,
    asset_id: candidate.assetId,
    asset_kind: candidate.assetKind,
    tag: candidate.tag,
    zone_id: candidate.zoneId,
    metric_id: candidate.metricId,
    setpoint: candidate.setpoint,
    deadband: candidate.deadband,
    on_delay_s: candidate.onDelayS,
    off_delay_s: candidate.offDelayS,
    window_s: candidate.windowS,
    cooldown_s: candidate.cooldownS,
    params: candidate.params,
  });

/**
 * A night-flow rule replayed over the DMA's nights: each night whose window ended in [from, to) is judged as the
 * engine's job judges it when that window ends, which is when a step raises (and a quiet night clears).
 */
async function previewNightFlow(
  client: pg.PoolClient,
  rule: EngineRule,
  zones: readonly string[] | null,
  from: number,
  to: number,
): Promise<AlertRulePreview> {
  const [dma] = await loadDmas(client, zones, rule.zoneId);
  if (!dma) throw invalid('zoneId', 'The zone is not a district metered area');
  const timeZone = await tenantTimeZone(client);
  const nights = await dmaNights(
    client,
    dma,
    timeZone,
    nightsToRead(rule.nightFlow) + ALERT_RULE_PREVIEW_DAYS,
    new Date(to),
  );
  const judged = judgeNights(
    nights.map((n) => ({
      date: n.date,
      windowEnd: Date.parse(n.windowEnd),
      minNightFlowLph: n.minNightFlowLph,
    })),
    rule.nightFlow,
  );
  const raises: { at: number; value: number | null }[] = [];
  let active = false;
  let since = 0;
  let alarmMs = 0;
  let cooldownUntil = Number.NEGATIVE_INFINITY;
  let points = 0;
  for (const night of judged) {
    if (night.windowEnd < from || night.minNightFlowLph === null) continue;
    points += 1;
    if (night.stepped && !active && night.windowEnd >= cooldownUntil) {
      active = true;
      since = night.windowEnd;
      raises.push({ at: night.windowEnd, value: night.minNightFlowLph });
    } else if (!night.stepped && active) {
      active = false;
      alarmMs += night.windowEnd - since;
      cooldownUntil = night.windowEnd + rule.cooldownS * 1000;
    }
  }
  if (active) alarmMs += to - since;
  return {
    from: new Date(from).toISOString(),
    to: new Date(to).toISOString(),
    resolution: '1m',
    points,
    totalRaises: raises.length,
    timeInAlarmS: alarmMs / 1000,
    raises: raises
      .slice(0, ALERT_RULE_PREVIEW_MAX_RAISES)
      .map((r) => ({ at: new Date(r.at).toISOString(), seriesId: 0, value: r.value })),
    raisesTruncated: raises.length > ALERT_RULE_PREVIEW_MAX_RAISES,
    targets: [
      {
        targetKey: `zone:${dma.zoneId}`,
        seriesId: 0,
        deviceId: null,
        assetId: null,
        label: dma.name,
        metricKey: null,
        points,
        raiseCount: raises.length,
        timeInAlarmS: alarmMs / 1000,
        activeAtEnd: active,
      },
    ],
  };
}

/**
 * How often `candidate` would have raised over the last days of its targets' stored readings, evaluated with
 * the engine's own steps; nothing is written. The targets are resolved as the engine resolves a saved rule.
 */
export async function previewAlertRule(
  db: Database,
  context: DbContext,
  /** The caller's zone limit: a preview replays readings, so it may only name targets within it. */
  zones: readonly string[] | null,
  candidate: PreviewAlertRule,
  limits: PreviewLimits,
  now = Date.now(),
): Promise<AlertRulePreview> {
  if (candidate.condition === 'no_data' || candidate.condition === 'device_offline') {
    throw invalid(
      'condition',
      'A preview replays readings: it covers limits, rate of change, anomaly, forecast, pump-starts and night-flow rules',
    );
  }
  await withTenant(db.prisma, context, (tx) => checkRuleReferences(tx, zones, candidate));
  const rule = candidateRule(candidate);
  const to = now;
  const from = to - ALERT_RULE_PREVIEW_DAYS * DAY_MS;
  if (rule.condition === 'night_flow_step') {
    return withTenantClient(db.pool, context, (client) => previewNightFlow(client, rule, zones, from, to));
  }
  const readFrom = from - lookBackMs(rule);

  return withTenantClient(db.pool, context, async (client) => {
    // A preview is a read a person waits for: it may not hold a connection for long.
    await client.query(`SET LOCAL statement_timeout = '30s'`);
    const pairs = [...resolveRules([rule], await loadDeviceRows(client), now).valueRules.values()].flat();
    if (pairs.length > limits.maxTargets) {
      throw invalid(
        'scope',
        `The rule covers ${String(pairs.length)} series; a preview evaluates at most ${String(limits.maxTargets)}: ` +
          'narrow it to a zone, an asset or one series',
      );
    }
    const seriesIds = pairs.flatMap((p) => (p.target.seriesId === null ? [] : [p.target.seriesId]));
    const resolution =
      seriesIds.length === 0
        ? 'raw'
        : await chooseResolution(client, seriesIds, readFrom, to, limits.maxPoints);
    const points =
      seriesIds.length === 0
        ? new Map<number, Point[]>()
        : await readPoints(client, rule, resolution, seriesIds, readFrom, to);

    const timeZone = await tenantTimeZone(client);
    const replays = pairs.map((pair) => ({
      pair,
      replay: replayTarget(rule, points.get(pair.target.seriesId ?? -1) ?? [], from, to, timeZone),
    }));
    const raises = replays
      .flatMap(({ pair, replay }) =>
        replay.raises.map((r) => ({ at: r.at, seriesId: pair.target.seriesId ?? 0, value: r.value })),
      )
      .sort((a, b) => a.at - b.at || a.seriesId - b.seriesId);
    return {
      from: new Date(from).toISOString(),
      to: new Date(to).toISOString(),
      resolution,
      points: replays.reduce((sum, r) => sum + r.replay.points, 0),
      totalRaises: raises.length,
      timeInAlarmS: replays.reduce((sum, r) => sum + r.replay.alarmMs, 0) / 1000,
      raises: raises
        .slice(0, ALERT_RULE_PREVIEW_MAX_RAISES)
        .map((r) => ({ at: new Date(r.at).toISOString(), seriesId: r.seriesId, value: r.value })),
      raisesTruncated: raises.length > ALERT_RULE_PREVIEW_MAX_RAISES,
      targets: replays.map(({ pair, replay }) => targetOf(pair, replay)),
    };
  });
}
