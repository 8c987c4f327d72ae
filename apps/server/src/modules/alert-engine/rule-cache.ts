import { withTenantClient } from '@tidewatch/db';
import {
  anomalyParamsSchema,
  forecastParamsSchema,
  nightFlowStepParamsSchema,
  pumpStartsParamsSchema,
  rateParamsSchema,
  type AlertCondition,
  type AlertPriority,
  type AlertTargetScope,
  type AnomalyParams,
  type ForecastParams,
  type NightFlowStepParams,
  type PumpStartsParams,
  type RateParams,
} from '@tidewatch/shared';
import type pg from 'pg';
import { tagTextSql } from '../tags/tag.queries.ts';

/** A rule as the engine evaluates it. */
export interface EngineRule {
  readonly id: string;
  readonly name: string;
  readonly condition: AlertCondition;
  readonly priority: AlertPriority;
  readonly scope: AlertTargetScope;
  readonly seriesId: number | null;
  readonly assetId: string | null;
  readonly assetKind: string | null;
  /** Scope `tag`: the tag (`key` or `key:value`) of the assets or devices watched. */
  readonly tag: string | null;
  readonly zoneId: string | null;
  readonly metricId: string | null;
  readonly setpoint: number | null;
  readonly deadband: number;
  readonly onDelayS: number;
  readonly offDelayS: number;
  readonly windowS: number | null;
  readonly cooldownS: number;
  readonly anomaly: AnomalyParams;
  readonly rate: RateParams;
  readonly forecast: ForecastParams;
  readonly nightFlow: NightFlowStepParams;
  readonly pumpStarts: PumpStartsParams;
}

/** A forecast rule whose params do not parse watches nothing (neither level given) rather than stop the engine. */
const inertForecast: ForecastParams = { horizonS: 1800, fullLevel: null, emptyLevel: null, minPoints: 5 };

/** What one alert is about: a series, or a whole device (offline, silent). */
export interface Target {
  /** `series:<id>` or `device:<uuid>`, the key of the one-open-alert rule. */
  readonly key: string;
  readonly seriesId: number | null;
  readonly deviceId: string;
  readonly assetId: string | null;
  readonly zoneId: string | null;
  /** The asset's name, else the device's, for messages. */
  readonly label: string;
  readonly metricKey: string | null;
  readonly unit: string;
}

export interface RuleTarget {
  readonly rule: EngineRule;
  readonly target: Target;
}

/** A tenant's enabled rules resolved to their targets. */
export interface TenantRules {
  readonly loadedAt: number;
  readonly series: ReadonlySet<number>;
  /** Value rules (thresholds, rate of change, anomaly, forecast, pump starts) by the series they watch. */
  readonly valueRules: ReadonlyMap<number, readonly RuleTarget[]>;
  readonly noData: readonly RuleTarget[];
  readonly offline: readonly RuleTarget[];
  /** Night-flow step rules, each watching the DMA of its zone (judged by a job, not per reading). */
  readonly nightFlow: readonly EngineRule[];
}

const valueConditions: ReadonlySet<AlertCondition> = new Set([
  'high',
  'high_high',
  'low',
  'low_low',
  'rate_of_change',
  'anomaly',
  'forecast',
  'pump_starts',
]);

/** An alert rule as stored (snake case, params unchecked). */
export interface RuleRow {
  id: string;
  name: string;
  condition: AlertCondition;
  priority: AlertPriority;
  scope: AlertTargetScope;
  series_id: number | null;
  asset_id: string | null;
  asset_kind: string | null;
  tag: string | null;
  zone_id: string | null;
  metric_id: string | null;
  setpoint: number | null;
  deadband: number;
  on_delay_s: number;
  off_delay_s: number;
  window_s: number | null;
  cooldown_s: number;
  params: Record<string, unknown>;
}

/** A device with one of its series (or none), as rules are resolved against. */
export interface DeviceRow {
  device_id: string;
  device_name: string;
  asset_id: string | null;
  asset_kind: string | null;
  asset_name: string | null;
  zone_id: string | null;
  /** The tags of the device and of its asset, as the API writes them. */
  tags: string[];
  /** Null for a device without series. */
  series_id: number | null;
  metric_id: string | null;
  metric_key: string | null;
  unit: string | null;
}

export function toRule(row: RuleRow): EngineRule {
  // Rules saved before params were validated fall back to the defaults rather than stop the engine.
  const anomaly = anomalyParamsSchema.safeParse(row.condition === 'anomaly' ? row.params : {});
  const rate = rateParamsSchema.safeParse(row.condition === 'rate_of_change' ? row.params : {});
  const forecast = forecastParamsSchema.safeParse(row.params);
  const pumpStarts = pumpStartsParamsSchema.safeParse(row.condition === 'pump_starts' ? row.params : {});
  const nightFlow = nightFlowStepParamsSchema.safeParse(
    row.condition === 'night_flow_step' ? row.params : {},
  );
  return {
    id: row.id,
    name: row.name,
    condition: row.condition,
    priority: row.priority,
    scope: row.scope,
    seriesId: row.series_id,
    assetId: row.asset_id,
    assetKind: row.asset_kind,
    tag: row.tag,
    zoneId: row.zone_id,
    metricId: row.metric_id,
    setpoint: row.setpoint,
    deadband: row.deadband,
    onDelayS: row.on_delay_s,
    offDelayS: row.off_delay_s,
    windowS: row.window_s,
    cooldownS: row.cooldown_s,
    anomaly: anomaly.success ? anomaly.data : anomalyParamsSchema.parse({}),
    rate: rate.success ? rate.data : rateParamsSchema.parse({}),
    forecast: row.condition === 'forecast' && forecast.success ? forecast.data : inertForecast,
    nightFlow: nightFlow.success ? nightFlow.data : nightFlowStepParamsSchema.parse({}),
    pumpStarts: pumpStarts.success ? pumpStarts.data : pumpStartsParamsSchema.parse({}),
  };
}

/** Whether a rule covers a device (by its asset); the metric is checked separately. */
function coversDevice(rule: EngineRule, device: DeviceRow): boolean {
  switch (rule.scope) {
    case 'series':
      return false;
    case 'asset':
      return device.asset_id !== null && device.asset_id === rule.assetId;
    case 'asset_kind':
      return device.asset_kind === rule.assetKind && (rule.zoneId === null || rule.zoneId === device.zone_id);
    case 'zone':
      return false;
    case 'tag':
      return (
        rule.tag !== null &&
        device.tags.some((tag) => tagMatches(tag, rule.tag ?? '')) &&
        (rule.zoneId === null || rule.zoneId === device.zone_id)
      );
  }
}

/** The same match as the API's `?tag=` filter: `key` matches every value of the key. */
function tagMatches(tag: string, wanted: string): boolean {
  return tag === wanted || (!wanted.includes(':') && tag.startsWith(`${wanted}:`));
}

function coversSeries(rule: EngineRule, row: DeviceRow): boolean {
  if (row.series_id === null) return false;
  if (rule.scope === 'series') return rule.seriesId === row.series_id;
  return coversDevice(rule, row) && (rule.metricId === null || rule.metricId === row.metric_id);
}

function seriesTarget(row: DeviceRow & { series_id: number }): Target {
  return {
    key: `series:${String(row.series_id)}`,
    seriesId: row.series_id,
    deviceId: row.device_id,
    assetId: row.asset_id,
    zoneId: row.zone_id,
    label: row.asset_name ?? row.device_name,
    metricKey: row.metric_key,
    unit: row.unit ?? '',
  };
}

function deviceTarget(row: DeviceRow): Target {
  return {
    key: `device:${row.device_id}`,
    seriesId: null,
    deviceId: row.device_id,
    assetId: row.asset_id,
    zoneId: row.zone_id,
    label: row.asset_name ?? row.device_name,
    metricKey: null,
    unit: '',
  };
}

/** Resolves rules to targets. A no-data rule naming a metric watches series; without one, whole devices. */
export function resolveRules(
  rules: readonly EngineRule[],
  rows: readonly DeviceRow[],
  now: number,
): TenantRules {
  const valueRules = new Map<number, RuleTarget[]>();
  const noData: RuleTarget[] = [];
  const offline: RuleTarget[] = [];
  const nightFlow: EngineRule[] = [];
  const series = new Set<number>();
  const devices = new Map<string, DeviceRow>();
  for (const row of rows) {
    if (!devices.has(row.device_id)) devices.set(row.device_id, row);
    if (row.series_id !== null) series.add(row.series_id);
  }
  for (const rule of rules) {
    if (rule.condition === 'night_flow_step') {
      nightFlow.push(rule);
      continue;
    }
    const watchesSeries =
      valueConditions.has(rule.condition) ||
      (rule.condition === 'no_data' && (rule.metricId !== null || rule.scope === 'series'));
    if (watchesSeries) {
      for (const row of rows) {
        if (row.series_id === null || !coversSeries(rule, row)) continue;
        const pair = { rule, target: seriesTarget({ ...row, series_id: row.series_id }) };
        if (rule.condition === 'no_data') noData.push(pair);
        else valueRules.set(row.series_id, [...(valueRules.get(row.series_id) ?? []), pair]);
      }
      continue;
    }
    // Device-level: offline, or no data at all. A series-scoped offline rule watches the series' device.
    const covered =
      rule.scope === 'series'
        ? rows.filter((row) => row.series_id === rule.seriesId)
        : [...devices.values()].filter((device) => coversDevice(rule, device));
    for (const device of covered) {
      (rule.condition === 'device_offline' ? offline : noData).push({ rule, target: deviceTarget(device) });
    }
  }
  return { loadedAt: now, series, valueRules, noData, offline, nightFlow };
}

/** The enabled devices of the tenant in context, each with its series, for `resolveRules`. */
export async function loadDeviceRows(client: pg.PoolClient): Promise<DeviceRow[]> {
  const { rows } = await client.query<DeviceRow>(
    `SELECT d.id AS device_id, d.name AS device_name, d.asset_id, a.kind AS asset_kind, a.name AS asset_name,
            a.zone_id, s.id AS series_id, s.metric_id, m.key AS metric_key, m.unit,
            ARRAY(SELECT ${tagTextSql('t')} FROM device_tags dt JOIN tags t ON t.id = dt.tag_id WHERE dt.device_id = d.id
                  UNION
                  SELECT ${tagTextSql('t')} FROM asset_tags at JOIN tags t ON t.id = at.tag_id WHERE at.asset_id = d.asset_id)
              AS tags
       FROM devices d
       LEFT JOIN assets a ON a.id = d.asset_id
       LEFT JOIN series s ON s.device_id = d.id
       LEFT JOIN metrics m ON m.id = s.metric_id
      WHERE d.disabled_at IS NULL
      ORDER BY d.id, s.id`,
  );
  return rows;
}

/**
 * Each tenant's rules and targets, loaded on first use and kept for `ttlMs`. A rule change on this instance drops
 * the tenant's entry at once (the routes emit `alert_rule.changed`); changes made on another instance are seen
 * when the entry expires. A reading of a series the cache does not know (a device just provisioned) reloads it,
 * at most once a second. A load that was already under way when the tenant's rules changed may have read them
 * before the change: it answers the callers that were waiting for it, but is neither kept nor given to later
 * callers, who load afresh (else a rule created meanwhile went unevaluated until the entry expired).
 */
export class RuleCache {
  private readonly entries = new Map<string, TenantRules>();
  private readonly loading = new Map<string, Promise<TenantRules>>();
  /** Changes seen per tenant: a load keeps its result only if none came while it read. */
  private readonly changes = new Map<string, number>();

  constructor(
    private readonly pool: pg.Pool,
    private readonly ttlMs: number,
  ) {}

  invalidate(tenantId: string): void {
    this.entries.delete(tenantId);
    this.loading.delete(tenantId);
    this.changes.set(tenantId, (this.changes.get(tenantId) ?? 0) + 1);
  }

  async get(tenantId: string, seriesIds: readonly number[] = []): Promise<TenantRules> {
    const now = Date.now();
    const entry = this.entries.get(tenantId);
    const stale =
      !entry ||
      now - entry.loadedAt > this.ttlMs ||
      (now - entry.loadedAt > 1000 && seriesIds.some((id) => !entry.series.has(id)));
    if (!stale) return entry;
    const pending = this.loading.get(tenantId);
    if (pending) return pending;
    const load = this.load(tenantId).finally(() => {
      if (this.loading.get(tenantId) === load) this.loading.delete(tenantId);
    });
    this.loading.set(tenantId, load);
    return load;
  }

  private async load(tenantId: string): Promise<TenantRules> {
    const changesBefore = this.changes.get(tenantId) ?? 0;
    const { rules, rows } = await withTenantClient(
      this.pool,
      { tenantId, userId: null, role: null },
      async (client) => {
        const ruleRows = await client.query<RuleRow>(
          `SELECT id, name, condition, priority, scope, series_id, asset_id, asset_kind, tag, zone_id, metric_id, setpoint,
                  deadband, on_delay_s, off_delay_s, window_s, cooldown_s, params
             FROM alert_rules WHERE enabled AND archived_at IS NULL ORDER BY id`,
        );
        if (ruleRows.rows.length === 0) return { rules: [], rows: [] };
        return { rules: ruleRows.rows.map(toRule), rows: await loadDeviceRows(client) };
      },
    );
    const resolved = resolveRules(rules, rows, Date.now());
    if ((this.changes.get(tenantId) ?? 0) === changesBefore) this.entries.set(tenantId, resolved);
    return resolved;
  }
}
