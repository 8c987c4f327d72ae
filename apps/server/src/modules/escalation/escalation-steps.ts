import type pg from 'pg';
import { prepared } from '../../http/json-page.ts';
import { onDuty, type OnCallSchedule } from './on-call.ts';

/*
 * The escalation's database steps for one tenant, each inside the caller's transaction (tenant context set).
 * Every change is made on rows locked FOR UPDATE SKIP LOCKED, or guarded by a unique index, so two instances
 * running the job at the same moment send each step of each alert once.
 */

const needsAcknowledgement = `a.closed_at IS NULL AND a.state IN ('active_unacknowledged', 'returned_unacknowledged')`;

/**
 * Unacknowledged alerts raised since a policy that covers their priority was made start its escalation: the most
 * urgent such policy (then the oldest).
 */
export async function startEscalations(client: pg.PoolClient): Promise<number> {
  const { rowCount } = await client.query(
    prepared(
      `INSERT INTO alert_escalations (alert_id, tenant_id, policy_id)
       SELECT a.id, a.tenant_id, p.id
         FROM alerts a
         CROSS JOIN LATERAL (
           SELECT p.id FROM escalation_policies p
            WHERE p.enabled AND a.priority <= p.min_priority AND a.raised_at >= p.created_at
              AND EXISTS (SELECT 1 FROM escalation_steps s WHERE s.policy_id = p.id)
            ORDER BY p.min_priority, p.created_at LIMIT 1) p
        WHERE ${needsAcknowledgement}
          AND NOT EXISTS (SELECT 1 FROM alert_escalations e WHERE e.alert_id = a.id)
       ON CONFLICT (alert_id) DO NOTHING`,
      [],
    ),
  );
  return rowCount ?? 0;
}

/**
 * Acknowledged (or closed, shelved, out of service) alerts stop escalating, and their messages not sent yet are
 * cancelled, whichever instance or console window the acknowledgement came from.
 */
export async function stopEscalations(client: pg.PoolClient): Promise<number> {
  // Rows another instance holds right now are left to the next tick rather than waited for.
  await client.query(
    prepared(
      `WITH done AS (
         SELECT e.alert_id, a.state FROM alert_escalations e JOIN alerts a ON a.id = e.alert_id
          WHERE e.stopped_at IS NULL AND NOT (${needsAcknowledgement})
            FOR UPDATE OF e SKIP LOCKED
       )
       UPDATE alert_escalations e SET stopped_at = now(), stop_reason = done.state::text
         FROM done WHERE e.alert_id = done.alert_id`,
      [],
    ),
  );
  const { rowCount } = await client.query(
    prepared(
      `WITH done AS (
         SELECT m.id, a.state FROM escalation_messages m JOIN alerts a ON a.id = m.alert_id
          WHERE m.state = 'pending' AND NOT (${needsAcknowledgement})
            FOR UPDATE OF m SKIP LOCKED
       )
       UPDATE escalation_messages m SET state = 'cancelled', last_error = 'no longer needed: ' || done.state::text
         FROM done WHERE m.id = done.id`,
      [],
    ),
  );
  return rowCount ?? 0;
}

interface DueRow {
  alert_id: string;
  policy_id: string;
  next_step: number;
  cycle: number;
  repeats: number;
  priority: string;
  rule_name: string;
  message: string;
}

interface StepRow {
  position: number;
  user_id: string | null;
  schedule_id: string | null;
  wait_s: number;
}

async function loadSchedule(client: pg.PoolClient, scheduleId: string): Promise<OnCallSchedule | null> {
  const schedule = await client.query<{ time_zone: string }>(
    prepared('SELECT time_zone FROM on_call_schedules WHERE id = $1::uuid', [scheduleId]),
  );
  const timeZone = schedule.rows[0]?.time_zone;
  if (timeZone === undefined) return null;
  const shifts = await client.query<{ user_id: string; weekdays: number[]; starts: string; ends: string }>(
    prepared(
      `SELECT user_id, weekdays, starts::text, ends::text FROM on_call_shifts WHERE schedule_id = $1::uuid ORDER BY id`,
      [scheduleId],
    ),
  );
  const overrides = await client.query<{ user_id: string; starts_at: Date; ends_at: Date }>(
    prepared(
      `SELECT user_id, starts_at, ends_at FROM on_call_overrides
        WHERE schedule_id = $1::uuid AND ends_at > now() - interval '1 day' ORDER BY starts_at`,
      [scheduleId],
    ),
  );
  return {
    timeZone,
    shifts: shifts.rows.map((row) => ({
      userId: row.user_id,
      weekdays: row.weekdays,
      starts: row.starts,
      ends: row.ends,
    })),
    overrides: overrides.rows.map((row) => ({
      userId: row.user_id,
      startsAt: row.starts_at.getTime(),
      endsAt: row.ends_at.getTime(),
    })),
  };
}

export function messageBody(row: Pick<DueRow, 'priority' | 'rule_name' | 'message'>): string {
  return `Tidewatch ${row.priority.toUpperCase()}: ${row.rule_name}. ${row.message}. Acknowledge in the console.`.slice(
    0,
    1600,
  );
}

/**
 * Runs the steps that are due: writes one message per recipient with a phone (a user, or whoever is on call on
 * the step's schedule now), then moves the escalation to its next step after the step's wait, starting the
 * steps again while repeats are left, else stopping. Returns the messages written.
 */
export async function runDueSteps(client: pg.PoolClient, now: number, limit = 100): Promise<number> {
  const { rows } = await client.query<DueRow>(
    prepared(
      `SELECT e.alert_id, e.policy_id, e.next_step, e.cycle, p.repeats, a.priority::text, r.name AS rule_name,
              a.message
         FROM alert_escalations e
         JOIN alerts a ON a.id = e.alert_id
         JOIN escalation_policies p ON p.id = e.policy_id
         JOIN alert_rules r ON r.id = a.rule_id
        WHERE e.stopped_at IS NULL AND e.next_at <= now() AND ${needsAcknowledgement}
        ORDER BY e.next_at
        LIMIT $1
          FOR UPDATE OF e SKIP LOCKED`,
      [limit],
    ),
  );
  let written = 0;
  for (const due of rows) {
    const steps = await client.query<StepRow>(
      prepared(
        'SELECT position, user_id, schedule_id, wait_s FROM escalation_steps WHERE policy_id = $1::uuid ORDER BY position',
        [due.policy_id],
      ),
    );
    const step = steps.rows[due.next_step];
    if (!step) {
      await client.query(
        prepared(
          `UPDATE alert_escalations SET stopped_at = now(), stop_reason = 'policy changed' WHERE alert_id = $1::uuid`,
          [due.alert_id],
        ),
      );
      continue;
    }
    let recipients: string[] = [];
    if (step.user_id !== null) recipients = [step.user_id];
    else if (step.schedule_id !== null) {
      const schedule = await loadSchedule(client, step.schedule_id);
      recipients = schedule ? onDuty(schedule, now) : [];
    }
    const inserted = await client.query(
      prepared(
        `INSERT INTO escalation_messages (tenant_id, alert_id, cycle, position, user_id, phone, body)
         SELECT u.tenant_id, $1::uuid, $2::integer, $3::integer, u.id, u.phone, $5::text
           FROM users u WHERE u.id = ANY($4::uuid[]) AND u.phone IS NOT NULL AND u.disabled_at IS NULL
         ON CONFLICT (alert_id, cycle, position, phone) DO NOTHING`,
        [due.alert_id, due.cycle, step.position, recipients, messageBody(due)],
      ),
    );
    written += inserted.rowCount ?? 0;
    const last = due.next_step + 1 >= steps.rows.length;
    const exhausted = last && due.cycle >= due.repeats;
    await client.query(
      prepared(
        `UPDATE alert_escalations
            SET next_step = $2::integer, cycle = $3::integer,
                next_at = now() + make_interval(secs => $4::integer),
                stopped_at = CASE WHEN $5::boolean THEN now() END,
                stop_reason = CASE WHEN $5::boolean THEN 'no one acknowledged' END
          WHERE alert_id = $1::uuid`,
        [
          due.alert_id,
          last ? 0 : due.next_step + 1,
          last ? due.cycle + 1 : due.cycle,
          step.wait_s,
          exhausted,
        ],
      ),
    );
  }
  return written;
}

export interface OutgoingMessage {
  readonly id: string;
  readonly phone: string;
  readonly body: string;
  readonly attempts: number;
}

/** Claims due messages of alerts still unacknowledged, leased for `leaseS`; another instance skips them. */
export async function claimMessages(
  client: pg.PoolClient,
  limit: number,
  leaseS: number,
): Promise<OutgoingMessage[]> {
  const { rows } = await client.query<OutgoingMessage>(
    prepared(
      `WITH due AS (
         SELECT m.id FROM escalation_messages m JOIN alerts a ON a.id = m.alert_id
          WHERE m.state IN ('pending', 'sending') AND m.next_attempt_at <= now() AND ${needsAcknowledgement}
          ORDER BY m.next_attempt_at
          LIMIT $1
            FOR UPDATE OF m SKIP LOCKED
       )
       UPDATE escalation_messages m
          SET state = 'sending', attempts = m.attempts + 1, next_attempt_at = now() + make_interval(secs => $2)
         FROM due WHERE m.id = due.id
       RETURNING m.id::text AS id, m.phone, m.body, m.attempts`,
      [limit, leaseS],
    ),
  );
  return rows;
}

export async function markSent(client: pg.PoolClient, id: string, providerId: string | null): Promise<void> {
  await client.query(
    prepared(
      `UPDATE escalation_messages SET state = 'delivered', delivered_at = now(), provider_id = $2, last_error = NULL
        WHERE id = $1::bigint AND state = 'sending'`,
      [id, providerId],
    ),
  );
}

/** A failed attempt: retried after `retryInMs` while attempts are left and a retry may help, else failed. */
export async function markFailed(
  client: pg.PoolClient,
  id: string,
  error: string,
  retry: boolean,
  retryInMs: number,
  maxAttempts: number,
): Promise<void> {
  await client.query(
    prepared(
      `UPDATE escalation_messages
          SET state = CASE WHEN $3::boolean AND attempts < $4::integer THEN 'pending' ELSE 'failed' END,
              next_attempt_at = now() + make_interval(secs => $5::float8 / 1000),
              last_error = left($2, 2000)
        WHERE id = $1::bigint AND state = 'sending'`,
      [id, error, retry, maxAttempts, retryInMs],
    ),
  );
}
