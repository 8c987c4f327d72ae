import type pg from 'pg';
import { prepared } from '../../http/json-page.ts';
import type { AlertChange } from './alert-changes.ts';
import { transitionAlerts } from './alert-lifecycle.ts';

/** The tenant's chattering policy (alarm_settings; defaults where it has no row). */
export interface ChatterPolicy {
  readonly raises: number;
  readonly windowS: number;
  /** Null: flag only. */
  readonly shelveMinutes: number | null;
}

export const defaultChatterPolicy: ChatterPolicy = { raises: 3, windowS: 60, shelveMinutes: null };

export async function readChatterPolicy(client: pg.PoolClient): Promise<ChatterPolicy> {
  const { rows } = await client.query<{
    chatter_raises: number;
    chatter_window_s: number;
    chatter_shelve_minutes: number | null;
  }>(
    prepared(
      'SELECT chatter_raises, chatter_window_s, chatter_shelve_minutes FROM alarm_settings WHERE tenant_id = app_tenant_id()',
      [],
    ),
  );
  const row = rows[0];
  return row
    ? { raises: row.chatter_raises, windowS: row.chatter_window_s, shelveMinutes: row.chatter_shelve_minutes }
    : defaultChatterPolicy;
}

/**
 * Among alerts that just became active (raised, or active again after returning), those whose rule and target
 * raised `policy.raises` times within `policy.windowS` seconds, counted over every alert of the pair (a closed one
 * and its successor chatter as much as one alert returning and reactivating). Each is flagged once, with a
 * transition that says so; under a shelving policy it is then shelved, the reason recorded as an operator's
 * would be. Runs inside the caller's alert transaction.
 */
export async function flagChattering(
  client: pg.PoolClient,
  alertIds: readonly string[],
  policy: ChatterPolicy,
): Promise<AlertChange[]> {
  if (alertIds.length === 0) return [];
  const { rows } = await client.query<{ id: string; raises: number }>(
    prepared(
      `SELECT a.id, raises.count::integer AS raises
         FROM alerts a
         CROSS JOIN LATERAL (
           SELECT count(*) FROM alerts b JOIN alert_transitions t ON t.alert_id = b.id
            WHERE b.rule_id = a.rule_id AND b.target_key = a.target_key
              AND (b.closed_at IS NULL OR b.closed_at > now() - make_interval(secs => $2::integer))
              AND t.to_state = 'active_unacknowledged' AND t.from_state IN ('normal', 'returned_unacknowledged')
              AND t.at > now() - make_interval(secs => $2::integer)) raises
        WHERE a.id = ANY($1::uuid[]) AND a.closed_at IS NULL AND a.chattering_since IS NULL
          AND raises.count >= $3::integer`,
      [alertIds, policy.windowS, policy.raises],
    ),
  );
  if (rows.length === 0) return [];
  const changes: AlertChange[] = [];
  const ids = rows.map((row) => row.id);
  const what = `${String(policy.raises)} raises within ${String(policy.windowS)} s`;
  changes.push(
    ...(await transitionAlerts(
      client,
      'flagChattering',
      { ids, zones: null },
      { comment: `Chattering: ${what}` },
    )),
  );
  if (policy.shelveMinutes !== null) {
    changes.push(
      ...(await transitionAlerts(
        client,
        'shelve',
        { ids, zones: null },
        {
          comment: `Shelved automatically for ${String(policy.shelveMinutes)} min: chattering (${what})`,
          until: new Date(Date.now() + policy.shelveMinutes * 60_000),
        },
      )),
    );
  }
  return changes;
}
