import type pg from 'pg';
import { prepared } from '../../http/json-page.ts';
import type { AlertChange } from './alert-changes.ts';
import { clearAlert, escalateOverdue, raiseAlert, transitionAlerts } from './alert-lifecycle.ts';
import { cycleFromJson } from './demand-cycle.ts';
import { judgeThreshold, type RuleState } from './evaluators.ts';
import { alertMessage } from './messages.ts';
import type { RuleTarget, TenantRules } from './rule-cache.ts';
import { saveStates, stateKey } from './rule-states.ts';

/*
 * The engine's periodic work for one tenant, each function inside the caller's transaction (tenant context set).
 * Every change is a conditional UPDATE or an insert against the one-open-alert index, so several instances may run
 * the same job at the same moment and each alert still changes once.
 */

interface DueStateRow {
  rule_id: string;
  target_key: string;
  active: boolean;
  pending_since: Date | null;
  clearing_since: Date | null;
  last_time: Date | null;
  last_value: number | null;
  mean: number | null;
  variance: number | null;
  samples: number;
  cycle: unknown;
}

function indexValueRules(rules: TenantRules): Map<string, RuleTarget> {
  const index = new Map<string, RuleTarget>();
  for (const pairs of rules.valueRules.values()) {
    for (const pair of pairs) index.set(stateKey({ ruleId: pair.rule.id, targetKey: pair.target.key }), pair);
  }
  return index;
}

/**
 * Delays that ran out without a new reading: the last value held through the on-delay (raise) or the off-delay
 * (clear). Rows an evaluation holds right now are skipped; the next run sees them.
 */
export async function applyDueDelays(client: pg.PoolClient, rules: TenantRules): Promise<AlertChange[]> {
  const { rows } = await client.query<DueStateRow>(
    prepared(
      `SELECT s.rule_id, s.target_key, s.active, s.pending_since, s.clearing_since, s.last_time, s.last_value,
              s.mean, s.variance, s.samples, s.cycle
         FROM alert_rule_states s JOIN alert_rules r ON r.id = s.rule_id
        WHERE r.enabled
          AND ((NOT s.active AND s.pending_since <= now() - make_interval(secs => r.on_delay_s))
               OR (s.active AND s.clearing_since <= now() - make_interval(secs => r.off_delay_s)))
        ORDER BY s.rule_id, s.target_key
          FOR UPDATE OF s SKIP LOCKED`,
      [],
    ),
  );
  if (rows.length === 0) return [];
  const pairs = indexValueRules(rules);
  const changes: AlertChange[] = [];
  const saved: { key: { ruleId: string; targetKey: string }; state: RuleState }[] = [];
  for (const row of rows) {
    const key = { ruleId: row.rule_id, targetKey: row.target_key };
    const pair = pairs.get(stateKey(key));
    if (!pair) continue;
    const state: RuleState = {
      active: row.active,
      pendingSince: null,
      clearingSince: null,
      lastTime: row.last_time?.getTime() ?? null,
      lastValue: row.last_value,
      mean: row.mean,
      variance: row.variance,
      samples: row.samples,
      // Saved back with the state: a delay that runs out must not forget what the hours of the week learnt.
      cycle: cycleFromJson(row.cycle),
    };
    if (!row.active) {
      const value = row.last_value;
      const detail =
        value === null
          ? ''
          : ['high', 'high_high', 'low', 'low_low'].includes(pair.rule.condition)
            ? judgeThreshold(pair.rule, value).detail
            : `at ${String(value)}`;
      const outcome = await raiseAlert(client, {
        ruleId: pair.rule.id,
        targetKey: pair.target.key,
        seriesId: pair.target.seriesId,
        deviceId: pair.target.deviceId,
        assetId: pair.target.assetId,
        zoneId: pair.target.zoneId,
        priority: pair.rule.priority,
        message: alertMessage(pair.rule, pair.target, detail),
        value,
        cooldownS: pair.rule.cooldownS,
      });
      changes.push(...outcome.changes);
      // In the cooldown the delay stays served; the next run tries again.
      if (outcome.kind === 'cooldown') continue;
      state.active = true;
    } else {
      changes.push(...(await clearAlert(client, key, row.last_value)));
      state.active = false;
    }
    saved.push({ key, state });
  }
  await saveStates(client, saved);
  return changes;
}

interface DeviceStateRow {
  device_id: string;
  connectivity: string;
  /** Seconds since the device was last heard from / last sent a reading; null if never. */
  silent_s: number | null;
  no_reading_s: number | null;
}

/**
 * No-data and device-offline rules, from the database's view of each device and series. A series with no reading in
 * the rule's window is silent only if its device ever sent one (a device not yet installed is not "no data"). A
 * device is offline for a rule once it is marked offline and silent for the rule's window. Devices' times in the
 * database may lag what an instance heard by `stateLagS` (see deviceStateLagMs): windows are judged that much later.
 */
export async function checkSilence(
  client: pg.PoolClient,
  rules: TenantRules,
  stateLagS: number,
): Promise<AlertChange[]> {
  const pairs = [...rules.noData, ...rules.offline];
  if (pairs.length === 0) return [];
  const ruleIds = [...new Set(pairs.map((p) => p.rule.id))];
  const deviceIds = [...new Set(pairs.map((p) => p.target.deviceId))];
  const seriesPairs = rules.noData.filter((p) => p.target.seriesId !== null);
  // One connection: the three reads go one after the other.
  const open = await client.query<{ rule_id: string; target_key: string; condition_active: boolean }>(
    prepared(
      `SELECT rule_id, target_key, condition_active FROM alerts WHERE closed_at IS NULL AND rule_id = ANY($1::uuid[])`,
      [ruleIds],
    ),
  );
  const devices = await client.query<DeviceStateRow>(
    prepared(
      `SELECT device_id, connectivity::text,
              extract(epoch FROM now() - last_seen_at)::float8 AS silent_s,
              extract(epoch FROM now() - last_reading_at)::float8 AS no_reading_s
         FROM device_states WHERE device_id = ANY($1::uuid[])`,
      [deviceIds],
    ),
  );
  const recent =
    seriesPairs.length === 0
      ? { rows: [] as { i: number; recent: boolean }[] }
      : await client.query<{ i: number; recent: boolean }>(
          prepared(
            `SELECT x.i::integer AS i,
                    EXISTS (SELECT 1 FROM telemetry t
                             WHERE t.series_id = x.series_id
                               AND t.time > now() - make_interval(secs => x.window_s)) AS recent
               FROM unnest($1::integer[], $2::integer[]) WITH ORDINALITY AS x (series_id, window_s, i)`,
            [seriesPairs.map((p) => p.target.seriesId), seriesPairs.map((p) => p.rule.windowS ?? 900)],
          ),
        );
  const openAlerts = new Map(
    open.rows.map((row) => [`${row.rule_id}|${row.target_key}`, row.condition_active]),
  );
  const deviceState = new Map(devices.rows.map((row) => [row.device_id, row]));
  const seriesRecent = new Map(
    recent.rows.map((row) => [seriesPairs[row.i - 1]?.target.key ?? '', row.recent] as const),
  );

  const changes: AlertChange[] = [];
  for (const pair of pairs) {
    const { rule, target } = pair;
    const device = deviceState.get(target.deviceId);
    const windowS = rule.windowS ?? (rule.condition === 'no_data' ? 900 : 0);
    let holds: boolean;
    if (rule.condition === 'device_offline') {
      holds = device?.connectivity === 'offline' && (device.silent_s ?? Infinity) >= windowS + stateLagS;
    } else if (target.seriesId !== null) {
      holds = device !== undefined && device.no_reading_s !== null && seriesRecent.get(target.key) === false;
    } else {
      holds =
        device !== undefined && device.no_reading_s !== null && device.no_reading_s >= windowS + stateLagS;
    }
    const active = openAlerts.get(stateKey({ ruleId: rule.id, targetKey: target.key }));
    if (holds && active !== true) {
      const outcome = await raiseAlert(client, {
        ruleId: rule.id,
        targetKey: target.key,
        seriesId: target.seriesId,
        deviceId: target.deviceId,
        assetId: target.assetId,
        zoneId: target.zoneId,
        priority: rule.priority,
        message: alertMessage(rule, target, ''),
        value: null,
        cooldownS: rule.cooldownS,
      });
      changes.push(...outcome.changes);
    } else if (!holds && active === true) {
      changes.push(...(await clearAlert(client, { ruleId: rule.id, targetKey: target.key }, null)));
    }
  }
  return changes;
}

/** Shelving that ran out: the alert comes back (annunciated if its condition holds, else closed). */
export function expireShelving(client: pg.PoolClient): Promise<AlertChange[]> {
  return transitionAlerts(
    client,
    'expireShelving',
    { ids: null, zones: null },
    { comment: 'Shelving expired' },
  );
}

/** Alerts of assets in maintenance are suppressed; when the maintenance ends they come back. */
export async function syncSuppression(client: pg.PoolClient): Promise<AlertChange[]> {
  const all = { ids: null, zones: null };
  return [
    ...(await transitionAlerts(client, 'suppress', all, { comment: 'Asset in maintenance' })),
    ...(await transitionAlerts(client, 'unsuppress', all, { comment: 'Asset back from maintenance' })),
  ];
}

export { escalateOverdue };
