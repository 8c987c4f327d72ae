import type { TenantTransaction } from '@tidewatch/db';
import type { AlertPriority } from '@tidewatch/shared';
import type pg from 'pg';
import { prepared } from '../../http/json-page.ts';
import { alertJson } from '../alerts/alert.queries.ts';
import { toAlertChange, type AlertChange, type AlertChangeRow } from './alert-changes.ts';
import { enqueueNotifications } from './notification-outbox.ts';

/**
 * The ISA-18.2 state machine, used by the engine and by operators alike. Every function runs inside the caller's
 * transaction (`withAlertTransaction`): the alert row, its transition and any notification rows commit together,
 * and the caller publishes the returned changes after COMMIT, which gives them their final sequence numbers. Each
 * statement locks the alerts it changes and re-checks their state, so two instances or two operators acting at
 * once change an alert once.
 */

/** Which alerts a transition may touch: chosen ids (or all) within the zones a user may see (or all). */
interface ByIds {
  readonly ids: readonly string[] | null;
  readonly zones: readonly string[] | null;
}
/** The one open alert of a rule and target. */
interface ByTarget {
  readonly ruleId: string;
  readonly targetKey: string;
}

interface Transition {
  /** SQL condition on `a` (alerts), in addition to the selection. */
  readonly where: string;
  /** SET clause on `a`; `p.user_id`, `p.comment`, `p.value`, `p.until` are the inputs. */
  readonly set: string;
}

export interface TransitionInput {
  readonly userId?: string | null;
  readonly comment?: string | null;
  readonly value?: number | null;
  readonly until?: Date | null;
}

const byIdsSql = `($1::uuid[] IS NULL OR a.id = ANY($1::uuid[])) AND ($2::uuid[] IS NULL OR a.zone_id = ANY($2::uuid[]))`;
const byTargetSql = `a.rule_id = $1::uuid AND a.target_key = $2::text AND a.closed_at IS NULL`;

function transitionSql(selection: string, transition: Transition): string {
  return `
    WITH p AS (SELECT $3::uuid AS user_id, $4::text AS comment, $5::float8 AS value, $6::timestamptz AS until),
    target AS (
      SELECT a.id, a.state AS from_state FROM alerts a
       WHERE ${selection} AND ${transition.where}
       ORDER BY a.id
         FOR UPDATE
    ),
    changed AS (
      UPDATE alerts a SET ${transition.set} FROM target, p WHERE a.id = target.id
      RETURNING a.*, target.from_state
    ),
    logged AS (
      INSERT INTO alert_transitions (tenant_id, alert_id, from_state, to_state, user_id, comment, value)
      SELECT c.tenant_id, c.id, c.from_state, c.state, p.user_id, p.comment, coalesce(p.value, c.last_value)
        FROM changed c, p
      RETURNING id, alert_id, sequence
    )
    SELECT l.sequence::text AS sequence, a.tenant_id, a.zone_id, (${alertJson})::text AS alert
      FROM changed a JOIN logged l ON l.alert_id = a.id JOIN alert_rules r ON r.id = a.rule_id
     ORDER BY l.id`;
}

const unacknowledged = `a.state IN ('active_unacknowledged', 'returned_unacknowledged')`;
const annunciated = `a.state IN ('active_unacknowledged', 'active_acknowledged', 'returned_unacknowledged')`;
const inMaintenance = `EXISTS (SELECT 1 FROM assets m WHERE m.id = a.asset_id AND m.maintenance_since IS NOT NULL)`;

/** Back from shelving, suppression or out-of-service: annunciated again if the condition holds, else closed. */
const restore = `
  state = CASE WHEN a.condition_active THEN 'active_unacknowledged' ELSE 'normal' END::alert_state,
  closed_at = CASE WHEN a.condition_active THEN NULL ELSE now() END,
  shelved_until = NULL, shelved_by = NULL, shelve_reason = NULL`;

const transitions = {
  /** The condition holds again while the alert is still open; a returned alert is annunciated again. */
  reactivate: {
    where: 'NOT a.condition_active',
    set: `condition_active = true, last_value = p.value,
          state = CASE WHEN a.state = 'returned_unacknowledged' THEN 'active_unacknowledged' ELSE a.state END::alert_state,
          returned_at = CASE WHEN a.state = 'returned_unacknowledged' THEN NULL ELSE a.returned_at END`,
  },
  /** The condition cleared: unacknowledged alerts wait for an acknowledgement, acknowledged ones close. */
  clear: {
    where: 'a.condition_active',
    set: `condition_active = false, last_value = p.value,
          state = CASE a.state WHEN 'active_unacknowledged' THEN 'returned_unacknowledged'
                               WHEN 'active_acknowledged' THEN 'normal' ELSE a.state END::alert_state,
          returned_at = CASE WHEN a.state = 'active_unacknowledged' THEN now() ELSE a.returned_at END,
          closed_at = CASE WHEN a.state = 'active_acknowledged' THEN now() END`,
  },
  acknowledge: {
    where: `a.closed_at IS NULL AND ${unacknowledged}`,
    set: `state = CASE WHEN a.state = 'returned_unacknowledged' THEN 'normal' ELSE 'active_acknowledged' END::alert_state,
          closed_at = CASE WHEN a.state = 'returned_unacknowledged' THEN now() END,
          acknowledged_at = now(), acknowledged_by = p.user_id`,
  },
  shelve: {
    where: `a.closed_at IS NULL AND ${annunciated}`,
    set: `state = 'shelved', shelved_until = p.until, shelved_by = p.user_id, shelve_reason = p.comment`,
  },
  unshelve: { where: `a.closed_at IS NULL AND a.state = 'shelved'`, set: restore },
  expireShelving: {
    where: `a.closed_at IS NULL AND a.state = 'shelved' AND a.shelved_until <= now()`,
    set: restore,
  },
  outOfService: {
    where: `a.closed_at IS NULL AND a.state <> 'out_of_service'`,
    set: `state = 'out_of_service', shelved_until = NULL, shelved_by = NULL, shelve_reason = NULL`,
  },
  returnToService: { where: `a.closed_at IS NULL AND a.state = 'out_of_service'`, set: restore },
  suppress: {
    where: `a.closed_at IS NULL AND ${annunciated} AND ${inMaintenance}`,
    set: `state = 'suppressed'`,
  },
  unsuppress: {
    where: `a.closed_at IS NULL AND a.state = 'suppressed' AND NOT ${inMaintenance}`,
    set: restore,
  },
  comment: { where: 'true', set: 'last_value = a.last_value' },
  /** Raised again and again within a short window (see chatter-detection.ts): flagged once per alert. */
  flagChattering: {
    where: 'a.closed_at IS NULL AND a.chattering_since IS NULL',
    set: 'chattering_since = now()',
  },
  /** Its rule was archived: it will never be evaluated again, so the alert closes, with who archived it. */
  retire: {
    where: 'a.closed_at IS NULL',
    set: `state = 'normal', closed_at = now(), condition_active = false,
          shelved_until = NULL, shelved_by = NULL, shelve_reason = NULL`,
  },
  /** Unacknowledged past the rule's limit: one priority up (critical stays critical), once. */
  escalate: {
    where: `a.closed_at IS NULL AND ${unacknowledged} AND a.escalated_at IS NULL
            AND EXISTS (SELECT 1 FROM alert_rules er WHERE er.id = a.rule_id AND er.escalate_after_s IS NOT NULL
                           AND a.raised_at <= now() - make_interval(secs => er.escalate_after_s))`,
    set: `escalated_at = now(),
          priority = CASE a.priority WHEN 'low' THEN 'medium' WHEN 'medium' THEN 'high' ELSE 'critical' END::alert_priority`,
  },
} as const satisfies Record<string, Transition>;

export type TransitionName = keyof typeof transitions;

/** The statement of a transition and its parameters, whichever connection runs it. */
function transitionStatement(
  selection: ByIds | ByTarget,
  name: TransitionName,
  input: TransitionInput,
): { text: string; values: unknown[] } {
  const byTarget = 'ruleId' in selection;
  return {
    text: transitionSql(byTarget ? byTargetSql : byIdsSql, transitions[name]),
    values: [
      byTarget ? selection.ruleId : selection.ids,
      byTarget ? selection.targetKey : selection.zones,
      input.userId ?? null,
      input.comment ?? null,
      input.value ?? null,
      input.until ?? null,
    ],
  };
}

async function run(
  client: pg.PoolClient,
  selection: ByIds | ByTarget,
  name: TransitionName,
  input: TransitionInput,
): Promise<AlertChange[]> {
  const statement = transitionStatement(selection, name, input);
  const { rows } = await client.query<AlertChangeRow>(prepared(statement.text, statement.values));
  return rows.map(toAlertChange);
}

/**
 * Closes every open alert of a rule being archived, inside the caller's Prisma transaction (the rule routes
 * write through Prisma), with the archiving user and `comment` on each alert's last transition.
 */
export async function retireRuleAlerts(
  tx: TenantTransaction,
  ruleId: string,
  input: TransitionInput,
): Promise<AlertChange[]> {
  const open = await tx.$queryRaw<{ id: string }[]>`
    SELECT id FROM alerts WHERE rule_id = ${ruleId}::uuid AND closed_at IS NULL`;
  if (open.length === 0) return [];
  const statement = transitionStatement({ ids: open.map((a) => a.id), zones: null }, 'retire', input);
  const rows = await tx.$queryRawUnsafe<AlertChangeRow[]>(statement.text, ...statement.values);
  return rows.map(toAlertChange);
}

/** A user's (or a job's) transition of chosen alerts; `ids: null` means every alert the transition applies to. */
export function transitionAlerts(
  client: pg.PoolClient,
  name: TransitionName,
  selection: ByIds,
  input: TransitionInput = {},
): Promise<AlertChange[]> {
  return run(client, selection, name, input);
}

/** What an alert raise needs to know about its target. */
export interface RaiseInput {
  readonly ruleId: string;
  readonly targetKey: string;
  readonly seriesId: number | null;
  readonly deviceId: string | null;
  readonly assetId: string | null;
  readonly zoneId: string | null;
  readonly priority: AlertPriority;
  readonly message: string;
  readonly value: number | null;
  readonly cooldownS: number;
}

/** `raised`: a new alert; `active`: the open one is active (again); `cooldown`: closed too recently to re-raise. */
export type RaiseOutcome =
  | { readonly kind: 'raised' | 'active'; readonly changes: AlertChange[] }
  | { readonly kind: 'cooldown'; readonly changes: [] };

const raiseSql = `
  WITH p AS (
    SELECT $1::uuid AS rule_id, $2::text AS target_key, $3::integer AS series_id, $4::uuid AS device_id,
           $5::uuid AS asset_id, $6::uuid AS zone_id, $7::alert_priority AS priority, $8::text AS message,
           $9::float8 AS value, $10::integer AS cooldown_s
  ),
  inserted AS (
    INSERT INTO alerts (tenant_id, rule_id, target_key, series_id, device_id, asset_id, zone_id, state, priority,
                        original_priority, message, condition_active, raised_value, last_value)
    SELECT app_tenant_id(), p.rule_id, p.target_key, p.series_id, p.device_id, p.asset_id, p.zone_id,
           CASE WHEN EXISTS (SELECT 1 FROM assets m WHERE m.id = p.asset_id AND m.maintenance_since IS NOT NULL)
                THEN 'suppressed' ELSE 'active_unacknowledged' END::alert_state,
           p.priority, p.priority, p.message, true, p.value, p.value
      FROM p
     WHERE NOT EXISTS (SELECT 1 FROM alerts c
                        WHERE c.rule_id = p.rule_id AND c.target_key = p.target_key
                          AND c.closed_at > now() - make_interval(secs => p.cooldown_s))
    -- The partial unique index, not a read before the write, keeps this to one open alert per rule and target.
    ON CONFLICT (rule_id, target_key) WHERE closed_at IS NULL DO NOTHING
    RETURNING *
  ),
  logged AS (
    INSERT INTO alert_transitions (tenant_id, alert_id, from_state, to_state, value)
    SELECT i.tenant_id, i.id, 'normal', i.state, i.raised_value FROM inserted i
    RETURNING alert_id, sequence
  )
  SELECT l.sequence::text AS sequence, a.tenant_id, a.zone_id, (${alertJson})::text AS alert
    FROM inserted a JOIN logged l ON l.alert_id = a.id JOIN alert_rules r ON r.id = a.rule_id`;

/**
 * The condition of a rule holds for a target: raise a new alert (with notifications), or make the open one active
 * again. Within the rule's cooldown after the last alert closed, nothing is raised.
 */
export async function raiseAlert(client: pg.PoolClient, input: RaiseInput): Promise<RaiseOutcome> {
  const { rows } = await client.query<AlertChangeRow>(
    prepared(raiseSql, [
      input.ruleId,
      input.targetKey,
      input.seriesId,
      input.deviceId,
      input.assetId,
      input.zoneId,
      input.priority,
      input.message,
      input.value,
      input.cooldownS,
    ]),
  );
  if (rows.length > 0) {
    const changes = rows.map(toAlertChange);
    await enqueueNotifications(
      client,
      'alert.raised',
      changes.filter((c) => c.alert.state === 'active_unacknowledged'),
    );
    return { kind: 'raised', changes };
  }
  const target = { ruleId: input.ruleId, targetKey: input.targetKey };
  const reactivated = await run(client, target, 'reactivate', {
    value: input.value,
    comment: 'Condition active again',
  });
  if (reactivated.length > 0) return { kind: 'active', changes: reactivated };
  const open = await client.query(
    prepared(`SELECT 1 FROM alerts a WHERE ${byTargetSql}`, [input.ruleId, input.targetKey]),
  );
  return open.rowCount ? { kind: 'active', changes: [] } : { kind: 'cooldown', changes: [] };
}

/** The condition of a rule no longer holds for a target. */
export function clearAlert(
  client: pg.PoolClient,
  target: ByTarget,
  value: number | null,
): Promise<AlertChange[]> {
  return run(client, target, 'clear', { value, comment: 'Condition cleared' });
}

/** Escalates what is overdue in the tenant and tells supervisors. */
export async function escalateOverdue(client: pg.PoolClient): Promise<AlertChange[]> {
  const changes = await run(client, { ids: null, zones: null }, 'escalate', {
    comment: 'Escalated: not acknowledged in time',
  });
  await enqueueNotifications(client, 'alert.escalated', changes);
  return changes;
}
