import type { AlertQuery } from '@tidewatch/shared';
import { jsonPageRead, namedRead, type BoundRead, type JsonPageRead } from '../../http/json-page.ts';
import { decodeCursor } from '../../http/pagination.ts';
import { SqlFilter } from '../../http/sql-filter.ts';

/** The Alert shape of the API, built by PostgreSQL (field for field the same as `alertSchema`) from `a` (alerts) and `r` (alert_rules). */
export const alertJson = `json_build_object(
  'id', a.id, 'ruleId', a.rule_id, 'ruleName', r.name, 'condition', r.condition, 'state', a.state,
  'priority', a.priority, 'originalPriority', a.original_priority, 'message', a.message,
  'conditionActive', a.condition_active, 'seriesId', a.series_id, 'deviceId', a.device_id, 'assetId', a.asset_id,
  'zoneId', a.zone_id, 'raisedAt', json_time(a.raised_at), 'raisedValue', a.raised_value, 'lastValue', a.last_value,
  'returnedAt', json_time(a.returned_at), 'acknowledgedAt', json_time(a.acknowledged_at),
  'acknowledgedBy', a.acknowledged_by, 'shelvedUntil', json_time(a.shelved_until), 'shelveReason', a.shelve_reason,
  'escalatedAt', json_time(a.escalated_at), 'closedAt', json_time(a.closed_at),
  'chatteringSince', json_time(a.chattering_since))`;

/**
 * What moves whenever an alert list may change: the tenant's alert sequence (every transition, raised alerts
 * included) and its list version (rules, zones, assets, alert deletions), read under row-level security.
 */
export const alertListTag = `coalesce((SELECT s.last_sequence FROM alert_sequences s WHERE s.tenant_id = app_tenant_id()), 0)
  || '.' || coalesce((SELECT v.version FROM list_versions v WHERE v.tenant_id = app_tenant_id()), 0)`;

/** One page of alerts, newest first, as the JSON text of `{ items, nextCursor }`, with the list's tag. */
export function alertPageRead(
  query: AlertQuery,
  zones: readonly string[] | null,
): (knownTag: string | null) => JsonPageRead {
  const filter = new SqlFilter();
  if (zones) filter.where((p) => `a.zone_id = ANY(${p}::uuid[])`, zones);
  if (query.open !== undefined)
    filter.where(() => (query.open ? 'a.closed_at IS NULL' : 'a.closed_at IS NOT NULL'));
  if (query.state) filter.where((p) => `a.state = ANY(${p}::alert_state[])`, query.state);
  if (query.priority) filter.where((p) => `a.priority = ANY(${p}::alert_priority[])`, query.priority);
  if (query.zoneId) filter.where((p) => `a.zone_id = ${p}::uuid`, query.zoneId);
  if (query.assetId) filter.where((p) => `a.asset_id = ${p}::uuid`, query.assetId);
  if (query.cursor) {
    filter.where(
      (p) => `(a.raised_at, a.id) < (SELECT c.raised_at, c.id FROM alerts c WHERE c.id = ${p}::uuid)`,
      decodeCursor(query.cursor),
    );
  }
  const where = filter.clause();
  const limit = filter.param(query.limit);
  return jsonPageRead(
    `SELECT ${alertJson} AS item, a.id, row_number() OVER (ORDER BY a.raised_at DESC, a.id DESC) AS rn
       FROM alerts a JOIN alert_rules r ON r.id = a.rule_id
      ${where}
      ORDER BY a.raised_at DESC, a.id DESC
      LIMIT ${limit}::integer + 1`,
    filter.params,
    alertListTag,
  );
}

const alertDetail = namedRead(
  `SELECT (${alertJson}::jsonb || jsonb_build_object('transitions', coalesce((
          SELECT jsonb_agg(jsonb_build_object('id', t.id::text, 'fromState', t.from_state, 'toState', t.to_state,
                                              'at', json_time(t.at), 'userId', t.user_id, 'userName', u.display_name,
                                              'comment', t.comment, 'value', t.value) ORDER BY t.at, t.id)
            FROM alert_transitions t LEFT JOIN users u ON u.id = t.user_id WHERE t.alert_id = a.id), '[]')))::text AS json
   FROM alerts a JOIN alert_rules r ON r.id = a.rule_id
  WHERE a.id = $1::uuid AND ($2::uuid[] IS NULL OR a.zone_id = ANY($2::uuid[]))`,
);

/** One alert with its transitions, as JSON text (`json`), when it is visible. */
export function alertDetailRead(id: string, zones: readonly string[] | null): BoundRead {
  return { statement: alertDetail, values: [id, zones] };
}
