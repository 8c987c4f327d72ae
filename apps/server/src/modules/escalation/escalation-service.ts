import { withTenant, type Database, type TenantTransaction } from '@tidewatch/db';
import type {
  AlertEscalation,
  CreateEscalationPolicy,
  CreateOnCallSchedule,
  EscalationPolicy,
  OnCallScheduleView,
} from '@tidewatch/shared';
import type { z } from 'zod';
import type { onCallOverrideSchema } from '@tidewatch/shared';
import { invalid, notFound } from '../../http/app-error.ts';
import { dbContext, type TenantContext } from '../../http/request-context.ts';
import { zoneLimit } from '../../http/zone-scope.ts';
import { recordAudit } from '../audit/record-audit.ts';
import { onDuty } from './on-call.ts';

type Tx = TenantTransaction;

/** Every user named must be an enabled user of the tenant (row-level security hides the others). */
async function checkUsers(tx: Tx, userIds: readonly string[], path: string): Promise<void> {
  const unique = [...new Set(userIds)];
  if (unique.length === 0) return;
  const rows = await tx.$queryRaw<{ id: string }[]>`
    SELECT id::text FROM users WHERE id = ANY(${unique}::uuid[]) AND disabled_at IS NULL`;
  if (rows.length !== unique.length)
    throw invalid(path, 'names a user who is not an enabled user of this tenant');
}

async function readSchedule(tx: Tx, id: string): Promise<OnCallScheduleView> {
  const [schedule] = await tx.$queryRaw<{ id: string; name: string; time_zone: string }[]>`
    SELECT id::text, name, time_zone FROM on_call_schedules WHERE id = ${id}::uuid`;
  if (!schedule) throw notFound('On-call schedule');
  const shifts = await tx.$queryRaw<{ user_id: string; weekdays: number[]; starts: string; ends: string }[]>`
    SELECT user_id::text, weekdays::int[] AS weekdays, to_char(starts, 'HH24:MI') AS starts,
           to_char(ends, 'HH24:MI') AS ends
      FROM on_call_shifts WHERE schedule_id = ${id}::uuid ORDER BY id`;
  const overrides = await tx.$queryRaw<
    { user_id: string; starts_at: Date; ends_at: Date; reason: string | null }[]
  >`SELECT user_id::text, starts_at, ends_at, reason FROM on_call_overrides
     WHERE schedule_id = ${id}::uuid ORDER BY starts_at`;
  return {
    id: schedule.id,
    name: schedule.name,
    timeZone: schedule.time_zone,
    shifts: shifts.map((s) => ({ userId: s.user_id, weekdays: s.weekdays, starts: s.starts, ends: s.ends })),
    overrides: overrides.map((o) => ({
      userId: o.user_id,
      startsAt: o.starts_at.toISOString(),
      endsAt: o.ends_at.toISOString(),
      reason: o.reason,
    })),
  };
}

export async function createOnCallSchedule(
  db: Database,
  ctx: TenantContext,
  body: CreateOnCallSchedule,
): Promise<OnCallScheduleView> {
  return withTenant(db.prisma, dbContext(ctx), async (tx) => {
    await checkUsers(
      tx,
      body.shifts.map((s) => s.userId),
      'shifts',
    );
    const [created] = await tx.$queryRaw<{ id: string }[]>`
      INSERT INTO on_call_schedules (tenant_id, name, time_zone)
      VALUES (${ctx.tenantId}::uuid, ${body.name}, ${body.timeZone}) RETURNING id::text`;
    if (!created) throw new Error('schedule not created');
    for (const shift of body.shifts) {
      await tx.$executeRaw`
        INSERT INTO on_call_shifts (tenant_id, schedule_id, user_id, weekdays, starts, ends)
        VALUES (${ctx.tenantId}::uuid, ${created.id}::uuid, ${shift.userId}::uuid, ${shift.weekdays}::smallint[],
                ${shift.starts}::time, ${shift.ends}::time)`;
    }
    await recordAudit(tx, ctx, {
      action: 'escalation.schedule_create',
      resourceType: 'on_call_schedule',
      resourceId: created.id,
      details: { name: body.name, timeZone: body.timeZone, shifts: body.shifts.length },
    });
    return readSchedule(tx, created.id);
  });
}

export async function addOnCallOverride(
  db: Database,
  ctx: TenantContext,
  scheduleId: string,
  body: z.infer<typeof onCallOverrideSchema>,
): Promise<OnCallScheduleView> {
  return withTenant(db.prisma, dbContext(ctx), async (tx) => {
    await readSchedule(tx, scheduleId);
    await checkUsers(tx, [body.userId], 'userId');
    await tx.$executeRaw`
      INSERT INTO on_call_overrides (tenant_id, schedule_id, user_id, starts_at, ends_at, reason)
      VALUES (${ctx.tenantId}::uuid, ${scheduleId}::uuid, ${body.userId}::uuid, ${body.startsAt}::timestamptz,
              ${body.endsAt}::timestamptz, ${body.reason ?? null})`;
    await recordAudit(tx, ctx, {
      action: 'escalation.override_add',
      resourceType: 'on_call_schedule',
      resourceId: scheduleId,
      details: {
        userId: body.userId,
        startsAt: body.startsAt,
        endsAt: body.endsAt,
        reason: body.reason ?? null,
      },
    });
    return readSchedule(tx, scheduleId);
  });
}

export async function listOnCallSchedules(db: Database, ctx: TenantContext): Promise<OnCallScheduleView[]> {
  return withTenant(db.prisma, dbContext(ctx), async (tx) => {
    const ids = await tx.$queryRaw<{ id: string }[]>`SELECT id::text FROM on_call_schedules ORDER BY name`;
    const schedules: OnCallScheduleView[] = [];
    for (const { id } of ids) schedules.push(await readSchedule(tx, id));
    return schedules;
  });
}

/** Who is on duty on a schedule at a moment (now by default). */
export async function readOnDuty(
  db: Database,
  ctx: TenantContext,
  scheduleId: string,
  at: string | undefined,
): Promise<{ at: string; userIds: string[] }> {
  const schedule = await withTenant(db.prisma, dbContext(ctx), (tx) => readSchedule(tx, scheduleId));
  const moment = at ? Date.parse(at) : Date.now();
  return {
    at: new Date(moment).toISOString(),
    userIds: onDuty(
      {
        timeZone: schedule.timeZone,
        shifts: schedule.shifts,
        overrides: schedule.overrides.map((o) => ({
          userId: o.userId,
          startsAt: Date.parse(o.startsAt),
          endsAt: Date.parse(o.endsAt),
        })),
      },
      moment,
    ),
  };
}

async function readPolicy(tx: Tx, id: string): Promise<EscalationPolicy> {
  const [policy] = await tx.$queryRaw<
    { id: string; name: string; min_priority: string; repeats: number; enabled: boolean; created_at: Date }[]
  >`SELECT id::text, name, min_priority::text, repeats, enabled, created_at FROM escalation_policies
     WHERE id = ${id}::uuid`;
  if (!policy) throw notFound('Escalation policy');
  const steps = await tx.$queryRaw<{ user_id: string | null; schedule_id: string | null; wait_s: number }[]>`
    SELECT user_id::text, schedule_id::text, wait_s FROM escalation_steps WHERE policy_id = ${id}::uuid
     ORDER BY position`;
  return {
    id: policy.id,
    name: policy.name,
    minPriority: policy.min_priority as EscalationPolicy['minPriority'],
    repeats: policy.repeats,
    enabled: policy.enabled,
    createdAt: policy.created_at.toISOString(),
    steps: steps.map((s) => ({ userId: s.user_id, scheduleId: s.schedule_id, waitS: s.wait_s })),
  };
}

/** A policy applies to alerts raised from its creation on: standing alerts do not all start texting at once. */
export async function createEscalationPolicy(
  db: Database,
  ctx: TenantContext,
  body: CreateEscalationPolicy,
): Promise<EscalationPolicy> {
  return withTenant(db.prisma, dbContext(ctx), async (tx) => {
    await checkUsers(
      tx,
      body.steps.flatMap((s) => (s.userId ? [s.userId] : [])),
      'steps',
    );
    const scheduleIds = [...new Set(body.steps.flatMap((s) => (s.scheduleId ? [s.scheduleId] : [])))];
    if (scheduleIds.length > 0) {
      const found = await tx.$queryRaw<{ id: string }[]>`
        SELECT id::text FROM on_call_schedules WHERE id = ANY(${scheduleIds}::uuid[])`;
      if (found.length !== scheduleIds.length) throw invalid('steps', 'names an unknown on-call schedule');
    }
    const [created] = await tx.$queryRaw<{ id: string }[]>`
      INSERT INTO escalation_policies (tenant_id, name, min_priority, repeats)
      VALUES (${ctx.tenantId}::uuid, ${body.name}, ${body.minPriority}::alert_priority, ${body.repeats})
      RETURNING id::text`;
    if (!created) throw new Error('policy not created');
    for (const [position, step] of body.steps.entries()) {
      await tx.$executeRaw`
        INSERT INTO escalation_steps (tenant_id, policy_id, position, user_id, schedule_id, wait_s)
        VALUES (${ctx.tenantId}::uuid, ${created.id}::uuid, ${position}, ${step.userId}::uuid,
                ${step.scheduleId}::uuid, ${step.waitS})`;
    }
    await recordAudit(tx, ctx, {
      action: 'escalation.policy_create',
      resourceType: 'escalation_policy',
      resourceId: created.id,
      details: { name: body.name, minPriority: body.minPriority, repeats: body.repeats, steps: body.steps },
    });
    return readPolicy(tx, created.id);
  });
}

export async function listEscalationPolicies(db: Database, ctx: TenantContext): Promise<EscalationPolicy[]> {
  return withTenant(db.prisma, dbContext(ctx), async (tx) => {
    const ids = await tx.$queryRaw<{ id: string }[]>`
      SELECT id::text FROM escalation_policies ORDER BY min_priority, created_at`;
    const policies: EscalationPolicy[] = [];
    for (const { id } of ids) policies.push(await readPolicy(tx, id));
    return policies;
  });
}

/** Where an alert's escalation stands and every message sent for it, within the zones the user may see. */
export async function readAlertEscalation(
  db: Database,
  ctx: TenantContext,
  alertId: string,
): Promise<AlertEscalation> {
  const zones = zoneLimit(ctx);
  return withTenant(db.prisma, dbContext(ctx), async (tx) => {
    const [alert] = await tx.$queryRaw<{ id: string }[]>`
      SELECT id::text FROM alerts WHERE id = ${alertId}::uuid
         AND (${zones as string[] | null}::uuid[] IS NULL OR zone_id = ANY(${zones as string[] | null}::uuid[]))`;
    if (!alert) throw notFound('Alert');
    const [escalation] = await tx.$queryRaw<
      {
        policy_id: string;
        next_step: number;
        cycle: number;
        next_at: Date;
        stopped_at: Date | null;
        stop_reason: string | null;
      }[]
    >`SELECT policy_id::text, next_step, cycle, next_at, stopped_at, stop_reason FROM alert_escalations
       WHERE alert_id = ${alertId}::uuid`;
    const messages = await tx.$queryRaw<
      {
        id: string;
        cycle: number;
        position: number;
        user_id: string | null;
        phone: string;
        state: AlertEscalation['messages'][number]['state'];
        attempts: number;
        last_error: string | null;
        provider_id: string | null;
        delivered_at: Date | null;
        created_at: Date;
      }[]
    >`SELECT id::text, cycle, position, user_id::text, phone, state, attempts, last_error, provider_id,
             delivered_at, created_at
        FROM escalation_messages WHERE alert_id = ${alertId}::uuid ORDER BY id`;
    return {
      alertId,
      policyId: escalation?.policy_id ?? null,
      nextStep: escalation?.next_step ?? null,
      cycle: escalation?.cycle ?? null,
      nextAt: escalation?.next_at.toISOString() ?? null,
      stoppedAt: escalation?.stopped_at?.toISOString() ?? null,
      stopReason: escalation?.stop_reason ?? null,
      messages: messages.map((m) => ({
        id: m.id,
        cycle: m.cycle,
        position: m.position,
        userId: m.user_id,
        phone: m.phone,
        state: m.state,
        attempts: m.attempts,
        lastError: m.last_error,
        providerId: m.provider_id,
        deliveredAt: m.delivered_at?.toISOString() ?? null,
        createdAt: m.created_at.toISOString(),
      })),
    };
  });
}

/** A user's number for escalation SMS (E.164), or none. Audited. */
export async function setUserPhone(
  db: Database,
  ctx: TenantContext,
  userId: string,
  phone: string | null,
): Promise<{ userId: string; phone: string | null }> {
  return withTenant(db.prisma, dbContext(ctx), async (tx) => {
    const changed = await tx.$executeRaw`UPDATE users SET phone = ${phone} WHERE id = ${userId}::uuid`;
    if (changed === 0) throw notFound('User');
    await recordAudit(tx, ctx, {
      action: 'user.phone_set',
      resourceType: 'user',
      resourceId: userId,
      details: { phone: phone === null ? null : `…${phone.slice(-3)}` },
    });
    return { userId, phone };
  });
}
