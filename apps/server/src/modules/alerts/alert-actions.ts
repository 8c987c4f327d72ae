import type { Database } from '@tidewatch/db';
import {
  can,
  OPERATOR_MAX_SHELVE_SECONDS,
  type Alert,
  type AlertState,
  type BulkAcknowledgeResult,
} from '@tidewatch/shared';
import type { EventBus } from '../../events/event-bus.ts';
import { conflict, forbidden, notFound } from '../../http/app-error.ts';
import { dbContext, type TenantContext } from '../../http/request-context.ts';
import { zoneLimit } from '../../http/zone-scope.ts';
import { publishAlertChanges, type AlertChange } from '../alert-engine/alert-changes.ts';
import { withAlertTransaction } from '../alert-engine/alert-transaction.ts';
import {
  transitionAlerts,
  type TransitionInput,
  type TransitionName,
} from '../alert-engine/alert-lifecycle.ts';

export interface AlertActionDeps {
  readonly db: Database;
  readonly bus: EventBus;
}

const stateNames: Record<AlertState, string> = {
  active_unacknowledged: 'active and unacknowledged',
  active_acknowledged: 'already acknowledged',
  returned_unacknowledged: 'returned and unacknowledged',
  normal: 'closed',
  shelved: 'shelved',
  suppressed: 'suppressed (its asset is in maintenance)',
  out_of_service: 'out of service',
};

/** Runs a transition on chosen alerts as the caller, within their zones; publishes after commit. */
async function act(
  deps: AlertActionDeps,
  ctx: TenantContext,
  name: TransitionName,
  ids: readonly string[],
  input: TransitionInput,
): Promise<{ changes: AlertChange[]; states: Map<string, AlertState> }> {
  const zones = zoneLimit(ctx);
  const result = await withAlertTransaction(deps.db.pool, dbContext(ctx), async (client) => {
    const changes = await transitionAlerts(
      client,
      name,
      { ids, zones },
      { ...input, userId: ctx.principal.userId },
    );
    const untouched = ids.filter((id) => !changes.some((c) => c.alert.id === id));
    const states = new Map<string, AlertState>();
    if (untouched.length > 0) {
      const { rows } = await client.query<{ id: string; state: AlertState }>(
        `SELECT id, state FROM alerts WHERE id = ANY($1::uuid[]) AND ($2::uuid[] IS NULL OR zone_id = ANY($2::uuid[]))`,
        [untouched, zones],
      );
      for (const row of rows) states.set(row.id, row.state);
    }
    return { changes, states };
  });
  publishAlertChanges(deps.bus, result.changes);
  return result;
}

/** One alert: the changed alert, 404 when not visible, 409 when its state does not allow the action. */
async function actOnOne(
  deps: AlertActionDeps,
  ctx: TenantContext,
  name: TransitionName,
  id: string,
  input: TransitionInput,
  verb: string,
): Promise<Alert> {
  const { changes, states } = await act(deps, ctx, name, [id], input);
  const changed = changes.find((c) => c.alert.id === id);
  if (changed) return changed.alert;
  const state = states.get(id);
  if (!state) throw notFound('Alert');
  throw conflict(`The alert is ${stateNames[state]}; it cannot be ${verb}`);
}

export function acknowledgeAlert(
  deps: AlertActionDeps,
  ctx: TenantContext,
  id: string,
  comment: string | undefined,
): Promise<Alert> {
  return actOnOne(deps, ctx, 'acknowledge', id, { comment: comment ?? null }, 'acknowledged');
}

/** Acknowledges what can be; the rest is listed with the reason, so one stale row does not fail the batch. */
export async function acknowledgeAlerts(
  deps: AlertActionDeps,
  ctx: TenantContext,
  ids: readonly string[],
  comment: string | undefined,
): Promise<BulkAcknowledgeResult> {
  const unique = [...new Set(ids)];
  const { changes, states } = await act(deps, ctx, 'acknowledge', unique, { comment: comment ?? null });
  const acknowledged = changes.map((c) => c.alert);
  const done = new Set(acknowledged.map((a) => a.id));
  return {
    acknowledged,
    skipped: unique
      .filter((id) => !done.has(id))
      .map((id) => ({ id, reason: states.has(id) ? 'not_unacknowledged' : 'not_found' })),
  };
}

/** Shelving longer than an operator's limit needs `alert:shelve_long`; every shelving expires by itself. */
export function shelveAlert(
  deps: AlertActionDeps,
  ctx: TenantContext,
  id: string,
  durationS: number,
  reason: string,
): Promise<Alert> {
  if (durationS > OPERATOR_MAX_SHELVE_SECONDS && !can(ctx.principal.role, 'alert:shelve_long')) {
    throw forbidden(
      `Your role may shelve an alert for at most ${String(OPERATOR_MAX_SHELVE_SECONDS / 60)} minutes`,
    );
  }
  const until = new Date(Date.now() + durationS * 1000);
  return actOnOne(deps, ctx, 'shelve', id, { comment: reason, until }, 'shelved');
}

export function unshelveAlert(
  deps: AlertActionDeps,
  ctx: TenantContext,
  id: string,
  comment: string | undefined,
): Promise<Alert> {
  return actOnOne(deps, ctx, 'unshelve', id, { comment: comment ?? null }, 'unshelved');
}

export function removeFromService(
  deps: AlertActionDeps,
  ctx: TenantContext,
  id: string,
  comment: string,
): Promise<Alert> {
  return actOnOne(deps, ctx, 'outOfService', id, { comment }, 'taken out of service');
}

export function returnToService(
  deps: AlertActionDeps,
  ctx: TenantContext,
  id: string,
  comment: string | undefined,
): Promise<Alert> {
  return actOnOne(deps, ctx, 'returnToService', id, { comment: comment ?? null }, 'returned to service');
}

export function commentOnAlert(
  deps: AlertActionDeps,
  ctx: TenantContext,
  id: string,
  comment: string,
): Promise<Alert> {
  return actOnOne(deps, ctx, 'comment', id, { comment }, 'commented');
}
