import type pg from 'pg';
import type { StoredReading } from '../../events/event-bus.ts';
import { prepared } from '../../http/json-page.ts';
import type { AlertChange } from './alert-changes.ts';
import { clearAlert, raiseAlert } from './alert-lifecycle.ts';
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
  await learnHistory(
    client,
    work.filter((w) => w.pair.rule.condition === 'anomaly' && loaded.get(stateKey(w.key))?.fresh),
    states,
  );
  const baselines = await rateBaselines(
    client,
    work.filter((w) => w.pair.rule.condition === 'rate_of_change'),
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
      const { verdict, judgement } = stepReading(rule, state, reading, baseline);
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
