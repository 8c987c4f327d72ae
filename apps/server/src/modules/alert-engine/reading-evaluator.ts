import type pg from 'pg';
import type { StoredReading } from '../../events/event-bus.ts';
import { prepared } from '../../http/json-page.ts';
import type { AlertChange } from './alert-changes.ts';
import { clearAlert, raiseAlert } from './alert-lifecycle.ts';
import type { TimedValue } from '../forecast/level-forecast.ts';
import { tenantTimeZone } from '../dma/dma-balance.ts';
import { emptyCycle, hourOfWeek, wholeHourZone } from './demand-cycle.ts';
import { holdForCooldown, stepReading, type RuleState } from './evaluators.ts';
import { alertMessage } from './messages.ts';
import type { RuleTarget, TenantRules } from './rule-cache.ts';
import { lockStates, saveStates, stateKey, type StateKey } from './rule-states.ts';

interface Work {
  readonly key: StateKey;
  readonly pair: RuleTarget;
  /** Oldest first. */
  readonly readings: StoredReading[];
}

export interface EvaluationResult {
  readonly changes: AlertChange[];
  readonly raised: number;
  readonly evaluated: number;
}

/** Readings of each rule and target, oldest first; readings of series without value rules are left out. */
function collectWork(rules: TenantRules, readings: readonly StoredReading[]): Map<string, Work> {
  const work = new Map<string, Work>();
  for (const reading of readings) {
    for (const pair of rules.valueRules.get(reading.seriesId) ?? []) {
      const key = { ruleId: pair.rule.id, targetKey: pair.target.key };
      const id = stateKey(key);
      const entry = work.get(id) ?? { key, pair, readings: [] };
      entry.readings.push(reading);
      work.set(id, entry);
    }
  }
  for (const entry of work.values()) entry.readings.sort((a, b) => a.time - b.time);
  return work;
}

/** For each rate reading, the value of the first reading of its series in [time - window, time). */
async function rateBaselines(client: pg.PoolClient, work: readonly Work[]): Promise<Map<string, number>> {
  const asks = work.flatMap((w) =>
    w.readings.map((r) => ({
      seriesId: r.seriesId,
      time: r.time,
      windowMs: (w.pair.rule.windowS ?? 0) * 1000,
    })),
  );
  if (asks.length === 0) return new Map();
  const { rows } = await client.query<{ series_id: number; at: Date; value: number }>(
    prepared(
      `SELECT x.series_id, x.at, b.value
         FROM unnest($1::integer[], $2::timestamptz[], $3::timestamptz[]) AS x (series_id, since, at)
         CROSS JOIN LATERAL (
           SELECT t.value FROM telemetry t
            WHERE t.series_id = x.series_id AND t.time >= x.since AND t.time < x.at
            ORDER BY t.time LIMIT 1) b`,
      [
        asks.map((a) => a.seriesId),
        asks.map((a) => new Date(a.time - a.windowMs)),
        asks.map((a) => new Date(a.time)),
      ],
    ),
  );
  return new Map(rows.map((row) => [`${String(row.series_id)}@${String(row.at.getTime())}`, row.value]));
}

/**
 * A new anomaly state learns from the series' history before its first reading here: mean and variance of up to
 * `warmupSamples` readings of the rule's window, so detection works from the start on a series with a past.
 */
async function learnHistory(client: pg.PoolClient, fresh: readonly Work[], states: Map<string, RuleState>) {
  if (fresh.length === 0) return;
  const { rows } = await client.query<{ i: number; mean: number | null; variance: number | null; n: number }>(
    prepared(
      `SELECT x.i::integer AS i, h.mean, h.variance, h.n::integer AS n
         FROM unnest($1::integer[], $2::timestamptz[], $3::integer[], $4::integer[])
              WITH ORDINALITY AS x (series_id, before, window_s, samples, i)
         CROSS JOIN LATERAL (
           SELECT avg(v.value) AS mean, var_pop(v.value) AS variance, count(*) AS n
             FROM (SELECT t.value FROM telemetry t
                    WHERE t.series_id = x.series_id AND t.time < x.before
                      AND t.time >= x.before - make_interval(secs => x.window_s)
                    ORDER BY t.time DESC LIMIT x.samples) v) h`,
      [
        fresh.map((w) => w.pair.target.seriesId),
        fresh.map((w) => new Date(w.readings[0]?.time ?? Date.now())),
        fresh.map((w) => w.pair.rule.windowS ?? 86_400),
        fresh.map((w) => w.pair.rule.anomaly.warmupSamples),
      ],
    ),
  );
  for (const row of rows) {
    const w = fresh[row.i - 1];
    const state = w ? states.get(stateKey(w.key)) : undefined;
    if (!state || row.n === 0 || row.mean === null) continue;
    state.mean = row.mean;
    state.variance = row.variance ?? 0;
    state.samples = row.n;
  }
}

const weekly = (w: Work): boolean =>
  w.pair.rule.condition === 'anomaly' && w.pair.rule.anomaly.cycle === 'week';

/**
 * A new anomaly state with the demand cycle learns each hour of the week from the rollups of the weeks before its
 * first reading: the hour's mean, and a variance that adds the spread between rollup buckets to the spread within
 * them (a quarter of their range, squared, standing for the readings a rollup no longer has). Hourly rollups
 * where the tenant's zone is a whole number of hours off UTC; elsewhere (India, +05:30) an hourly bucket straddles
 * two local hours, so the 1-minute rollups are read instead.
 */
async function learnCycleHistory(
  client: pg.PoolClient,
  fresh: readonly Work[],
  states: Map<string, RuleState>,
  timeZone: string,
) {
  if (fresh.length === 0) return;
  const source = wholeHourZone(timeZone)
    ? `telemetry_hours(ARRAY[x.series_id], x.before - make_interval(weeks => x.weeks), date_trunc('hour', x.before))`
    : `telemetry_minutes(ARRAY[x.series_id], x.before - make_interval(weeks => x.weeks), date_trunc('minute', x.before))`;
  const { rows } = await client.query<{ i: number; how: number; mean: number; variance: number; n: number }>(
    prepared(
      `SELECT x.i::integer AS i,
              ((extract(isodow FROM h.bucket AT TIME ZONE $4)::integer - 1) * 24
                + extract(hour FROM h.bucket AT TIME ZONE $4)::integer) AS how,
              sum(h.sum) / sum(h.count) AS mean,
              coalesce(var_pop(h.sum / h.count), 0) + avg(((h.max - h.min) / 4) ^ 2) AS variance,
              sum(h.count)::integer AS n
         FROM unnest($1::integer[], $2::timestamptz[], $3::integer[]) WITH ORDINALITY AS x (series_id, before, weeks, i)
         CROSS JOIN LATERAL ${source} h
        WHERE h.count > 0
        GROUP BY 1, 2`,
      [
        fresh.map((w) => w.pair.target.seriesId),
        fresh.map((w) => new Date(w.readings[0]?.time ?? Date.now())),
        fresh.map((w) => w.pair.rule.anomaly.historyWeeks),
        timeZone,
      ],
    ),
  );
  for (const row of rows) {
    const w = fresh[row.i - 1];
    const state = w ? states.get(stateKey(w.key)) : undefined;
    if (!state || row.how < 0 || row.how >= 168) continue;
    state.cycle ??= emptyCycle();
    state.cycle[row.how] = { mean: row.mean, variance: row.variance, n: row.n };
    state.samples += row.n;
  }
}

/**
 * For forecast and pump-starts rules, each target's readings from the rule's window before its first new reading up to its last:
 * the line through them is refitted at every reading. Keyed by state key, oldest first.
 */
async function forecastWindows(
  client: pg.PoolClient,
  work: readonly Work[],
): Promise<Map<string, TimedValue[]>> {
  if (work.length === 0) return new Map();
  const { rows } = await client.query<{ i: number; t: number; value: number }>(
    prepared(
      `SELECT x.i::integer AS i, (extract(epoch FROM t.time) * 1000)::float8 AS t, t.value
         FROM unnest($1::integer[], $2::timestamptz[], $3::timestamptz[]) WITH ORDINALITY AS x (series_id, since, upto, i)
         JOIN telemetry t ON t.series_id = x.series_id AND t.time >= x.since AND t.time <= x.upto
        ORDER BY x.i, t.time`,
      [
        work.map((w) => w.pair.target.seriesId),
        work.map((w) => new Date((w.readings[0]?.time ?? 0) - (w.pair.rule.windowS ?? 0) * 1000)),
        work.map((w) => new Date(w.readings.at(-1)?.time ?? 0)),
      ],
    ),
  );
  const windows = new Map<string, TimedValue[]>();
  for (const row of rows) {
    const w = work[row.i - 1];
    if (!w) continue;
    const id = stateKey(w.key);
    const list = windows.get(id) ?? [];
    list.push({ time: Math.round(row.t), value: row.value });
    windows.set(id, list);
  }
  return windows;
}

/** The readings of a window that lie in [time - windowMs, time]. */
function recentOf(window: readonly TimedValue[] | undefined, time: number, windowMs: number): TimedValue[] {
  return (window ?? []).filter((p) => p.time >= time - windowMs && p.time <= time);
}

const sameState = (a: RuleState, b: RuleState): boolean =>
  a.active === b.active &&
  a.pendingSince === b.pendingSince &&
  a.clearingSince === b.clearingSince &&
  a.samples === b.samples &&
  a.mean === b.mean;

/**
 * Evaluates one tenant's stored readings against its value rules, in the caller's transaction (tenant context
 * set): states locked, each target's readings applied oldest first, alerts raised and cleared, states written.
 * The caller commits, then publishes the changes.
 */
export async function evaluateReadings(
  client: pg.PoolClient,
  rules: TenantRules,
  readings: readonly StoredReading[],
): Promise<EvaluationResult> {
  const work = [...collectWork(rules, readings).values()];
  if (work.length === 0) return { changes: [], raised: 0, evaluated: 0 };
  const loaded = await lockStates(
    client,
    work.map((w) => w.key),
  );
  const states = new Map([...loaded].map(([key, value]) => [key, { ...value.state }]));
  const before = new Map([...loaded].map(([key, value]) => [key, value.state]));
  const fresh = work.filter((w) => w.pair.rule.condition === 'anomaly' && loaded.get(stateKey(w.key))?.fresh);
  const timeZone = work.some(weekly) ? await tenantTimeZone(client) : 'UTC';
  await learnHistory(
    client,
    fresh.filter((w) => !weekly(w)),
    states,
  );
  await learnCycleHistory(client, fresh.filter(weekly), states, timeZone);
  const baselines = await rateBaselines(
    client,
    work.filter((w) => w.pair.rule.condition === 'rate_of_change'),
  );
  const windows = await forecastWindows(
    client,
    work.filter((w) => w.pair.rule.condition === 'forecast' || w.pair.rule.condition === 'pump_starts'),
  );

  const changes: AlertChange[] = [];
  let raised = 0;
  let evaluated = 0;
  for (const w of work) {
    const state = states.get(stateKey(w.key));
    if (!state) continue;
    const { rule, target } = w.pair;
    for (const reading of w.readings) {
      // Already evaluated (another instance, a retry) or older than the last decision: it changes nothing now.
      if (state.lastTime !== null && reading.time <= state.lastTime) continue;
      evaluated += 1;
      const baseline = baselines.get(`${String(reading.seriesId)}@${String(reading.time)}`) ?? null;
      const previous = { ...state };
      const recent =
        rule.condition === 'forecast' || rule.condition === 'pump_starts'
          ? recentOf(windows.get(stateKey(w.key)), reading.time, (rule.windowS ?? 0) * 1000)
          : undefined;
      const { verdict, judgement } = stepReading(rule, state, reading, {
        baseline,
        ...(recent ? { recent } : {}),
        ...(weekly(w) ? { hourOfWeek: hourOfWeek(reading.time, timeZone) } : {}),
      });
      if (verdict === 'raise') {
        const outcome = await raiseAlert(client, {
          ruleId: rule.id,
          targetKey: target.key,
          seriesId: target.seriesId,
          deviceId: target.deviceId,
          assetId: target.assetId,
          zoneId: target.zoneId,
          priority: rule.priority,
          message: alertMessage(rule, target, judgement.detail),
          value: reading.value,
          cooldownS: rule.cooldownS,
        });
        changes.push(...outcome.changes);
        if (outcome.kind === 'raised') raised += 1;
        if (outcome.kind === 'cooldown') holdForCooldown(state, previous.pendingSince, reading.time);
      } else if (verdict === 'clear') {
        changes.push(...(await clearAlert(client, w.key, reading.value)));
      }
      if (!sameState(previous, state)) {
        state.lastTime = reading.time;
        state.lastValue = reading.value;
      }
    }
  }
  await saveStates(
    client,
    work.flatMap((w) => {
      const state = states.get(stateKey(w.key));
      const old = before.get(stateKey(w.key));
      return state && old && (!sameState(old, state) || old.lastTime !== state.lastTime)
        ? [{ key: w.key, state }]
        : [];
    }),
  );
  return { changes, raised, evaluated };
}
