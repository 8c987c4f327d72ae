import type pg from 'pg';
import { prepared } from '../../http/json-page.ts';
import { cycleFromJson, cycleToJson } from './demand-cycle.ts';
import type { RuleState } from './evaluators.ts';

/*
 * Why the state is in the database and not in this process: two instances share the device subscription, so the
 * next reading of a series may land on the other instance, and either may restart at any time. A latch, an
 * on-delay that started, or an EWMA kept in memory would be lost or diverge. Each evaluation locks its rows
 * (FOR UPDATE, in key order so two evaluators cannot deadlock), reads, decides and writes back in the same
 * transaction as the alert changes: evaluations of one target are serialized across instances, and a reading
 * evaluated twice (a retry, a second instance) finds the state already past it.
 */

export interface StateKey {
  readonly ruleId: string;
  readonly targetKey: string;
}

export const stateKey = (key: StateKey): string => `${key.ruleId}|${key.targetKey}`;

interface StateRow {
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
  fresh: boolean;
}

export interface LoadedState {
  readonly state: RuleState;
  /** Created by this evaluation: an anomaly rule learns its baseline from history first. */
  readonly fresh: boolean;
}

const columns = `rule_id, target_key, active, pending_since, clearing_since, last_time, last_value, mean, variance,
                 samples, cycle`;

function toState(row: StateRow): LoadedState {
  return {
    fresh: row.fresh,
    state: {
      active: row.active,
      pendingSince: row.pending_since?.getTime() ?? null,
      clearingSince: row.clearing_since?.getTime() ?? null,
      lastTime: row.last_time?.getTime() ?? null,
      lastValue: row.last_value,
      mean: row.mean,
      variance: row.variance,
      samples: row.samples,
      cycle: cycleFromJson(row.cycle),
    },
  };
}

const keyOf = (row: StateRow): StateKey => ({ ruleId: row.rule_id, targetKey: row.target_key });

async function selectForUpdate(client: pg.PoolClient, keys: readonly StateKey[]): Promise<StateRow[]> {
  const { rows } = await client.query<StateRow>(
    prepared(
      `SELECT ${columns}, false AS fresh FROM alert_rule_states
        WHERE (rule_id, target_key) IN (SELECT * FROM unnest($1::uuid[], $2::text[]))
        ORDER BY rule_id, target_key
          FOR UPDATE`,
      [keys.map((k) => k.ruleId), keys.map((k) => k.targetKey)],
    ),
  );
  return rows;
}

/**
 * Locks (creating where missing) the states of `keys` for the rest of the transaction. A new state starts latched
 * if its rule and target already have an open, active alert (raised before the state existed).
 */
export async function lockStates(
  client: pg.PoolClient,
  keys: readonly StateKey[],
): Promise<Map<string, LoadedState>> {
  const sorted = [...keys].sort((a, b) => (stateKey(a) < stateKey(b) ? -1 : 1));
  const found = new Map((await selectForUpdate(client, sorted)).map((row) => [stateKey(keyOf(row)), row]));
  const missing = sorted.filter((key) => !found.has(stateKey(key)));
  if (missing.length > 0) {
    const { rows } = await client.query<StateRow>(
      prepared(
        `INSERT INTO alert_rule_states (rule_id, target_key, tenant_id, active)
         SELECT x.r, x.k, app_tenant_id(),
                EXISTS (SELECT 1 FROM alerts a WHERE a.rule_id = x.r AND a.target_key = x.k
                           AND a.closed_at IS NULL AND a.condition_active)
           FROM unnest($1::uuid[], $2::text[]) AS x (r, k)
          ORDER BY 1, 2
         ON CONFLICT (rule_id, target_key) DO NOTHING
         RETURNING ${columns}, true AS fresh`,
        [missing.map((k) => k.ruleId), missing.map((k) => k.targetKey)],
      ),
    );
    for (const row of rows) found.set(stateKey(keyOf(row)), row);
    // Another evaluator created some of them meanwhile: wait for and read its rows.
    const raced = missing.filter((key) => !found.has(stateKey(key)));
    if (raced.length > 0) {
      for (const row of await selectForUpdate(client, raced)) found.set(stateKey(keyOf(row)), row);
    }
  }
  return new Map([...found].map(([key, row]) => [key, toState(row)]));
}

const toDate = (ms: number | null): Date | null => (ms === null ? null : new Date(ms));

/** Writes back the states an evaluation changed. */
export async function saveStates(
  client: pg.PoolClient,
  changed: readonly { readonly key: StateKey; readonly state: RuleState }[],
): Promise<void> {
  if (changed.length === 0) return;
  await client.query(
    prepared(
      `UPDATE alert_rule_states s
          SET active = x.active, pending_since = x.pending_since, clearing_since = x.clearing_since,
              last_time = x.last_time, last_value = x.last_value, mean = x.mean, variance = x.variance,
              samples = x.samples, cycle = x.cycle
         FROM unnest($1::uuid[], $2::text[], $3::boolean[], $4::timestamptz[], $5::timestamptz[],
                     $6::timestamptz[], $7::float8[], $8::float8[], $9::float8[], $10::integer[], $11::jsonb[])
              AS x (rule_id, target_key, active, pending_since, clearing_since, last_time, last_value, mean,
                    variance, samples, cycle)
        WHERE s.rule_id = x.rule_id AND s.target_key = x.target_key`,
      [
        changed.map((c) => c.key.ruleId),
        changed.map((c) => c.key.targetKey),
        changed.map((c) => c.state.active),
        changed.map((c) => toDate(c.state.pendingSince)),
        changed.map((c) => toDate(c.state.clearingSince)),
        changed.map((c) => toDate(c.state.lastTime)),
        changed.map((c) => c.state.lastValue),
        changed.map((c) => c.state.mean),
        changed.map((c) => c.state.variance),
        changed.map((c) => c.state.samples),
        changed.map((c) => cycleToJson(c.state.cycle)),
      ],
    ),
  );
}
