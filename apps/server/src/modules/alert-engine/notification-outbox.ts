import type pg from 'pg';
import { prepared } from '../../http/json-page.ts';
import type { AlertChange } from './alert-changes.ts';

export type NotificationEvent = 'alert.raised' | 'alert.escalated';

/**
 * Writes one outbox row per matching notification rule, in the caller's transaction (the same one as the alert
 * change), so a notification is sent if and only if the change committed. A raise reaches users whose rule's
 * minimum priority it meets; an escalation reaches supervisors and admins whatever their minimum. Zone filters of
 * the rule and the user's own zone limit both apply.
 */
export async function enqueueNotifications(
  client: pg.PoolClient,
  event: NotificationEvent,
  changes: readonly AlertChange[],
): Promise<void> {
  if (changes.length === 0) return;
  await client.query(
    prepared(
      `INSERT INTO notification_outbox (tenant_id, rule_id, alert_id, channel, target, payload)
       SELECT nr.tenant_id, nr.id, x.id, nr.channel, nr.target,
              jsonb_build_object('event', $5::text, 'tenantId', nr.tenant_id, 'at', json_time(now()), 'alert', x.alert)
         FROM unnest($1::uuid[], $2::alert_priority[], $3::uuid[], $4::jsonb[]) AS x (id, priority, zone_id, alert)
         JOIN notification_rules nr ON nr.enabled
         JOIN users u ON u.id = nr.user_id AND u.disabled_at IS NULL
        WHERE CASE WHEN $5::text = 'alert.escalated' THEN u.role IN ('supervisor', 'tenant_admin')
                   ELSE x.priority <= nr.min_priority END
          AND (cardinality(nr.zone_ids) = 0 OR x.zone_id = ANY (nr.zone_ids))
          AND (NOT EXISTS (SELECT 1 FROM user_zones uz WHERE uz.user_id = u.id)
               OR EXISTS (SELECT 1 FROM user_zones uz WHERE uz.user_id = u.id AND uz.zone_id = x.zone_id))`,
      [
        changes.map((c) => c.alert.id),
        changes.map((c) => c.alert.priority),
        changes.map((c) => c.zoneId),
        changes.map((c) => JSON.stringify(c.alert)),
        event,
      ],
    ),
  );
}

/** A claimed delivery: this instance owns it until its lease runs out. */
export interface Delivery {
  readonly id: string;
  readonly channel: 'webhook' | 'email';
  readonly target: string;
  /** The JSON text sent (and signed) as is. */
  readonly payload: string;
  readonly attempts: number;
  /** The rule's signing secret, sealed (bound to the rule); null when the rule is gone. */
  readonly secret: string | null;
  readonly ruleId: string | null;
}

/**
 * Claims due deliveries of the tenant in context: pending ones, and "sending" ones whose lease ran out (the
 * instance sending them stopped). SKIP LOCKED lets several instances share the work without sending one twice.
 */
export async function claimDeliveries(
  client: pg.PoolClient,
  limit: number,
  leaseS: number,
): Promise<Delivery[]> {
  const { rows } = await client.query<Delivery>(
    prepared(
      `WITH due AS (
         SELECT o.id FROM notification_outbox o
          WHERE o.state IN ('pending', 'sending') AND o.next_attempt_at <= now()
          ORDER BY o.next_attempt_at
          LIMIT $1
            FOR UPDATE SKIP LOCKED
       )
       UPDATE notification_outbox o
          SET state = 'sending', attempts = o.attempts + 1, next_attempt_at = now() + make_interval(secs => $2)
         FROM due WHERE o.id = due.id
       RETURNING o.id::text AS id, o.channel, o.target, o.payload::text AS payload, o.attempts, o.rule_id AS "ruleId",
                 (SELECT nr.webhook_secret FROM notification_rules nr WHERE nr.id = o.rule_id) AS secret`,
      [limit, leaseS],
    ),
  );
  return rows;
}

export async function markDelivered(client: pg.PoolClient, id: string): Promise<void> {
  await client.query(
    prepared(
      `UPDATE notification_outbox SET state = 'delivered', delivered_at = now(), last_error = NULL
        WHERE id = $1::bigint AND state = 'sending'`,
      [id],
    ),
  );
}

/** A failed attempt: retried after `retryInMs`, or failed for good once `maxAttempts` are spent. */
export async function markAttemptFailed(
  client: pg.PoolClient,
  id: string,
  error: string,
  retryInMs: number,
  maxAttempts: number,
): Promise<void> {
  await client.query(
    prepared(
      `UPDATE notification_outbox
          SET state = CASE WHEN attempts >= $3 THEN 'failed' ELSE 'pending' END::delivery_state,
              next_attempt_at = now() + make_interval(secs => $4::float8 / 1000),
              last_error = left($2, 2000)
        WHERE id = $1::bigint AND state = 'sending'`,
      [id, error, maxAttempts, retryInMs],
    ),
  );
}
